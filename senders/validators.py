"""Checks on what a user types or uploads for a sender ID request; forms and services share them."""

from __future__ import annotations

import re
from typing import IO, Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from tenancy.models import Channel

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENTS_MAX_COUNT = 10
LOGO_MAX_BYTES = 5 * 1024 * 1024
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg"}
PDF_MAGIC = b"%PDF-"

# An alphanumeric SMS sender is at most 11 characters and needs a letter; a numeric one is a phone number.
SMS_ALPHANUMERIC = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 .\-_&!]{1,11}$")
SMS_NUMERIC = re.compile(r"^\+?[0-9]{3,15}$")
NAME_MAX_LENGTH = 30
BUSINESS_MANAGER_ID = re.compile(r"^[0-9]{5,20}$")


def normalize_sender_value(value: str) -> str:
    return " ".join(value.split())


def validate_sender_value(*, channel: str, value: str) -> None:
    if not value:
        raise ValidationError({"value": _("Enter the sender ID.")}, code="required")
    if channel == Channel.SMS:
        if not (SMS_ALPHANUMERIC.match(value) or SMS_NUMERIC.match(value)):
            raise ValidationError(
                {
                    "value": _(
                        "An SMS sender ID is up to 11 Latin letters, digits, spaces or . - _ & ! (with at least "
                        "one letter), or a phone number of up to 15 digits."
                    )
                },
                code="invalid",
            )
    elif len(value) > NAME_MAX_LENGTH or any(not char.isprintable() for char in value):
        raise ValidationError(
            {"value": _("The sender name is at most %(max)d printable characters.") % {"max": NAME_MAX_LENGTH}},
            code="invalid",
        )


def _peek(upload: Any, size: int) -> bytes:
    stream: IO[bytes] = upload
    position = stream.tell() if hasattr(stream, "tell") else 0
    stream.seek(0)
    head = stream.read(size)
    stream.seek(position)
    return head


def validate_document(upload: Any) -> None:
    """A PDF (by its content, not only its name) of at most 10 MB."""
    name = str(getattr(upload, "name", "") or "")
    size = int(getattr(upload, "size", 0) or 0)
    if size > DOCUMENT_MAX_BYTES:
        raise ValidationError(
            _("“%(name)s” is larger than 10 MB; upload a smaller PDF.") % {"name": name}, code="too_large"
        )
    if not name.lower().endswith(".pdf") or _peek(upload, len(PDF_MAGIC)) != PDF_MAGIC:
        raise ValidationError(
            _("“%(name)s” is not a PDF document; only PDF files are accepted.") % {"name": name}, code="not_pdf"
        )


def validate_documents(uploads: list[Any]) -> None:
    if len(uploads) > DOCUMENTS_MAX_COUNT:
        raise ValidationError(
            _("Attach at most %(count)d documents.") % {"count": DOCUMENTS_MAX_COUNT}, code="too_many"
        )
    errors: list[ValidationError] = []
    for upload in uploads:
        try:
            validate_document(upload)
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)


def logo_extension(upload: Any) -> str:
    """The file extension for a PNG or JPEG logo of at most 5 MB, checked from the image itself."""
    from PIL import Image, UnidentifiedImageError

    if int(getattr(upload, "size", 0) or 0) > LOGO_MAX_BYTES:
        raise ValidationError({"logo": _("The logo must not be larger than 5 MB.")}, code="too_large")
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = (image.format or "").upper()
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValidationError({"logo": _("Upload the logo as a PNG or JPEG image.")}, code="format") from error
    finally:
        upload.seek(0)
    if image_format not in LOGO_FORMATS:
        raise ValidationError({"logo": _("Upload the logo as a PNG or JPEG image.")}, code="format")
    return LOGO_FORMATS[image_format]


def normalize_phone(value: str) -> str:
    """E.164 digits without the plus sign, or a ValidationError."""
    digits = re.sub(r"[\s()\-.]", "", value)
    if digits.startswith("00"):
        digits = digits[2:]
    digits = digits.lstrip("+")
    invalid = ValidationError(
        {"wa_phone": _("Enter the phone number in international format, e.g. +14155550123.")}, code="phone"
    )
    if not digits.isdigit():
        raise invalid
    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException as error:
        raise invalid from error
    if not phonenumbers.is_possible_number(number):
        raise invalid
    return digits


def validate_business_manager_id(value: str) -> None:
    if not BUSINESS_MANAGER_ID.match(value):
        raise ValidationError(
            {"fb_business_manager_id": _("The Facebook Business Manager ID is a number of 5 to 20 digits.")},
            code="business_manager_id",
        )

"""The recipients file of a Campaign from File: upload, column mapping, preview and its rows."""

from __future__ import annotations

import re
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import MAX_UPLOAD_BYTES, Campaign
from campaigns.services.drafts import _editable


@transaction.atomic
def campaign_set_file(*, campaign: Campaign, upload: Any) -> Campaign:
    """Store (or replace) the campaign's recipients file; the mapping is guessed again."""
    from contacts.files import check_upload, decode_sample, detect_delimiter, detect_encoding

    _editable(campaign)
    if int(getattr(upload, "size", 0) or 0) > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": _("The file is larger than 10 MB.")}, code="too_large")
    try:
        file_format = check_upload(upload)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}, code=error.code) from error
    upload.seek(0)
    head = upload.read(64 * 1024)
    upload.seek(0)
    if file_format == "csv":
        campaign.encoding = detect_encoding(head)
        campaign.delimiter = detect_delimiter(decode_sample(head, campaign.encoding))
    if campaign.file:
        campaign.file.delete(save=False)
    campaign.file_format = file_format
    campaign.file_name = str(upload.name)[:255]
    campaign.file.save(str(upload.name), upload, save=False)
    campaign.source = Campaign.Source.FILE
    rows = file_preview(campaign, count=1)
    campaign.file_mapping = guess_mapping(rows[0] if rows else [])
    campaign.file_has_header = bool(rows) and not any(split_digits(str(cell or "")) for cell in rows[0][:1])
    campaign.updated_at = timezone.now()
    campaign.save()
    return campaign


def split_digits(value: str) -> bool:
    digits = re.sub(r"[\s+()\-.]", "", value)
    return digits.isdigit() and len(digits) >= 6


def guess_mapping(header: list[Any]) -> list[str]:
    names = {"phone": "phone", "number": "phone", "destination": "phone", "recipient": "phone", "msisdn": "phone",
             "text": "text", "message": "text", "first name": "firstname", "firstname": "firstname",
             "last name": "lastname", "lastname": "lastname", "name": "firstname"}  # fmt: skip
    mapping = []
    for cell in header:
        text = str(cell or "").strip().lower()
        guess = next((value for key, value in names.items() if key in text), "")
        mapping.append(guess if guess not in mapping else "")
    if header and "phone" not in mapping and split_digits(str(header[0] or "")):
        mapping[0] = "phone"
    return mapping


@dataclass
class _FileRows:
    file: Any
    file_format: str
    encoding: str
    delimiter: str


def _open_rows(campaign: Campaign) -> Any:
    from contacts.files import open_rows

    return open_rows(cast(Any, _FileRows(campaign.file, campaign.file_format, campaign.encoding, campaign.delimiter)))


def file_preview(campaign: Campaign, count: int = 4) -> list[list[Any]]:
    rows: list[list[Any]] = []
    if not campaign.file:
        return rows
    with _open_rows(campaign) as reader:
        for values in reader:
            if any(value not in (None, "") for value in values):
                rows.append(["" if value is None else value for value in values])
                if len(rows) >= count:
                    break
    return rows


def check_mapping(mapping: list[str], *, needs_text: bool = False) -> None:
    chosen = [key for key in mapping if key]
    if "phone" not in chosen:
        raise ValidationError({"file_mapping": _("Choose the column with the destination number.")}, code="no_phone")
    if len(set(chosen)) != len(chosen):
        raise ValidationError({"file_mapping": _("Each caption may be used for one column only.")}, code="duplicate")
    if needs_text and "text" not in chosen:
        raise ValidationError({"file_mapping": _("Choose the column with the message text.")}, code="no_text")


def _file_rows(campaign: Campaign) -> Generator[dict[str, str], None, None]:
    """The data rows of the file as ``{mapped key: value}``."""
    mapping = list(campaign.file_mapping or [])
    with _open_rows(campaign) as reader:
        first = True
        for values in reader:
            if not any(value not in (None, "") for value in values):
                continue
            if first and campaign.file_has_header:
                first = False
                continue
            first = False
            row = {}
            for index, key in enumerate(mapping):
                if key and index < len(values) and values[index] not in (None, ""):
                    value = values[index]
                    if isinstance(value, float) and value.is_integer():
                        value = int(value)
                    row[key] = str(value).strip()
            yield row

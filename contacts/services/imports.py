"""Contact imports, the wizard's side: upload, mapping, start (the import itself is ``importer``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Country
from contacts import files
from contacts.models import (
    ContactField,
    ContactImport,
    Group,
)
from contacts.values import STANDARD_COLUMNS, text
from senders.models import SenderID
from tenancy.models import Partner, User

PREVIEW_ROWS = 8

# Header words that suggest a column's field when the wizard opens the mapping step.
_HEADER_HINTS = {
    "phone": {"phone", "phonenumber", "number", "mobile", "msisdn", "tel", "telephone", "cell", "telefono", "телефон"},
    "first_name": {"firstname", "name", "givenname", "nombre", "имя", "ad"},
    "last_name": {"lastname", "surname", "familyname", "apellido", "apellidos", "фамилия", "soyad", "soyadı"},
    "birth_date": {"dateofbirth", "birthdate", "birthday", "dob", "fechadenacimiento", "датарождения"},
    "gender": {"gender", "sex", "genero", "género", "sexo", "пол", "cinsiyet"},
    "comment": {"comment", "comments", "note", "notes", "comentario", "комментарий", "yorum"},
}


def field_key(field: ContactField) -> str:
    return f"field:{field.variable}"


def mapping_choices(partner: Partner) -> list[tuple[str, str]]:
    """Fields a file column can go to, in the order the wizard lists them."""
    choices = [("phone", str(_("Phone")))]
    choices += [(key, str(label)) for key, label in STANDARD_COLUMNS.items()]
    choices += [(field_key(field), field.name) for field in ContactField.objects.for_partner(partner)]
    return choices


def guess_mapping(header: Sequence[Any], choices: Sequence[tuple[str, str]]) -> list[str]:
    """A first suggestion for the mapping step from the header row (each field at most once)."""
    labels = {key: "".join(ch for ch in label.lower() if ch.isalnum()) for key, label in choices}
    used: set[str] = set()
    mapping = []
    for cell in header:
        word = "".join(ch for ch in text(cell).lower() if ch.isalnum())
        guess = ""
        for key, label in labels.items():
            hints = _HEADER_HINTS.get(key, set()) | {label, key.split(":")[-1].replace("_", "")}
            if word and word in hints and key not in used:
                guess = key
                break
        if guess:
            used.add(guess)
        mapping.append(guess)
    return mapping


def _looks_like_header(row: Sequence[Any]) -> bool:
    """A first row with a word in it (and no cell that is only a phone number) is a header."""
    cells = [text(cell) for cell in row if text(cell)]
    has_word = any(any(ch.isalpha() for ch in cell) for cell in cells)
    has_number = any(sum(ch.isdigit() for ch in cell) >= 8 and not any(ch.isalpha() for ch in cell) for cell in cells)
    return has_word and not has_number


def _store(contact_import: ContactImport, upload: Any) -> None:
    file_format = files.check_upload(upload)
    head = files._head(upload)
    contact_import.file_format = file_format
    contact_import.file_name = os.path.basename(str(upload.name))[:255]
    contact_import.file_size = int(upload.size)
    if file_format == ContactImport.FileFormat.CSV:
        contact_import.encoding = files.detect_encoding(head)
        contact_import.delimiter = files.detect_delimiter(files.decode_sample(head, contact_import.encoding))
    if contact_import.file:
        contact_import.file.delete(save=False)
    upload.seek(0)
    contact_import.file.save(f"{uuid.uuid4().hex}.{file_format}", File(upload), save=False)
    try:
        rows = files.preview_rows(contact_import, PREVIEW_ROWS)
    except (ValidationError, UnicodeError, ValueError) as error:
        contact_import.file.delete(save=False)
        messages = error.messages if isinstance(error, ValidationError) else [str(error)]
        raise ValidationError({"file": messages}, code="unreadable") from error
    if not rows:
        contact_import.file.delete(save=False)
        raise ValidationError({"file": _("The file has no rows to import.")}, code="empty")
    contact_import.has_header = _looks_like_header(rows[0])
    header = rows[0] if contact_import.has_header else []
    contact_import.mapping = guess_mapping(header, mapping_choices(contact_import.partner)) if header else []


@transaction.atomic
def contact_import_upload(*, partner: Partner, by: User | None, upload: Any) -> ContactImport:
    """The wizard's first step: check and store the file, guess its encoding, delimiter, header and mapping."""
    contact_import = ContactImport(partner=partner, created_by=by)
    try:
        _store(contact_import, upload)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            raise
        raise ValidationError({"file": error.messages}) from error
    contact_import.save()
    return contact_import


def _draft(contact_import: ContactImport) -> None:
    if contact_import.status != ContactImport.Status.DRAFT:
        raise ValidationError(_("This import has already started; start a new one."), code="started")


@transaction.atomic
def contact_import_replace_file(*, contact_import: ContactImport, upload: Any) -> ContactImport:
    """Swap the file of an import that has not started; the mapping starts again from the new header."""
    _draft(contact_import)
    try:
        _store(contact_import, upload)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            raise
        raise ValidationError({"file": error.messages}) from error
    contact_import.save()
    return contact_import


@transaction.atomic
def contact_import_configure(
    *,
    contact_import: ContactImport,
    by: User | None,
    mapping: Sequence[str],
    existing_action: str,
    stop_list_action: str,
    sender_ids: Iterable[SenderID] = (),
    all_sender_ids: bool = False,
    encoding: str | None = None,
    delimiter: str | None = None,
    has_header: bool | None = None,
    default_country: Country | None = None,
) -> ContactImport:
    """The mapping step: which column goes to which field, and what to do with known and stop-listed numbers."""
    _draft(contact_import)
    errors: dict[str, list[str]] = {}
    valid_keys = {key for key, _label in mapping_choices(contact_import.partner)}
    cleaned = [key if key else "" for key in mapping]
    unknown = [key for key in cleaned if key and key not in valid_keys]
    if unknown:
        errors.setdefault("mapping", []).append(_("Some columns are mapped to fields that do not exist."))
    used = [key for key in cleaned if key]
    duplicates = sorted({key for key in used if used.count(key) > 1})
    if duplicates:
        labels = dict(mapping_choices(contact_import.partner))
        errors.setdefault("mapping", []).append(
            _("Each field can take only one column; mapped more than once: %(fields)s.")
            % {"fields": ", ".join(labels.get(key, key) for key in duplicates)}
        )
    if "phone" not in used:
        errors.setdefault("mapping", []).append(_("Map one column to Phone: it is required."))
    if existing_action not in ContactImport.ExistingAction.values:
        errors["existing_action"] = [_("Choose what to do with contacts you already have.")]
    if stop_list_action not in ContactImport.StopListAction.values:
        errors["stop_list_action"] = [_("Choose what to do with contacts in the stop list.")]
    senders = list(sender_ids)
    if any(sender.partner_id != contact_import.partner_id for sender in senders):
        errors["sender_ids"] = [_("Choose sender IDs from your own list.")]
    needs_senders = stop_list_action in (ContactImport.StopListAction.BLOCK, ContactImport.StopListAction.UNBLOCK)
    if needs_senders and not senders and not all_sender_ids:
        errors["sender_ids"] = [_("Choose the sender IDs, or all sender IDs.")]
    if encoding is not None and encoding not in dict(ContactImport.ENCODINGS):
        errors["encoding"] = [_("Choose one of the listed encodings.")]
    if delimiter is not None and delimiter not in dict(ContactImport.DELIMITERS):
        errors["delimiter"] = [_("Choose one of the listed delimiters.")]
    if errors:
        raise ValidationError(errors)
    contact_import.mapping = cleaned
    contact_import.existing_action = existing_action
    contact_import.stop_list_action = stop_list_action
    contact_import.all_sender_ids = bool(all_sender_ids) and needs_senders
    contact_import.default_country = default_country
    if encoding is not None:
        contact_import.encoding = encoding
    if delimiter is not None:
        contact_import.delimiter = delimiter
    if has_header is not None:
        contact_import.has_header = has_header
    contact_import.save()
    contact_import.sender_ids.set(senders if needs_senders else [])
    return contact_import


def contact_import_ready(contact_import: ContactImport) -> bool:
    """True once the mapping step is done (Phone is mapped)."""
    return "phone" in (contact_import.mapping or [])


@transaction.atomic
def contact_import_start(*, contact_import: ContactImport, by: User | None, group: Group) -> ContactImport:
    """The last step: queue the import into ``group``; a task does the work."""
    from contacts.tasks import import_contacts

    _draft(contact_import)
    if group.partner_id != contact_import.partner_id:
        raise ValidationError({"group": _("Choose a group from your own list.")})
    if not contact_import_ready(contact_import):
        raise ValidationError(_("Map a column to Phone first."), code="mapping")
    updated = ContactImport.objects.filter(pk=contact_import.pk, status=ContactImport.Status.DRAFT).update(
        status=ContactImport.Status.QUEUED, group=group, group_name=group.name, created_at=timezone.now()
    )
    if not updated:
        raise ValidationError(_("This import has already started; start a new one."), code="started")
    contact_import.refresh_from_db()
    transaction.on_commit(lambda: import_contacts.delay(contact_import.pk))
    return contact_import


@transaction.atomic
def contact_import_discard(*, contact_import: ContactImport) -> None:
    """Drop a draft and its file (the user starts the wizard again)."""
    _draft(contact_import)
    contact_import.file.delete(save=False)
    contact_import.delete()


# The import itself runs in contacts.services.importer -------------------------------------------------------------


def contact_import_run(*, contact_import: ContactImport, batch_rows: int | None = None) -> ContactImport:
    """Import the file into contacts; safe to call again (it resumes after the last finished batch)."""
    from contacts.services.importer import BATCH_ROWS, run_import

    return run_import(contact_import, batch_rows or BATCH_ROWS)

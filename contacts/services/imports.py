"""Contact imports: the wizard's writes (upload, mapping, start) and the batched import that a task runs.

The import reads the stored file as a stream and works in batches of a few thousand rows. Each batch
is one transaction that also advances the import's counters, so a task that runs again after a worker
died continues after the last finished batch instead of starting over.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Country
from billing.services.reference import NumberResolver
from contacts import files
from contacts.models import (
    Contact,
    ContactField,
    ContactImport,
    Group,
    ImportRowError,
    Membership,
    StopEntry,
)
from contacts.services._sql import insert_rows
from contacts.values import STANDARD_COLUMNS, clean_custom_value, parse_date, parse_gender, text
from senders.models import SenderID
from tenancy.models import Partner, User

logger = logging.getLogger(__name__)

BATCH_ROWS = 5000
MAX_STORED_ERRORS = 50_000
STALE_AFTER = timedelta(minutes=10)
PREVIEW_ROWS = 8
_EXISTING_COLUMNS = (
    "pk",
    "phone",
    "first_name",
    "last_name",
    "birth_date",
    "gender",
    "comment",
    "custom_values",
    "country_id",
    "network_id",
)
_INSERT_COLUMNS = (
    "partner_id",
    "phone",
    "first_name",
    "last_name",
    "birth_date",
    "gender",
    "comment",
    "custom_values",
    "country_id",
    "network_id",
    "created_by_id",
    "created_at",
    "updated_at",
)
# What an import may change on a contact it meets again (never who created it, or when).
_UPDATE_COLUMNS = (
    "first_name",
    "last_name",
    "birth_date",
    "gender",
    "comment",
    "custom_values",
    "country_id",
    "network_id",
    "updated_at",
)
_TEXT_LIMITS = {"first_name": 100, "last_name": 100, "comment": 1000}

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


# The import itself -------------------------------------------------------------------------------------------------


@dataclass
class _Parsed:
    row: int
    phone: str
    country_id: int
    network_id: int | None
    values: dict[str, Any]
    custom: dict[str, Any]


@dataclass
class _Outcome:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    invalid: int = 0
    errors: list[ImportRowError] = field(default_factory=list)


class _Importer:
    """Turns rows of the file into contacts, one batch per transaction."""

    def __init__(self, contact_import: ContactImport) -> None:
        self.job = contact_import
        self.partner_id = contact_import.partner_id
        self.resolver = NumberResolver()
        self.region = contact_import.default_country.iso_code if contact_import.default_country else None
        self.date_format = getattr(contact_import.created_by, "date_format", "YYYY-MM-DD")
        self.fields = {field_key(f): f for f in ContactField.objects.for_partner(contact_import.partner)}
        self.required = [f for f in self.fields.values() if f.required]
        mapping = list(contact_import.mapping or [])
        self.phone_index = mapping.index("phone")
        self.columns = [(index, key) for index, key in enumerate(mapping) if key and key != "phone"]
        self.group_id = contact_import.group_id
        self.sender_pks: list[int | None] = (
            [None] if contact_import.all_sender_ids else list(contact_import.sender_ids.values_list("pk", flat=True))
        )
        self.action = contact_import.stop_list_action
        mode = contact_import.existing_action
        self.update_only = mode == ContactImport.ExistingAction.UPDATE_EXISTING
        self.add_only = mode == ContactImport.ExistingAction.ADD_NEW
        self.exclude_stop_listed = self.action == ContactImport.StopListAction.EXCLUDE
        self.stop_list_in_use = StopEntry.objects.for_partner(contact_import.partner).exists()
        self.seen: set[int] = set()
        self.stored_errors = contact_import.errors.count()

    # Rows -> values

    def parse(self, row_number: int, cells: list[Any]) -> _Parsed:
        raw_phone = text(cells[self.phone_index]) if self.phone_index < len(cells) else ""
        if not raw_phone:
            raise ValidationError(_("The phone number is empty."), code="no_phone")
        resolved = self.resolver.resolve(raw_phone, self.region)
        values: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for index, key in self.columns:
            cell = cells[index] if index < len(cells) else None
            if cell is None or cell == "":
                continue
            if key in _TEXT_LIMITS:
                value = text(cell)
                if len(value) > _TEXT_LIMITS[key]:
                    raise ValidationError(
                        _("%(field)s is longer than %(max)d characters.")
                        % {"field": STANDARD_COLUMNS[key], "max": _TEXT_LIMITS[key]},
                        code="too_long",
                    )
                if value:
                    values[key] = value
            elif key == "birth_date":
                values[key] = parse_date(cell, self.date_format)
            elif key == "gender":
                values[key] = parse_gender(cell)
            else:
                cleaned = clean_custom_value(self.fields[key], cell, self.date_format)
                if cleaned is not None:
                    custom[self.fields[key].variable] = cleaned
        network_id = resolved.network.pk if resolved.network is not None else None
        return _Parsed(row_number, resolved.e164, resolved.country.pk, network_id, values, custom)

    def _error(self, outcome: _Outcome, row: int, phone: Any, reason: str) -> None:
        outcome.invalid += 1
        if self.stored_errors < MAX_STORED_ERRORS:
            self.stored_errors += 1
            outcome.errors.append(
                ImportRowError(contact_import_id=self.job.pk, row=row, phone=text(phone)[:100], reason=reason[:300])
            )

    def _missing_required(self, custom: dict[str, Any]) -> str | None:
        missing = [f.name for f in self.required if custom.get(f.variable) in (None, "")]
        if missing:
            return _("Required fields are empty: %(fields)s.") % {"fields": ", ".join(missing)}
        return None

    # One batch

    def process(self, rows: list[tuple[int, list[Any]]]) -> _Outcome:
        outcome = _Outcome()
        parsed: dict[str, _Parsed] = {}
        for row_number, cells in rows:
            try:
                item = self.parse(row_number, cells)
            except ValidationError as error:
                phone = cells[self.phone_index] if self.phone_index < len(cells) else ""
                self._error(outcome, row_number, phone, " ".join(error.messages))
                continue
            number = int(item.phone)
            if number in self.seen:
                outcome.skipped += 1  # the number appears earlier in the file
                continue
            self.seen.add(number)
            parsed[item.phone] = item
        if parsed:
            self._write(parsed, outcome)
        if outcome.errors:
            ImportRowError.objects.bulk_create(outcome.errors)
        return outcome

    def _write(self, parsed: dict[str, _Parsed], outcome: _Outcome) -> None:
        ops = connection.ops
        existing = {
            row[1]: row
            for row in Contact.objects.filter(partner_id=self.partner_id, phone__in=list(parsed)).values_list(
                *_EXISTING_COLUMNS
            )
        }
        blocked: set[int] = set()
        if existing and self.exclude_stop_listed and self.stop_list_in_use:
            ids = [row[0] for row in existing.values()]
            blocked = set(StopEntry.objects.filter(contact_id__in=ids).values_list("contact_id", flat=True))
        now = ops.adapt_datetimefield_value(timezone.now())
        created_by = self.job.created_by_id
        writes: list[tuple[Any, ...]] = []
        new_phones: list[str] = []
        touched_ids: list[int] = []
        for phone, item in parsed.items():
            current = existing.get(phone)
            if current is None:
                if self.update_only:
                    outcome.skipped += 1
                    continue
                problem = self._missing_required(item.custom) if self.required else None
                if problem:
                    self._error(outcome, item.row, phone, problem)
                    continue
                values = item.values
                birth = values.get("birth_date")
                writes.append(
                    (
                        self.partner_id,
                        phone,
                        values.get("first_name", ""),
                        values.get("last_name", ""),
                        ops.adapt_datefield_value(birth) if birth else None,
                        values.get("gender", ""),
                        values.get("comment", ""),
                        ops.adapt_json_value(item.custom, None),
                        item.country_id,
                        item.network_id,
                        created_by,
                        now,
                        now,
                    )
                )
                new_phones.append(phone)
                outcome.created += 1
                continue
            pk, _phone, first, last, birth, gender, comment, custom, country_id, network_id = current
            if self.add_only or pk in blocked:
                outcome.skipped += 1
                continue
            merged = {**custom, **item.custom} if item.custom else custom
            problem = self._missing_required(merged) if self.required else None
            if problem:
                self._error(outcome, item.row, phone, problem)
                continue
            values = item.values
            changed_values = (
                values.get("first_name", first),
                values.get("last_name", last),
                values.get("birth_date", birth),
                values.get("gender", gender),
                values.get("comment", comment),
            )
            if (
                changed_values != (first, last, birth, gender, comment)
                or merged != custom
                or (country_id, network_id) != (item.country_id, item.network_id)
            ):
                new_birth = changed_values[2]
                writes.append(
                    (
                        self.partner_id,
                        phone,
                        changed_values[0],
                        changed_values[1],
                        ops.adapt_datefield_value(new_birth) if new_birth else None,
                        changed_values[3],
                        changed_values[4],
                        ops.adapt_json_value(merged, None),
                        item.country_id,
                        item.network_id,
                        created_by,
                        now,
                        now,
                    )
                )
            touched_ids.append(pk)
            outcome.updated += 1
        # One statement per few thousand rows: new numbers are inserted, known ones meet their row and update it.
        returned = insert_rows(
            Contact,
            _INSERT_COLUMNS,
            writes,
            conflict=("partner_id", "phone"),
            update=_UPDATE_COLUMNS,
            returning=("id", "phone"),
        )
        created = set(new_phones)
        imported = touched_ids + [pk for pk, phone in returned if phone in created]
        if imported and self.group_id:
            insert_rows(
                Membership, ("contact_id", "group_id"), [(pk, self.group_id) for pk in imported], ignore_conflicts=True
            )
        self._stop_list(imported, touched_ids, now)

    def _stop_list(self, imported: list[int], existing_ids: list[int], now: Any) -> None:
        if not imported or not self.sender_pks:
            return
        if self.action == ContactImport.StopListAction.BLOCK:
            insert_rows(
                StopEntry,
                ("partner_id", "contact_id", "sender_id", "created_by_id", "created_at"),
                [
                    (self.partner_id, pk, sender_pk, self.job.created_by_id, now)
                    for pk in imported
                    for sender_pk in self.sender_pks
                ],
                ignore_conflicts=True,
            )
        elif self.action == ContactImport.StopListAction.UNBLOCK and existing_ids and self.stop_list_in_use:
            entries = StopEntry.objects.filter(contact_id__in=existing_ids)
            if self.sender_pks != [None]:
                entries = entries.filter(sender_id__in=self.sender_pks)
            entries.delete()


def _data_rows(contact_import: ContactImport, reader: Iterator[list[Any]]) -> Iterator[tuple[int, list[Any]]]:
    """(row number in the file, cells) of every data row; blank rows are passed over but keep their number."""
    first = 2 if contact_import.has_header else 1
    if contact_import.has_header:
        next(reader, None)
    yield from enumerate(reader, start=first)


def _claim(contact_import: ContactImport) -> bool:
    """Take the import for this worker: a queued one, or one whose worker stopped reporting (it died)."""
    now = timezone.now()
    stale = Q(status=ContactImport.Status.PROCESSING, heartbeat_at__lt=now - STALE_AFTER)
    return bool(
        ContactImport.objects.filter(pk=contact_import.pk)
        .filter(Q(status=ContactImport.Status.QUEUED) | stale)
        .update(status=ContactImport.Status.PROCESSING, started_at=Coalesce("started_at", now), heartbeat_at=now)
    )


def _fail(contact_import: ContactImport, reason: str) -> None:
    ContactImport.objects.filter(pk=contact_import.pk, status=ContactImport.Status.PROCESSING).update(
        status=ContactImport.Status.FAILED, failure_reason=reason[:500], finished_at=timezone.now()
    )


class _Lost(Exception):
    """The import is no longer ours (another worker took it over); stop without writing."""


def contact_import_run(*, contact_import: ContactImport, batch_rows: int = BATCH_ROWS) -> ContactImport:
    """Import the file into contacts; safe to call again (it resumes after the last finished batch)."""
    if not _claim(contact_import):
        contact_import.refresh_from_db()
        return contact_import
    contact_import.refresh_from_db()
    try:
        _run(contact_import, batch_rows)
    except _Lost:
        logger.warning("contact import %s was taken over by another worker", contact_import.pk)
    except (ValidationError, UnicodeError, ValueError, KeyError) as error:
        reason = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        _fail(contact_import, _("The file could not be read: %(error)s") % {"error": reason})
    except Exception:
        logger.exception("contact import %s failed", contact_import.pk)
        _fail(contact_import, _("The import stopped because of an internal error; please try again."))
        raise
    contact_import.refresh_from_db()
    return contact_import


def _run(contact_import: ContactImport, batch_rows: int) -> None:
    if not contact_import.total_rows:
        total = max(files.count_rows(contact_import) - (1 if contact_import.has_header else 0), 0)
        ContactImport.objects.filter(pk=contact_import.pk).update(total_rows=total)
    importer = _Importer(contact_import)
    done = contact_import.processed_rows
    with files.open_rows(contact_import) as reader:
        rows = _data_rows(contact_import, reader)
        if done:
            next(islice(rows, done, done), None)  # resume after the batches already committed
        while True:
            batch = list(islice(rows, batch_rows))
            if not batch:
                break
            filled = [(number, cells) for number, cells in batch if any(cell not in (None, "") for cell in cells)]
            with transaction.atomic():
                outcome = importer.process(filled)
                advanced = ContactImport.objects.filter(
                    pk=contact_import.pk, status=ContactImport.Status.PROCESSING, processed_rows=done
                ).update(
                    processed_rows=F("processed_rows") + len(batch),
                    created_count=F("created_count") + outcome.created,
                    updated_count=F("updated_count") + outcome.updated,
                    skipped_count=F("skipped_count") + outcome.skipped,
                    invalid_count=F("invalid_count") + outcome.invalid,
                    heartbeat_at=timezone.now(),
                )
                if not advanced:
                    raise _Lost
            done += len(batch)
    _finish(contact_import, done)


def _finish(contact_import: ContactImport, processed: int) -> None:
    with transaction.atomic():
        job = ContactImport.objects.select_for_update().get(pk=contact_import.pk)
        if job.status != ContactImport.Status.PROCESSING:
            return
        if job.invalid_count:
            rows = ((error.row, error.phone, error.reason) for error in job.errors.order_by("row", "pk").iterator(2000))
            handle = files.write_csv([str(_("Row")), str(_("Phone")), str(_("Reason"))], rows)
            try:
                stem = os.path.splitext(job.file_name)[0][:80] or "import"
                job.error_file.save(f"{stem}-errors.csv", File(handle), save=False)
            finally:
                handle.close()
        job.status = ContactImport.Status.COMPLETED
        job.total_rows = processed
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "total_rows", "finished_at", "error_file"])

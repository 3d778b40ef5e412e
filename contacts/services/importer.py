"""The contact import that the ``import_contacts`` task runs: a stored file into contacts, in batches.

The file is read as a stream and cut into batches of a few thousand rows. Each batch is parsed (numbers
normalized with the reference book, values checked) and then written in one transaction that also
advances the import's counters, so a task that runs again after its worker died continues after the
last finished batch instead of starting over. Parsing is Python work and writing mostly is too, so a
large file is parsed in a forked process while this one writes the batch before.

Writes are set-based: the numbers the partner already has are known up front (a set of integers), so
new numbers go straight into one multi-row insert and only known ones are read back for updating.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from multiprocessing.connection import Connection, Pipe
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.types.json import Jsonb

from billing.services.reference import NumberResolver, normalize_number
from contacts import files
from contacts.models import Contact, ContactField, ContactImport, ImportRowError, Membership, StopEntry
from contacts.services._sql import copy_rows_postgresql, insert_rows, reserve_ids_postgresql, update_rows_postgresql
from contacts.values import STANDARD_COLUMNS, clean_custom_value, parse_date, parse_gender, text

logger = logging.getLogger(__name__)

BATCH_ROWS = 5000
# Below this many rows a second process costs more than it saves.
FORK_FROM_ROWS = 2 * BATCH_ROWS
MAX_STORED_ERRORS = 50_000
STALE_AFTER = timedelta(minutes=10)
LOOKUP_CHUNK = 1000  # known numbers read back per query (small enough for an index scan)
# How long the writer waits for the parsing process's next batch before it gives up on that process. A batch takes
# well under a second to parse; this stays below STALE_AFTER, after which another worker would take the import over.
PARSER_SILENCE_LIMIT = 300.0
# How often a writer that waits for a batch checks that the parsing process is still there.
PARSER_CHECK_EVERY = 1.0

# A contact's values that an import reads and writes, in the order of the tuples below.
_CONTACT_VALUES = (
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
_EXISTING_COLUMNS = ("pk", *_CONTACT_VALUES)
_INSERT_COLUMNS = ("partner_id", *_CONTACT_VALUES, "created_by_id", "created_at", "updated_at")
# What an import may change on a contact it meets again (never its number, who created it, or when).
_UPDATE_COLUMNS = (*_CONTACT_VALUES[1:], "updated_at")
_TEXT_LIMITS = {"first_name": 100, "last_name": 100, "comment": 1000}
_CUSTOM_TEXT_LIMIT = 500
# How a mapped column is read (see _Importer.parse).
_STANDARD_TEXT, _BIRTH_DATE, _GENDER, _CUSTOM_TEXT, _CUSTOM = range(5)


def field_key(contact_field: ContactField) -> str:
    return f"field:{contact_field.variable}"


# One parsed row: (row number, phone, country id, network id, standard values, custom values, the custom values
# as JSON). A plain tuple: a million of them are built, and sent from the parsing process to the writing one,
# which spares itself the JSON encoding that PostgreSQL needs.
_Parsed = tuple[int, str, int, int | None, dict[str, Any], dict[str, Any], str]


@dataclass
class _Batch:
    """One batch after parsing: what the writer needs, and what parsing already counted."""

    size: int
    parsed: dict[str, _Parsed]  # by phone; the first row of each number
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    duplicates: int = 0


@dataclass
class _Outcome:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    invalid: int = 0
    errors: list[ImportRowError] = field(default_factory=list)


class _Lost(Exception):
    """The import is no longer ours (another worker took it over); stop without writing."""


class _ParserStopped(Exception):
    """The process parsing the file died or went silent; the import fails with ``reason`` (for the user)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Importer:
    def __init__(self, contact_import: ContactImport) -> None:
        self.job = contact_import
        self.partner_id = contact_import.partner_id
        self.created_by = contact_import.created_by_id
        self.resolver = NumberResolver()
        self.region = contact_import.default_country.iso_code if contact_import.default_country else None
        self.date_format = getattr(contact_import.created_by, "date_format", "YYYY-MM-DD")
        self.fields = {field_key(f): f for f in ContactField.objects.for_partner(contact_import.partner)}
        self.required = [f for f in self.fields.values() if f.required]
        mapping = list(contact_import.mapping or [])
        self.phone_index = mapping.index("phone")
        self.columns = [(index, *self._reading(key)) for index, key in enumerate(mapping) if key and key != "phone"]
        self.genders: dict[str, str] = {}
        self.group_id = contact_import.group_id
        self.sender_pks: list[int | None] = (
            [None] if contact_import.all_sender_ids else list(contact_import.sender_ids.values_list("pk", flat=True))
        )
        action, mode = contact_import.stop_list_action, contact_import.existing_action
        self.block = action == ContactImport.StopListAction.BLOCK
        self.unblock = action == ContactImport.StopListAction.UNBLOCK
        self.exclude_stop_listed = action == ContactImport.StopListAction.EXCLUDE
        self.update_only = mode == ContactImport.ExistingAction.UPDATE_EXISTING
        self.add_only = mode == ContactImport.ExistingAction.ADD_NEW
        self.stop_list_in_use = StopEntry.objects.for_partner(contact_import.partner).exists()
        self.seen: set[int] = set()
        # The partner's numbers when the import starts: new numbers need no lookup. One created meanwhile by
        # someone else is caught by the insert (it skips conflicts) and then treated as known.
        phones = Contact.objects.filter(partner_id=self.partner_id).values_list("phone", flat=True)
        self.known: set[int] = {int(phone) for phone in phones.iterator(chunk_size=20_000)}
        self.stored_errors = contact_import.errors.count()
        # On PostgreSQL the database merges the file's values into known contacts and skips the unchanged ones,
        # so their current values are not read, unless a required field must be checked against them.
        self.merge_in_database = connection.vendor == "postgresql" and not self.required

    # Parsing (no database) ---------------------------------------------------------------------------------------

    def _reading(self, key: str) -> tuple[int, str, ContactField | None]:
        """How a column mapped to ``key`` is read: a kind, the name its value is stored under, its custom field."""
        if key in _TEXT_LIMITS:
            return _STANDARD_TEXT, key, None
        if key == "birth_date":
            return _BIRTH_DATE, key, None
        if key == "gender":
            return _GENDER, key, None
        custom = self.fields[key]
        return (_CUSTOM_TEXT if custom.data_type == ContactField.DataType.TEXT else _CUSTOM), custom.variable, custom

    def parse(self, row_number: int, cells: list[Any]) -> _Parsed:
        raw = cells[self.phone_index] if self.phone_index < len(cells) else None
        raw_phone = raw if type(raw) is str else text(raw)
        if not raw_phone:
            raise ValidationError(_("The phone number is empty."), code="no_phone")
        phone = normalize_number(raw_phone, self.region)
        country, network = self.resolver.locate(phone, raw_phone)
        values: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for index, kind, name, custom_field in self.columns:
            cell = cells[index] if index < len(cells) else None
            if cell is None or cell == "":
                continue
            if kind == _CUSTOM_TEXT and type(cell) is str:
                value = cell.strip()
                if value and len(value) <= _CUSTOM_TEXT_LIMIT:
                    custom[name] = value
                    continue
            if kind == _STANDARD_TEXT:
                value = cell.strip() if type(cell) is str else text(cell)
                if len(value) > _TEXT_LIMITS[name]:
                    raise ValidationError(
                        _("%(field)s is longer than %(max)d characters.")
                        % {"field": STANDARD_COLUMNS[name], "max": _TEXT_LIMITS[name]},
                        code="too_long",
                    )
                if value:
                    values[name] = value
            elif kind == _BIRTH_DATE:
                values[name] = parse_date(cell, self.date_format)
            elif kind == _GENDER:
                values[name] = self._gender(cell)
            else:
                cleaned = clean_custom_value(custom_field, cell, self.date_format)  # type: ignore[arg-type]
                if cleaned is not None:
                    custom[name] = cleaned
        encoded = json.dumps(custom) if custom else "{}"
        return (row_number, phone, country.pk, network.pk if network else None, values, custom, encoded)

    def _gender(self, cell: Any) -> str:
        if type(cell) is not str:
            return parse_gender(cell)
        gender = self.genders.get(cell)
        if gender is None:
            gender = parse_gender(cell)
            if len(self.genders) < 1000:  # a file spells genders a few ways
                self.genders[cell] = gender
        return gender

    def parse_batch(self, rows: list[tuple[int, list[Any]]]) -> _Batch:
        """Parse rows; a number repeated within them is counted once as a duplicate (see ``take``)."""
        batch = _Batch(size=len(rows), parsed={})
        parsed = batch.parsed
        for row_number, cells in rows:
            if not any(cells) and not any(cell is not None and cell != "" for cell in cells):
                continue  # a blank line
            try:
                item = self.parse(row_number, cells)
            except ValidationError as error:
                phone = cells[self.phone_index] if self.phone_index < len(cells) else ""
                batch.errors.append((row_number, text(phone), " ".join(error.messages)))
                continue
            if item[1] in parsed:
                batch.duplicates += 1  # the number appears earlier in the batch
                continue
            parsed[item[1]] = item
        return batch

    def take(self, batch: _Batch) -> _Batch:
        """The batch without the numbers that earlier batches of the file had (each counted as a duplicate)."""
        seen = self.seen
        repeated = [phone for phone in batch.parsed if int(phone) in seen]
        for phone in repeated:
            del batch.parsed[phone]
        batch.duplicates += len(repeated)
        seen.update(int(phone) for phone in batch.parsed)
        return batch

    # Writing (one transaction per batch) -------------------------------------------------------------------------

    def _error(self, outcome: _Outcome, row: int, phone: str, reason: str) -> None:
        outcome.invalid += 1
        if self.stored_errors < MAX_STORED_ERRORS:
            self.stored_errors += 1
            outcome.errors.append(
                ImportRowError(contact_import_id=self.job.pk, row=row, phone=phone[:100], reason=reason[:300])
            )

    def _missing_required(self, custom: dict[str, Any]) -> str | None:
        missing = [f.name for f in self.required if custom.get(f.variable) in (None, "")]
        if missing:
            return _("Required fields are empty: %(fields)s.") % {"fields": ", ".join(missing)}
        return None

    def write(self, batch: _Batch) -> _Outcome:
        outcome = _Outcome(skipped=batch.duplicates)
        for row, phone, reason in batch.errors:
            self._error(outcome, row, phone, reason)
        if batch.parsed:
            self._write(batch.parsed, outcome)
        if outcome.errors:
            ImportRowError.objects.bulk_create(outcome.errors)
        return outcome

    def _load(self, phones: list[str]) -> dict[str, tuple[Any, ...]]:
        """The partner's contacts with these numbers, as ``_EXISTING_COLUMNS`` tuples keyed by phone.

        The last item says whether the contact is in the import's group already (it is not added again).
        When the database merges the values, only the first two columns are read (and that last item).
        """
        found: dict[str, tuple[Any, ...]] = {}
        if connection.vendor == "postgresql":
            # One unique-index probe per number. An IN list makes the planner guess how many numbers match
            # and, while a fresh table has no statistics, read every contact of the partner for each batch.
            # LATERAL ... LIMIT 1 keeps both look-ups index probes, whatever the planner guesses.
            names = _EXISTING_COLUMNS[1:2] if self.merge_in_database else _EXISTING_COLUMNS[1:]
            columns = ", ".join(f"c.{name}" for name in ("id", *names))
            contacts, memberships = Contact._meta.db_table, Membership._meta.db_table
            sql = (
                f"SELECT {columns}, member.one IS NOT NULL FROM unnest(%s::text[]) AS wanted(phone) "  # noqa: S608
                f"CROSS JOIN LATERAL (SELECT * FROM {contacts} "
                "WHERE partner_id = %s AND phone = wanted.phone LIMIT 1) c "
                f"LEFT JOIN LATERAL (SELECT 1 AS one FROM {memberships} m "
                "WHERE m.contact_id = c.id AND m.group_id = %s LIMIT 1) member ON true"
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, [phones, self.partner_id, self.group_id or 0])
                if self.merge_in_database:
                    return {row[1]: row for row in cursor.fetchall()}
                for row in cursor.fetchall():
                    custom = json.loads(row[7]) if isinstance(row[7], str) else row[7]
                    found[row[1]] = (*row[:7], custom, *row[8:])
            return found
        for start in range(0, len(phones), LOOKUP_CHUNK):
            rows = list(
                Contact.objects.filter(
                    partner_id=self.partner_id, phone__in=phones[start : start + LOOKUP_CHUNK]
                ).values_list(*_EXISTING_COLUMNS)
            )
            in_group = Membership.objects.filter(group_id=self.group_id or 0, contact_id__in=[row[0] for row in rows])
            members = set(in_group.values_list("contact_id", flat=True))
            found.update((row[1], (*row, row[0] in members)) for row in rows)
        return found

    def _write(self, parsed: dict[str, _Parsed], outcome: _Outcome) -> None:
        known = self.known
        existing = self._load([phone for phone in parsed if int(phone) in known])
        now = timezone.now()
        fresh = [item for phone, item in parsed.items() if phone not in existing]
        new_ids, late = self._insert_new(fresh, outcome, now)
        if late:  # created by someone else since the import started: update them like the others
            more = self._load([item[1] for item in late])
            existing.update(more)
            known.update(int(phone) for phone in more)
        touched = self._update_known(
            [(existing[phone], item) for phone, item in parsed.items() if phone in existing], outcome, now
        )
        imported = touched + new_ids
        if imported and self.group_id:
            members = {row[0] for row in existing.values() if row[-1]}
            joining = [pk for pk in touched if pk not in members]
            if connection.vendor == "postgresql":  # contacts created in this transaction are in no group yet
                rows = [(pk, self.group_id) for pk in new_ids]
                if not copy_rows_postgresql(Membership, ("contact_id", "group_id"), rows):
                    joining += new_ids
            else:
                joining += new_ids
            self._join_group(joining)
        self._stop_list(imported, touched, now)

    def _join_group(self, contact_ids: list[int]) -> None:
        if not contact_ids:
            return
        if connection.vendor == "postgresql":  # two integers a row: one array parameter is cheaper than a COPY
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {Membership._meta.db_table} (contact_id, group_id) "  # noqa: S608
                    "SELECT unnest(%s::bigint[]), %s ON CONFLICT DO NOTHING",
                    [contact_ids, self.group_id],
                )
            return
        rows = [(pk, self.group_id) for pk in contact_ids]
        insert_rows(Membership, ("contact_id", "group_id"), rows, ignore_conflicts=True)

    def _insert_new(self, items: list[_Parsed], outcome: _Outcome, now: datetime) -> tuple[list[int], list[_Parsed]]:
        """Insert the numbers the partner did not have; returns their ids and the ones that exist after all."""
        if not items:
            return [], []
        if self.update_only:
            outcome.skipped += len(items)
            return [], []
        rows = []
        partner_id, created_by = self.partner_id, self.created_by
        postgresql = connection.vendor == "postgresql"
        for row, phone, country_id, network_id, values, custom, encoded in items:
            problem = self._missing_required(custom) if self.required else None
            if problem:
                self._error(outcome, row, phone, problem)
                continue
            rows.append(
                (
                    partner_id,
                    phone,
                    values.get("first_name", ""),
                    values.get("last_name", ""),
                    values.get("birth_date"),
                    values.get("gender", ""),
                    values.get("comment", ""),
                    Jsonb(encoded, str) if postgresql else custom,
                    country_id,
                    network_id,
                    created_by,
                    now,
                    now,
                )
            )
        if postgresql:
            # The numbers were not the partner's when the import started: straight in, unless one is by now.
            ids = reserve_ids_postgresql(Contact, len(rows))
            numbered = ((pk, *row) for pk, row in zip(ids, rows, strict=True))
            if copy_rows_postgresql(Contact, ("id", *_INSERT_COLUMNS), numbered):
                outcome.created += len(ids)
                return ids, []
        returned = insert_rows(Contact, _INSERT_COLUMNS, rows, ignore_conflicts=True, returning=("id", "phone"))
        outcome.created += len(returned)
        if len(returned) == len(rows):
            return [pk for pk, _phone in returned], []
        attempted = {row[1] for row in rows}
        inserted = {phone for _pk, phone in returned}
        late = [item for item in items if item[1] in attempted and item[1] not in inserted]
        return [pk for pk, _phone in returned], late

    def _update_known(
        self, pairs: list[tuple[tuple[Any, ...], _Parsed]], outcome: _Outcome, now: datetime
    ) -> list[int]:
        """Apply the file's values to contacts the partner has; returns the ids of those taken in."""
        if not pairs:
            return []
        if self.add_only:
            outcome.skipped += len(pairs)
            return []
        blocked: set[int] = set()
        if self.exclude_stop_listed and self.stop_list_in_use:
            ids = [current[0] for current, _item in pairs]
            blocked = set(StopEntry.objects.filter(contact_id__in=ids).values_list("contact_id", flat=True))
        if self.merge_in_database:
            return self._merge_known(pairs, blocked, outcome, now)
        touched: list[int] = []
        writes: list[tuple[Any, ...]] = []
        for current, item in pairs:
            pk, phone, first, last, birth, gender, comment, custom, country_id, network_id, _member = current
            if pk in blocked:
                outcome.skipped += 1
                continue
            row, _phone, new_country_id, new_network_id, values, new_custom, _encoded = item
            merged = {**custom, **new_custom} if new_custom else custom
            problem = self._missing_required(merged) if self.required else None
            if problem:
                self._error(outcome, row, phone, problem)
                continue
            after = (
                values.get("first_name", first),
                values.get("last_name", last),
                values.get("birth_date", birth),
                values.get("gender", gender),
                values.get("comment", comment),
            )
            location = (new_country_id, new_network_id)
            if (
                after != (first, last, birth, gender, comment)
                or merged != custom
                or location != (country_id, network_id)
            ):
                writes.append((pk, phone, *after, merged, *location))
            touched.append(pk)
            outcome.updated += 1
        if connection.vendor == "postgresql":
            update_rows_postgresql(Contact, _UPDATE_COLUMNS, [(pk, *rest, now) for pk, _phone, *rest in writes])
        else:  # inserts that meet their existing rows: the database updates them in place, in one statement
            rows = [(self.partner_id, phone, *rest, self.created_by, now, now) for _pk, phone, *rest in writes]
            insert_rows(Contact, _INSERT_COLUMNS, rows, conflict=("partner_id", "phone"), update=_UPDATE_COLUMNS)
        return touched

    def _merge_known(
        self, pairs: list[tuple[tuple[Any, ...], _Parsed]], blocked: set[int], outcome: _Outcome, now: datetime
    ) -> list[int]:
        """``_update_known`` on PostgreSQL: the database keeps what the file leaves empty and skips unchanged rows."""
        touched: list[int] = []
        writes: list[tuple[Any, ...]] = []
        for current, (_row, _phone, country_id, network_id, values, custom, encoded) in pairs:
            pk = current[0]
            if pk in blocked:
                outcome.skipped += 1
                continue
            get = values.get
            writes.append(
                (
                    pk,
                    get("first_name"),
                    get("last_name"),
                    get("birth_date"),
                    get("gender"),
                    get("comment"),
                    Jsonb(encoded, str) if custom else None,
                    country_id,
                    network_id,
                )
            )
            touched.append(pk)
        outcome.updated += len(touched)
        update_rows_postgresql(
            Contact,
            _UPDATE_COLUMNS[:-1],
            writes,
            keep=_UPDATE_COLUMNS[:5],
            merge=("custom_values",),
            when_changed={"updated_at": now},
        )
        return touched

    def _stop_list(self, imported: list[int], known_ids: list[int], now: datetime) -> None:
        if not imported or not self.sender_pks:
            return
        if self.block:
            insert_rows(
                StopEntry,
                ("partner_id", "contact_id", "sender_id", "created_by_id", "created_at"),
                [(self.partner_id, pk, sender, self.created_by, now) for pk in imported for sender in self.sender_pks],
                ignore_conflicts=True,
            )
        elif self.unblock and known_ids and self.stop_list_in_use:
            entries = StopEntry.objects.filter(contact_id__in=known_ids)
            if self.sender_pks != [None]:
                entries = entries.filter(sender_id__in=self.sender_pks)
            entries.delete()


# Running -----------------------------------------------------------------------------------------------------------


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


def run_import(contact_import: ContactImport, batch_rows: int = BATCH_ROWS) -> ContactImport:
    if not _claim(contact_import):
        contact_import.refresh_from_db()
        return contact_import
    contact_import.refresh_from_db()
    try:
        _run(contact_import, batch_rows)
    except _Lost:
        logger.warning("contact import %s was taken over by another worker", contact_import.pk)
    except _ParserStopped as stopped:
        _fail(contact_import, stopped.reason)
    except (ValidationError, UnicodeError, ValueError, KeyError) as error:
        reason = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        _fail(contact_import, _("The file could not be read: %(error)s") % {"error": reason})
    except Exception:
        logger.exception("contact import %s failed", contact_import.pk)
        _fail(contact_import, _("The import stopped because of an internal error; please try again."))
        raise
    contact_import.refresh_from_db()
    return contact_import


def _data_rows(contact_import: ContactImport, reader: Iterator[list[Any]]) -> Iterator[tuple[int, list[Any]]]:
    """(row number in the file, cells) of every data row; blank rows keep their number."""
    if contact_import.has_header:
        next(reader, None)
    yield from enumerate(reader, start=2 if contact_import.has_header else 1)


def _commit(importer: _Importer, batch: _Batch, job_pk: int, done: int) -> int:
    """Write one batch and advance the counters in the same transaction; the rows processed so far."""
    with transaction.atomic():
        outcome = importer.write(batch)
        advanced = ContactImport.objects.filter(
            pk=job_pk, status=ContactImport.Status.PROCESSING, processed_rows=done
        ).update(
            processed_rows=F("processed_rows") + batch.size,
            created_count=F("created_count") + outcome.created,
            updated_count=F("updated_count") + outcome.updated,
            skipped_count=F("skipped_count") + outcome.skipped,
            invalid_count=F("invalid_count") + outcome.invalid,
            heartbeat_at=timezone.now(),
        )
        if not advanced:
            raise _Lost
    return done + batch.size


def _run(contact_import: ContactImport, batch_rows: int) -> None:
    if not contact_import.total_rows:
        total = max(files.count_rows(contact_import) - (1 if contact_import.has_header else 0), 0)
        ContactImport.objects.filter(pk=contact_import.pk).update(total_rows=total)
        contact_import.total_rows = total
    importer = _Importer(contact_import)
    done = contact_import.processed_rows
    left = contact_import.total_rows - done
    # A caller's own transaction (tests run in one) keeps everything in this process.
    alongside = left >= FORK_FROM_ROWS and not connection.in_atomic_block and hasattr(os, "fork")
    parse = _parse_alongside if alongside else _parse
    with closing(parse(importer, contact_import, done, batch_rows)) as batches:  # a failed write ends the parsing
        for batch in batches:
            done = _commit(importer, importer.take(batch), contact_import.pk, done)
    _finish(contact_import)


def _parse(
    importer: _Importer, contact_import: ContactImport, done: int, batch_rows: int
) -> Generator[_Batch, None, None]:
    """The file's batches after the first ``done`` rows, parsed (not yet checked against earlier batches)."""
    with files.open_rows(contact_import) as reader:
        rows = _data_rows(contact_import, reader)
        if done:
            next(islice(rows, done, done), None)  # resume after the batches already committed
        for chunk in iter(lambda: list(islice(rows, batch_rows)), []):
            yield importer.parse_batch(chunk)


def _parse_alongside(
    importer: _Importer, contact_import: ContactImport, done: int, batch_rows: int
) -> Generator[_Batch, None, None]:
    """``_parse`` in a forked process, one batch ahead of the caller, which writes meanwhile.

    The child reads the file itself and sends parsed batches through a pipe; it never touches the
    database connection it inherited (it leaves with ``os._exit``, which closes nothing on the server's
    side). When it cannot be forked the batches are parsed here. A write that fails closes the pipe,
    which ends the child at its next batch; it is killed and reaped all the same. A child that dies, or sends
    nothing for ``PARSER_SILENCE_LIMIT`` seconds, fails the import (``_ParserStopped``).
    """
    receiver, sender = Pipe(duplex=False)
    try:
        pid = os.fork()
    except OSError:
        logger.warning("contact import %s: no process to parse in, parsing inline", contact_import.pk, exc_info=True)
        receiver.close()
        sender.close()
        yield from _parse(importer, contact_import, done, batch_rows)
        return
    if pid == 0:  # the child
        status = 0
        try:
            receiver.close()
            for batch in _parse(importer, contact_import, done, batch_rows):
                sender.send(batch)
            sender.send(None)
        except BrokenPipeError:
            status = 1  # the writer stopped
        except BaseException as error:  # the writer raises it, as if it had parsed the batch itself
            status = 1
            try:
                sender.send(error)
            except Exception:  # an exception that does not pickle
                sender.send(RuntimeError(f"{type(error).__name__}: {error}"))
        finally:
            os._exit(status)
    sender.close()
    logger.info("contact import %s: parsing in process %s", contact_import.pk, pid)
    parser = _ParserProcess(pid, contact_import.pk)
    finished = False
    try:
        while (item := parser.receive(receiver)) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
        finished = True
    finally:
        receiver.close()
        parser.end(kill=not finished)


class _ParserProcess:
    """The writer's view of the forked parsing process: its batches, whether it is still there, and its end."""

    def __init__(self, pid: int, job_pk: int) -> None:
        self.pid = pid
        self.job_pk = job_pk
        self.status: int | None = None  # its wait status, once reaped

    def receive(self, receiver: Connection) -> _Batch | BaseException | None:
        """The next item it sent; raises ``_ParserStopped`` if it died, or sent nothing for too long."""
        # Only a batch that is not ready yet costs more than this first poll.
        if not receiver.poll(0):
            deadline = time.monotonic() + PARSER_SILENCE_LIMIT
            while not receiver.poll(max(min(PARSER_CHECK_EVERY, deadline - time.monotonic()), 0)):
                # A dead process's end of the pipe closes with it (poll sees the end of the file), unless another
                # process holds a copy of it; its exit status says it all the same.
                if self.exited() and not receiver.poll(0):
                    raise self._died()
                if time.monotonic() >= deadline:
                    logger.error(
                        "contact import %s: the parsing process %s sent nothing for %ss; stopping it",
                        self.job_pk,
                        self.pid,
                        PARSER_SILENCE_LIMIT,
                    )
                    raise _ParserStopped(
                        _(
                            "The import stopped because reading the file made no progress. "
                            "The rows before that point were imported; please try again."
                        )
                    )
        try:
            item: _Batch | BaseException | None = receiver.recv()
        except (EOFError, OSError) as error:  # the pipe closed, at a message's start or within it
            raise self._died() from error
        return item

    def exited(self) -> bool:
        """Whether it has ended (and then it is reaped)."""
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
        return self.status is not None

    def end(self, *, kill: bool) -> None:
        """Reap it, killed first unless it finished (it never outlives the import, nor stays a zombie)."""
        if self.status is not None:
            return
        if kill:
            os.kill(self.pid, signal.SIGKILL)
        _pid, self.status = os.waitpid(self.pid, 0)

    def _died(self) -> _ParserStopped:
        how = "the pipe closed"
        if self.exited() and self.status is not None:
            how = f"exit status {os.waitstatus_to_exitcode(self.status)}"
        logger.error("contact import %s: the parsing process %s ended unexpectedly (%s)", self.job_pk, self.pid, how)
        return _ParserStopped(
            _(
                "The import stopped because the process reading the file ended unexpectedly. "
                "The rows before that point were imported; please try again."
            )
        )


def _finish(contact_import: ContactImport) -> None:
    with transaction.atomic():
        job = ContactImport.objects.select_for_update().get(pk=contact_import.pk)
        if job.status != ContactImport.Status.PROCESSING:
            return
        if job.invalid_count:
            rows = ((error.row, error.phone, error.reason) for error in job.errors.order_by("row", "pk").iterator(2000))
            handle = files.write_csv([str(_("Row")), str(_("Phone")), str(_("Reason"))], rows)
            try:
                stem = job.file_name.rsplit(".", 1)[0][:80] or "import"
                job.error_file.save(f"{stem}-errors.csv", File(handle), save=False)
            finally:
                handle.close()
        job.status = ContactImport.Status.COMPLETED
        job.total_rows = job.processed_rows
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "total_rows", "finished_at", "error_file"])

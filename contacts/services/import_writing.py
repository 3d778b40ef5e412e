"""A parsed batch of an import written into the partner's contacts, set-based (see ``importer``).

The numbers the partner already has are known up front (a set of integers), so new numbers go straight into one
multi-row insert and only known ones are read back for updating.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.types.json import Jsonb

from contacts.models import Contact, ContactField, ContactImport, ImportRowError, Membership, StopEntry
from contacts.services._sql import copy_rows_postgresql, insert_rows, reserve_ids_postgresql, update_rows_postgresql
from contacts.services.import_parsing import Batch, Parsed

MAX_STORED_ERRORS = 50_000
LOOKUP_CHUNK = 1000  # known numbers read back per query (small enough for an index scan)

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


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    invalid: int = 0
    errors: list[ImportRowError] = field(default_factory=list)


class BatchWriter:
    """Writes an import's batches (the caller holds each in a transaction); one per import, in the worker."""

    def __init__(self, contact_import: ContactImport, required: list[ContactField]) -> None:
        self.job = contact_import
        self.partner_id = contact_import.partner_id
        self.created_by = contact_import.created_by_id
        self.required = required
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
        # The partner's numbers when the import starts: new numbers need no lookup. One created meanwhile by
        # someone else is caught by the insert (it skips conflicts) and then treated as known.
        phones = Contact.objects.filter(partner_id=self.partner_id).values_list("phone", flat=True)
        self.known: set[int] = {int(phone) for phone in phones.iterator(chunk_size=20_000)}
        self.stored_errors = contact_import.errors.count()
        # On PostgreSQL the database merges the file's values into known contacts and skips the unchanged ones,
        # so their current values are not read, unless a required field must be checked against them.
        self.merge_in_database = connection.vendor == "postgresql" and not self.required

    def _error(self, outcome: Outcome, row: int, phone: str, reason: str) -> None:
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

    def write(self, batch: Batch) -> Outcome:
        outcome = Outcome(skipped=batch.duplicates)
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

    def _write(self, parsed: dict[str, Parsed], outcome: Outcome) -> None:
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

    def _insert_new(self, items: list[Parsed], outcome: Outcome, now: datetime) -> tuple[list[int], list[Parsed]]:
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

    def _update_known(self, pairs: list[tuple[tuple[Any, ...], Parsed]], outcome: Outcome, now: datetime) -> list[int]:
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
        self, pairs: list[tuple[tuple[Any, ...], Parsed]], blocked: set[int], outcome: Outcome, now: datetime
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

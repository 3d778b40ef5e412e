"""Reads of the contacts app: filtered lists, table columns, counts, and campaign recipients streamed in chunks."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.models import (
    Contact,
    ContactField,
    ContactImport,
    ContactQuerySet,
    Group,
    Membership,
    StopEntry,
    TableSettings,
)
from contacts.values import (
    DEFAULT_VISIBLE,
    STANDARD_COLUMNS,
    STOP_LIST_COLUMN,
    SYSTEM_COLUMNS,
    Column,
    display_value,
)
from senders.models import SenderID
from tenancy.models import Partner, User

RECIPIENT_CHUNK = 2000

# Placeholders a campaign text can use for a contact's own details (custom fields add their variables).
STANDARD_VARIABLES = {
    "phone": "phone",
    "firstname": "first_name",
    "lastname": "last_name",
    "dateofbirth": "birth_date",
    "gender": "gender",
    "comment": "comment",
}


# Filters ------------------------------------------------------------------------------------------------------------


def phone_digits(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    return digits[2:] if value.strip().startswith("00") else digits


def _next_prefix(prefix: str) -> str | None:
    """The smallest digit string after every string that starts with ``prefix`` (None: there is none)."""
    digits = list(prefix)
    while digits:
        last = digits.pop()
        if last != "9":
            return "".join(digits) + str(int(last) + 1)
    return None


def phone_prefix_filter(prefix: str) -> Q:
    """Numbers starting with ``prefix`` as a range, so the (partner, phone) index serves it on any collation."""
    upper = _next_prefix(prefix)
    condition = Q(phone__gte=prefix)
    return condition & Q(phone__lt=upper) if upper is not None else condition


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _date_range(field: str, start: date | None, end: date | None) -> Q:
    condition = Q()
    if start:
        condition &= Q(**{f"{field}__gte": _day_start(start)})
    if end:
        condition &= Q(**{f"{field}__lt": _day_start(end + timedelta(days=1))})
    return condition


def _custom_filter(field: ContactField, value: Any) -> Q:
    lookup = f"custom_values__{field.variable}"
    if field.data_type == ContactField.DataType.TEXT:
        return Q(**{f"{lookup}__icontains": value})
    if field.data_type == ContactField.DataType.DATE and isinstance(value, date):
        return Q(**{lookup: value.isoformat()})
    if field.data_type == ContactField.DataType.BOOLEAN:
        return Q(**{lookup: value == "yes"})
    return Q(**{lookup: value})


def contact_list(*, partner: Partner, filters: dict[str, Any], fields: Sequence[ContactField] = ()) -> ContactQuerySet:
    """The partner's contacts narrowed by the filter form's cleaned data, newest first."""
    contacts = Contact.objects.for_partner(partner)
    condition = Q()
    phone = phone_digits(filters.get("phone") or "")
    if phone:
        condition &= phone_prefix_filter(phone)
    for name in ("first_name", "last_name", "comment"):
        if filters.get(name):
            condition &= Q(**{f"{name}__icontains": filters[name]})
    if filters.get("gender"):
        condition &= Q(gender=filters["gender"])
    if filters.get("birth_from"):
        condition &= Q(birth_date__gte=filters["birth_from"])
    if filters.get("birth_to"):
        condition &= Q(birth_date__lte=filters["birth_to"])
    condition &= _date_range("created_at", filters.get("created_from"), filters.get("created_to"))
    condition &= _date_range("updated_at", filters.get("updated_from"), filters.get("updated_to"))
    if filters.get("user"):
        condition &= Q(created_by=filters["user"])
    contacts = contacts.filter(condition)
    if filters.get("group"):
        contacts = contacts.in_groups([filters["group"]])
    sender = filters.get("sender")
    if sender == "all":
        contacts = contacts.filter(Exists(StopEntry.objects.filter(contact=OuterRef("pk"), sender__isnull=True)))
    elif sender:
        contacts = contacts.filter(Exists(StopEntry.objects.filter(contact=OuterRef("pk"), sender=sender)))
    for field in fields:
        value = filters.get(f"field_{field.variable}")
        if value not in (None, ""):
            contacts = contacts.filter(_custom_filter(field, value))
    return contacts.order_by("-created_at", "-pk")


def with_table_data(contacts: QuerySet[Contact], *, stop_entries: bool = False) -> QuerySet[Contact]:
    """What a table row shows: groups (one query for the page), the creating user, and blocked sender IDs."""
    contacts = contacts.select_related("created_by").prefetch_related(
        Prefetch("groups", queryset=Group.objects.only("pk", "name").order_by("name"))
    )
    if stop_entries:
        contacts = contacts.prefetch_related(
            Prefetch("stop_entries", queryset=StopEntry.objects.select_related("sender").order_by("sender__value"))
        )
    return contacts


def group_list(*, partner: Partner, filters: dict[str, Any]) -> QuerySet[Group]:
    groups = Group.objects.for_partner(partner).select_related("parent")
    if filters.get("name"):
        groups = groups.filter(name__icontains=filters["name"])
    if filters.get("description"):
        groups = groups.filter(description__icontains=filters["description"])
    groups = groups.filter(_date_range("created_at", filters.get("created_from"), filters.get("created_to")))
    if filters.get("parent"):
        groups = groups.filter(parent=filters["parent"])
    return groups.order_by("name", "pk")


def group_counts(groups: Iterable[Group]) -> dict[int, int]:
    """Contacts per group, one query for a page of groups."""
    ids = [group.pk for group in groups]
    rows = Membership.objects.filter(group_id__in=ids).values("group_id").annotate(total=Count("pk"))
    return {row["group_id"]: row["total"] for row in rows}


def group_tree(partner: Partner) -> list[tuple[Group, int]]:
    """Every group of the partner with its depth, parents before children (for select boxes)."""
    groups = list(Group.objects.for_partner(partner).order_by("name", "pk"))
    children: dict[int | None, list[Group]] = {}
    known = {group.pk for group in groups}
    for group in groups:
        parent = group.parent_id if group.parent_id in known else None
        children.setdefault(parent, []).append(group)
    ordered: list[tuple[Group, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for group in children.get(parent, []):
            ordered.append((group, depth))
            walk(group.pk, depth + 1)

    walk(None, 0)
    return ordered


def groups_with_subgroups(partner: Partner, groups: Iterable[Group | int]) -> set[int]:
    """The ids of ``groups`` and of every group nested inside them."""
    parents = dict(Group.objects.for_partner(partner).values_list("pk", "parent_id"))
    wanted = {group if isinstance(group, int) else group.pk for group in groups} & set(parents)
    changed = True
    while changed:
        added = {pk for pk, parent in parents.items() if parent in wanted and pk not in wanted}
        wanted |= added
        changed = bool(added)
    return wanted


def import_list(*, partner: Partner, filters: dict[str, Any]) -> QuerySet[ContactImport]:
    imports = (
        ContactImport.objects.for_partner(partner)
        .exclude(status=ContactImport.Status.DRAFT)
        .select_related("created_by", "group")
    )
    if filters.get("file_name"):
        imports = imports.filter(file_name__icontains=filters["file_name"])
    if filters.get("status"):
        imports = imports.filter(status=filters["status"])
    if filters.get("user"):
        imports = imports.filter(created_by=filters["user"])
    imports = imports.filter(_date_range("created_at", filters.get("created_from"), filters.get("created_to")))
    return imports.order_by("-created_at", "-pk")


def partner_senders(partner: Partner) -> QuerySet[SenderID]:
    return SenderID.objects.for_partner(partner).order_by("value", "channel", "pk")


def partner_users(partner: Partner) -> QuerySet[User]:
    return User.objects.for_partner(partner).order_by("email")


# Table columns --------------------------------------------------------------------------------------------------


def table_settings(*, user: User, table: str) -> TableSettings | None:
    return TableSettings.objects.filter(user=user, table=table).first()


def table_columns(
    *, user: User, table: str, fields: Sequence[ContactField], saved: TableSettings | None | bool = False
) -> list[Column]:
    """The user's columns for ``table`` in their order; columns they never arranged come last, shown by default.

    ``saved`` is the user's settings row when the caller has read it already (None: the user has none).
    """
    available: dict[str, Column] = {}
    for key, label in SYSTEM_COLUMNS.items():
        available[key] = Column(key, str(label), key in DEFAULT_VISIBLE, "system")
    if table == TableSettings.Table.STOP_LIST:
        available[STOP_LIST_COLUMN] = Column(STOP_LIST_COLUMN, str(_("Blocked sender IDs")), True, "stop")
    for key, label in STANDARD_COLUMNS.items():
        available[key] = Column(key, str(label), key in DEFAULT_VISIBLE, "standard")
    for field in fields:
        available[field.column_key] = Column(field.column_key, field.name, True, "custom", field)
    if saved is False:
        saved = table_settings(user=user, table=table)
    arranged = saved.columns if isinstance(saved, TableSettings) else []
    ordered: list[Column] = []
    for entry in arranged:
        column = available.pop(str(entry.get("key")), None) if isinstance(entry, dict) else None
        if column is not None:
            ordered.append(Column(column.key, column.label, bool(entry.get("visible")), column.kind, column.field))
    ordered.extend(available.values())
    return ordered


def cell_value(contact: Contact, column: Column, date_format: str = "YYYY-MM-DD") -> Any:
    """A contact's value for a column as exports write it (tables format dates in the template)."""
    key = column.key
    if key == "phone":
        return contact.phone
    if key == "groups":
        return ", ".join(group.name for group in contact.groups.all())
    if key == "created_at":
        return timezone.localtime(contact.created_at).replace(tzinfo=None)
    if key == "updated_at":
        return timezone.localtime(contact.updated_at).replace(tzinfo=None)
    if key == "user":
        return contact.created_by.email if contact.created_by else ""
    if key == STOP_LIST_COLUMN:
        return ", ".join(blocked_labels(contact))
    if key == "gender":
        return contact.get_gender_display() if contact.gender else ""
    if key in STANDARD_COLUMNS:
        return getattr(contact, key)
    if column.field is not None:
        return display_value(column.field, contact.custom_values.get(column.field.variable), date_format)
    return ""


def blocked_labels(contact: Contact) -> list[str]:
    """The contact's blocked sender IDs as text ("All sender IDs" first); uses prefetched stop entries."""
    entries = list(contact.stop_entries.all())
    labels = [str(entry.sender) for entry in entries if entry.sender_id is not None]
    if any(entry.sender_id is None for entry in entries):
        labels.insert(0, str(_("All sender IDs")))
    return labels


def export_rows(
    contacts: QuerySet[Contact], columns: Sequence[Column], *, chunk_size: int = 2000, date_format: str = "YYYY-MM-DD"
) -> Iterator[list[Any]]:
    """Rows for an export, read in chunks (each with its groups and stop entries) so memory stays flat."""
    keys = {column.key for column in columns}
    queryset = contacts.order_by("pk").select_related("created_by")
    last = 0
    while True:
        page = queryset.filter(pk__gt=last)
        if "groups" in keys:
            page = page.prefetch_related(Prefetch("groups", queryset=Group.objects.only("pk", "name").order_by("name")))
        if STOP_LIST_COLUMN in keys:
            page = page.prefetch_related(Prefetch("stop_entries", queryset=StopEntry.objects.select_related("sender")))
        chunk = list(page[:chunk_size])
        if not chunk:
            return
        for contact in chunk:
            yield [cell_value(contact, column, date_format) for column in columns]
        last = chunk[-1].pk


# Campaign recipients --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recipient:
    """One number a campaign sends to, with the values its text may use."""

    contact_id: int
    phone: str
    country_id: int | None
    network_id: int | None
    variables: dict[str, str]


def _not_blocked(sender: SenderID | None) -> Q:
    """Contacts a message from ``sender`` may reach: no "all sender IDs" block and no block for this sender."""
    blocks = StopEntry.objects.filter(contact=OuterRef("pk"))
    blocks = (
        blocks.filter(Q(sender__isnull=True) | Q(sender=sender))
        if sender is not None
        else blocks.filter(sender__isnull=True)
    )
    return ~Q(Exists(blocks))


def recipients_queryset(
    *, partner: Partner, groups: Iterable[Group | int], sender: SenderID | None, include_subgroups: bool = True
) -> QuerySet[Contact]:
    """Contacts in any of ``groups`` (each once), minus those blocked for ``sender``."""
    ids = _group_ids(partner, groups, include_subgroups)
    return Contact.objects.for_partner(partner).in_groups(ids).filter(_not_blocked(sender))


def _group_ids(partner: Partner, groups: Iterable[Group | int], include_subgroups: bool) -> set[int]:
    chosen = list(groups)
    if include_subgroups:
        return groups_with_subgroups(partner, chosen)
    return {g if isinstance(g, int) else g.pk for g in chosen}


def group_recipient_count(
    *, partner: Partner, groups: Iterable[Group | int], sender: SenderID | None, include_subgroups: bool = True
) -> int:
    return recipients_queryset(
        partner=partner, groups=groups, sender=sender, include_subgroups=include_subgroups
    ).count()


def group_recipients(
    *,
    partner: Partner,
    groups: Iterable[Group | int],
    sender: SenderID | None,
    chunk_size: int = RECIPIENT_CHUNK,
    include_subgroups: bool = True,
    after_contact_id: int = 0,
    variables: Collection[str] | None = None,
) -> Iterator[list[Recipient]]:
    """The recipients of ``groups`` for a campaign from ``sender``, in chunks of ``chunk_size``.

    Each number comes once (a contact's phone is unique for the partner, and a contact in several of
    the groups is selected once); contacts blocked for ``sender`` or for all sender IDs are left out.
    Chunks are read by ascending contact id (keyset pagination), so memory stays flat however many
    contacts there are, and a caller that stopped can resume with ``after_contact_id``.
    ``variables``: the only variables the caller's text uses (None: all of them), so a text without
    variables reads no contact details at all.
    """
    fields = [
        field for field in ContactField.objects.for_partner(partner) if variables is None or field.variable in variables
    ]
    standard = [
        (name, column)
        for name, column in STANDARD_VARIABLES.items()
        if name != "phone" and (variables is None or name in variables)
    ]
    with_phone = variables is None or "phone" in variables
    columns = ["pk", "phone", "country_id", "network_id", *(column for _name, column in standard)]
    if fields:
        columns.append("custom_values")
    ids = _group_ids(partner, groups, include_subgroups)
    contacts = Contact.objects.for_partner(partner).filter(_not_blocked(sender)).order_by("pk")
    last = after_contact_id
    while True:
        # The bound on the memberships too: the database does not carry it over from the contacts, and would
        # otherwise read every membership before the cursor again for each chunk.
        members = Membership.objects.filter(contact=OuterRef("pk"), group__in=ids, contact_id__gt=last)
        rows = list(contacts.filter(Exists(members), pk__gt=last).values_list(*columns)[:chunk_size])
        if not rows:
            return
        chunk = []
        for row in rows:
            values: dict[str, str] = {"phone": row[1]} if with_phone else {}
            for index, (name, _column) in enumerate(standard, start=4):
                value = row[index]
                values[name] = value.isoformat() if isinstance(value, date) else value or ""
            if fields:
                custom = row[-1] or {}
                for field in fields:
                    values[field.variable] = display_value(field, custom.get(field.variable))
            chunk.append(Recipient(row[0], row[1], row[2], row[3], values))
        yield chunk
        last = rows[-1][0]


def stop_listed_phones(*, partner: Partner, sender: SenderID | None, phones: Iterable[str]) -> set[str]:
    """Which of ``phones`` (E.164 digits) a message from ``sender`` must not reach (for manual or file recipients)."""
    wanted = list(set(phones))
    blocked: set[str] = set()
    condition = Q(sender__isnull=True) | Q(sender=sender) if sender is not None else Q(sender__isnull=True)
    for start in range(0, len(wanted), 5000):
        blocked |= set(
            StopEntry.objects.for_partner(partner)
            .filter(condition, contact__phone__in=wanted[start : start + 5000])
            .values_list("contact__phone", flat=True)
        )
    return blocked


def is_blocked(*, contact: Contact, sender: SenderID | None) -> bool:
    condition = Q(sender__isnull=True) | Q(sender=sender) if sender is not None else Q(sender__isnull=True)
    return contact.stop_entries.filter(condition).exists()


def contact_variables(partner: Partner) -> list[tuple[str, str]]:
    """The placeholders a campaign text can use with contact recipients, with their column names."""
    labels = {"phone": _("Phone"), **{k: str(v) for k, v in STANDARD_COLUMNS.items()}}
    result = [("{" + variable + "}", str(labels[column])) for variable, column in STANDARD_VARIABLES.items()]
    result += [(field.placeholder, field.name) for field in ContactField.objects.for_partner(partner)]
    return result

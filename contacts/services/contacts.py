"""Writes on contacts: create, edit, delete, group membership and the stop list (single and mass actions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.services.reference import resolve_number
from contacts.models import Contact, ContactField, Gender, Group, Membership, StopEntry, TableSettings
from contacts.services._sql import insert_select_ignoring_conflicts, selection_sql
from contacts.values import SYSTEM_COLUMNS, clean_custom_value
from senders.models import SenderID
from tenancy.models import Partner, User

DELETE_BATCH = 2000
PER_PAGE_CHOICES = (20, 50, 100)
# The column of each table that cannot be hidden: it names the row.
ALWAYS_SHOWN_COLUMN: dict[str, str] = {
    TableSettings.Table.CONTACTS: "phone",
    TableSettings.Table.STOP_LIST: "phone",
    TableSettings.Table.CAMPAIGNS: "name",
}


def _scoped(partner: Partner, contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    """The selection, limited to the partner's own contacts whatever the caller passed."""
    return contacts.filter(partner=partner)


def _check_groups(partner: Partner, groups: Iterable[Group]) -> list[Group]:
    chosen = list(groups)
    if not chosen:
        raise ValidationError({"groups": _("Choose at least one group: every contact belongs to a group.")})
    if any(group.partner_id != partner.pk for group in chosen):
        raise ValidationError({"groups": _("Choose groups from your own list.")})
    return chosen


def _check_senders(partner: Partner, senders: Iterable[SenderID]) -> list[SenderID]:
    chosen = list(senders)
    if any(sender.partner_id != partner.pk for sender in chosen):
        raise ValidationError({"blocked_sender_ids": _("Choose sender IDs from your own list.")})
    return chosen


def clean_custom_values(
    *,
    partner: Partner,
    values: Mapping[str, Any],
    current: Mapping[str, Any] | None = None,
    fields: Sequence[ContactField] | None = None,
    date_format: str = "YYYY-MM-DD",
) -> dict[str, Any]:
    """Stored custom values: ``values`` checked against the partner's fields and merged into ``current``."""
    known = list(fields) if fields is not None else list(ContactField.objects.for_partner(partner))
    result = {key: value for key, value in (current or {}).items() if any(f.variable == key for f in known)}
    errors: dict[str, list[str]] = {}
    for field in known:
        if field.variable in values:
            try:
                cleaned = clean_custom_value(field, values[field.variable], date_format)
            except ValidationError as error:
                errors[f"field_{field.variable}"] = error.messages
                continue
            if cleaned is None:
                result.pop(field.variable, None)
            else:
                result[field.variable] = cleaned
        if field.required and result.get(field.variable) in (None, ""):
            errors.setdefault(f"field_{field.variable}", []).append(_("%(field)s is required.") % {"field": field.name})
    if errors:
        raise ValidationError(errors)
    return result


def _check_details(first_name: str, last_name: str, gender: str, comment: str) -> None:
    errors = {}
    if gender and gender not in Gender.values:
        errors["gender"] = _("Choose male or female.")
    if len(first_name) > 100:
        errors["first_name"] = _("At most 100 characters.")
    if len(last_name) > 100:
        errors["last_name"] = _("At most 100 characters.")
    if len(comment) > 1000:
        errors["comment"] = _("At most 1000 characters.")
    if errors:
        raise ValidationError(errors)


def _resolve_phone(phone: str, default_country: Any = None) -> Any:
    try:
        return resolve_number(phone, default_country)
    except ValidationError as error:
        raise ValidationError({"phone": error.messages}) from error


def _phone_taken(phone: str) -> ValidationError:
    return ValidationError(
        {"phone": _("+%(phone)s is already in your contacts; edit that contact instead.") % {"phone": phone}},
        code="duplicate",
    )


def _set_blocks(contact: Contact, senders: list[SenderID], block_all: bool, by: User | None) -> None:
    """Make the contact's blocked sender IDs exactly ``senders`` (plus "all" when ``block_all``)."""
    wanted: set[int | None] = {sender.pk for sender in senders}
    if block_all:
        wanted.add(None)
    existing = set(contact.stop_entries.values_list("sender_id", flat=True))
    removed = existing - wanted
    if removed:
        stale = contact.stop_entries.filter(sender_id__in=[pk for pk in removed if pk is not None])
        if None in removed:
            stale = stale | contact.stop_entries.filter(sender__isnull=True)
        stale.delete()
    StopEntry.objects.bulk_create(
        [
            StopEntry(partner_id=contact.partner_id, contact=contact, sender_id=pk, created_by=by)
            for pk in wanted - existing
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def contact_create(
    *,
    partner: Partner,
    by: User | None,
    phone: str,
    groups: Iterable[Group],
    first_name: str = "",
    last_name: str = "",
    birth_date: date | None = None,
    gender: str = "",
    comment: str = "",
    custom_values: Mapping[str, Any] | None = None,
    blocked_sender_ids: Iterable[SenderID] = (),
    blocked_all: bool = False,
    default_country: Any = None,
) -> Contact:
    """A new contact in ``groups``; the number must not be in the partner's contacts yet."""
    chosen = _check_groups(partner, groups)
    senders = _check_senders(partner, blocked_sender_ids)
    _check_details(first_name, last_name, gender, comment)
    resolved = _resolve_phone(phone, default_country)
    values = clean_custom_values(partner=partner, values=custom_values or {})
    if Contact.objects.for_partner(partner).filter(phone=resolved.e164).exists():
        raise _phone_taken(resolved.e164)
    now = timezone.now()
    contact = Contact(
        partner=partner,
        phone=resolved.e164,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        birth_date=birth_date,
        gender=gender,
        comment=comment.strip(),
        custom_values=values,
        country=resolved.country,
        network=resolved.network,
        created_by=by,
        created_at=now,
        updated_at=now,
    )
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError as error:  # a concurrent request saved the same number first
        raise _phone_taken(resolved.e164) from error
    Membership.objects.bulk_create([Membership(contact=contact, group=group) for group in chosen])
    if senders or blocked_all:
        _set_blocks(contact, senders, blocked_all, by)
    return contact


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    by: User | None,
    phone: str,
    groups: Iterable[Group],
    first_name: str = "",
    last_name: str = "",
    birth_date: date | None = None,
    gender: str = "",
    comment: str = "",
    custom_values: Mapping[str, Any] | None = None,
    blocked_sender_ids: Iterable[SenderID] = (),
    blocked_all: bool = False,
) -> Contact:
    """Every detail of a contact as the edit form gives it: groups and blocked sender IDs are replaced."""
    partner = contact.partner
    chosen = _check_groups(partner, groups)
    senders = _check_senders(partner, blocked_sender_ids)
    _check_details(first_name, last_name, gender, comment)
    resolved = _resolve_phone(phone)
    values = clean_custom_values(partner=partner, values=custom_values or {}, current=contact.custom_values)
    if Contact.objects.for_partner(partner).filter(phone=resolved.e164).exclude(pk=contact.pk).exists():
        raise _phone_taken(resolved.e164)
    contact.phone = resolved.e164
    contact.country, contact.network = resolved.country, resolved.network
    contact.first_name, contact.last_name = first_name.strip(), last_name.strip()
    contact.birth_date, contact.gender, contact.comment = birth_date, gender, comment.strip()
    contact.custom_values = values
    contact.updated_at = timezone.now()
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError as error:
        raise _phone_taken(resolved.e164) from error
    wanted = {group.pk for group in chosen}
    current = set(contact.memberships.values_list("group_id", flat=True))
    contact.memberships.filter(group_id__in=current - wanted).delete()
    Membership.objects.bulk_create([Membership(contact=contact, group_id=pk) for pk in wanted - current])
    _set_blocks(contact, senders, blocked_all, by)
    return contact


@transaction.atomic
def contacts_delete(*, partner: Partner, contacts: QuerySet[Contact]) -> int:
    """Delete the selection in batches (memberships and stop-list entries go with it); how many were deleted."""
    selection = _scoped(partner, contacts).order_by("pk").values_list("pk", flat=True)
    deleted, last = 0, 0
    while True:
        batch = list(selection.filter(pk__gt=last)[:DELETE_BATCH])
        if not batch:
            return deleted
        last = batch[-1]
        _total, per_model = Contact.objects.filter(pk__in=batch).delete()
        deleted += per_model.get(Contact._meta.label, 0)


def _touch(partner: Partner, contacts: QuerySet[Contact]) -> None:
    _scoped(partner, contacts).update(updated_at=timezone.now())


def _check_group(partner: Partner, group: Group) -> None:
    if group.partner_id != partner.pk:
        raise ValidationError(_("Choose a group from your own list."), code="foreign_group")


@transaction.atomic
def contacts_add_to_group(*, partner: Partner, contacts: QuerySet[Contact], group: Group, by: User | None) -> int:
    """Add the selection to ``group`` (keeping its other groups); how many contacts joined."""
    _check_group(partner, group)
    sql, params = selection_sql(_scoped(partner, contacts))
    added = insert_select_ignoring_conflicts(
        Membership,
        ["contact_id", "group_id"],
        f"SELECT sel.pk, %s FROM ({sql}) sel",  # noqa: S608 - Django-compiled SQL, values as parameters
        (group.pk, *params),
    )
    _touch(partner, contacts)
    return added


@transaction.atomic
def contacts_move_to_group(*, partner: Partner, contacts: QuerySet[Contact], group: Group, by: User | None) -> int:
    """Put the selection in ``group`` only: it leaves every other group; how many contacts were selected."""
    _check_group(partner, group)
    selection = _scoped(partner, contacts)
    contacts_add_to_group(partner=partner, contacts=selection, group=group, by=by)
    Membership.objects.filter(contact__in=selection.values("pk")).exclude(group=group).delete()
    return selection.count()


@transaction.atomic
def contacts_remove_from_group(
    *, partner: Partner, contacts: QuerySet[Contact], group: Group, by: User | None
) -> tuple[int, int]:
    """Take the selection out of ``group`` where the contact stays in another group.

    Returns (removed, kept): contacts whose only group is ``group`` keep it.
    """
    _check_group(partner, group)
    selection = _scoped(partner, contacts)
    in_group = Membership.objects.filter(group=group, contact__in=selection.values("pk"))
    elsewhere = Membership.objects.filter(contact=OuterRef("contact")).exclude(group=group)
    removable = in_group.filter(Exists(elsewhere))
    total = in_group.count()
    _touch(partner, selection.filter(Exists(removable.filter(contact=OuterRef("pk")))))
    removed, _counts = Membership.objects.filter(pk__in=removable.values("pk")).delete()
    return removed, total - removed


def _sender_pks(partner: Partner, sender_ids: Sequence[SenderID] | None) -> list[int | None]:
    if sender_ids is None:
        return [None]
    senders = _check_senders(partner, sender_ids)
    if not senders:
        raise ValidationError(_("Choose the sender IDs to block, or all sender IDs."), code="no_sender")
    return [sender.pk for sender in senders]


@transaction.atomic
def stop_list_block(
    *, partner: Partner, contacts: QuerySet[Contact], sender_ids: Sequence[SenderID] | None, by: User | None
) -> int:
    """Block the given sender IDs (None = all sender IDs) for the selection, keeping earlier blocks.

    The contacts stay in their groups. Returns the number of new (contact, sender ID) pairs.
    """
    pks = _sender_pks(partner, sender_ids)
    selection = _scoped(partner, contacts)
    sql, params = selection_sql(selection)
    added = 0
    now = timezone.now()
    for sender_pk in pks:
        sender_sql = "NULL" if sender_pk is None else "%s"
        sender_params = () if sender_pk is None else (sender_pk,)
        added += insert_select_ignoring_conflicts(
            StopEntry,
            ["partner_id", "contact_id", "sender_id", "created_by_id", "created_at"],
            f"SELECT %s, sel.pk, {sender_sql}, %s, %s FROM ({sql}) sel",  # noqa: S608 - compiled SQL, parameters
            (partner.pk, *sender_params, by.pk if by else None, now, *params),
        )
    if added:
        _touch(partner, selection)
    return added


@transaction.atomic
def stop_list_unblock(
    *, partner: Partner, contacts: QuerySet[Contact], sender_ids: Sequence[SenderID] | None, by: User | None
) -> int:
    """Unblock the given sender IDs (None = every block, "all sender IDs" included); pairs removed."""
    selection = _scoped(partner, contacts)
    entries = StopEntry.objects.for_partner(partner).filter(contact__in=selection.values("pk"))
    if sender_ids is not None:
        senders = _check_senders(partner, sender_ids)
        if not senders:
            raise ValidationError(_("Choose the sender IDs to unblock."), code="no_sender")
        entries = entries.filter(sender__in=senders)
    removed, _counts = entries.delete()
    if removed:
        _touch(partner, selection)
    return removed


@transaction.atomic
def stop_list_add_number(
    *,
    partner: Partner,
    by: User | None,
    phone: str,
    sender_ids: Sequence[SenderID] | None,
    group: Group | None,
    first_name: str = "",
    last_name: str = "",
) -> tuple[Contact, bool]:
    """Put a number on the stop list: its contact when there is one, else a new contact in ``group``.

    Returns the contact and whether it was created.
    """
    resolved = _resolve_phone(phone)
    contact = Contact.objects.for_partner(partner).filter(phone=resolved.e164).first()
    created = contact is None
    if contact is None:
        if group is None:
            raise ValidationError({"group": _("The number is not in your contacts yet: choose its group.")})
        contact = contact_create(
            partner=partner,
            by=by,
            phone=resolved.e164,
            groups=[group],
            first_name=first_name,
            last_name=last_name,
        )
    stop_list_block(partner=partner, contacts=Contact.objects.filter(pk=contact.pk), sender_ids=sender_ids, by=by)
    return contact, created


@transaction.atomic
def table_settings_save(
    *, user: User, table: str, columns: Sequence[tuple[str, bool]], per_page: int | None = None
) -> TableSettings:
    """Remember a user's column order and visibility (and page size) for one table."""
    if user.partner is None:
        raise ValidationError(_("Only users of a company have contacts."), code="no_partner")
    if table not in TableSettings.Table.values:
        raise ValidationError(_("Unknown table."), code="table")
    always_shown = ALWAYS_SHOWN_COLUMN[table]
    seen: set[str] = set()
    cleaned = []
    for key, visible in columns:
        if key in seen or not isinstance(key, str) or len(key) > 80:
            continue
        seen.add(key)
        cleaned.append({"key": key, "visible": bool(visible) or key == always_shown})
    if always_shown not in seen:
        cleaned.insert(0, {"key": always_shown, "visible": True})
    settings_row, _created = TableSettings.objects.get_or_create(
        user=user, table=table, defaults={"partner": user.partner}
    )
    settings_row.columns = cleaned
    if per_page is not None:
        if per_page not in PER_PAGE_CHOICES:
            raise ValidationError(_("Show 20, 50 or 100 rows."), code="per_page")
        settings_row.per_page = per_page
    settings_row.save()
    return settings_row


def table_settings_page_size(*, user: User, table: str, per_page: int) -> None:
    """Remember the rows-per-page choice of a table."""
    if per_page not in PER_PAGE_CHOICES or user.partner is None:
        return
    if not TableSettings.objects.filter(user=user, table=table).update(per_page=per_page):
        TableSettings.objects.get_or_create(
            user=user, table=table, defaults={"partner": user.partner, "per_page": per_page}
        )


__all__ = [
    "PER_PAGE_CHOICES",
    "SYSTEM_COLUMNS",
    "clean_custom_values",
    "contact_create",
    "contact_update",
    "contacts_add_to_group",
    "contacts_delete",
    "contacts_move_to_group",
    "contacts_remove_from_group",
    "stop_list_add_number",
    "stop_list_block",
    "stop_list_unblock",
    "table_settings_page_size",
    "table_settings_save",
]

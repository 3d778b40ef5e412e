"""Writes on groups: create, edit, nest, delete, and copying or moving their contacts to another group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.models import Contact, Group, Membership
from contacts.services.contacts import contacts_add_to_group, contacts_delete
from tenancy.models import Partner, User

# Higher apps (reply templates in campaigns) say why a group may not be deleted: a function that returns the
# reason, or None when it does not use the group. Registered from their AppConfig.ready().
GroupUseCheck = Callable[[Group], Any]
_group_use_checks: list[GroupUseCheck] = []


def register_group_use_check(check: GroupUseCheck) -> None:
    if check not in _group_use_checks:
        _group_use_checks.append(check)


def group_in_use(group: Group) -> list[str]:
    """Why the group cannot be deleted (empty when it can)."""
    return [str(reason) for check in _group_use_checks if (reason := check(group))]


def _check_name(partner: Partner, name: str, exclude: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Enter the group name.")}, code="required")
    if len(name) > 100:
        raise ValidationError({"name": _("At most 100 characters.")}, code="too_long")
    taken = Group.objects.for_partner(partner).filter(name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ValidationError({"name": _("You already have a group called “%(name)s”.") % {"name": name}}, code="dup")
    return name


def _check_parent(group: Group | None, partner: Partner, parent: Group | None) -> None:
    if parent is None:
        return
    if parent.partner_id != partner.pk:
        raise ValidationError({"parent": _("Choose a group from your own list.")}, code="foreign_group")
    if group is None:
        return
    parents = dict(Group.objects.for_partner(partner).values_list("pk", "parent_id"))
    cursor: int | None = parent.pk
    while cursor is not None:
        if cursor == group.pk:
            raise ValidationError({"parent": _("A group cannot be placed inside itself or its own subgroups.")})
        cursor = parents.get(cursor)


@transaction.atomic
def group_create(
    *, partner: Partner, by: User | None, name: str, description: str = "", parent: Group | None = None
) -> Group:
    name = _check_name(partner, name)
    _check_parent(None, partner, parent)
    group = Group(partner=partner, name=name, description=description.strip()[:500], parent=parent, created_by=by)
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError as error:
        raise ValidationError({"name": _("You already have a group called “%(name)s”.") % {"name": name}}) from error
    return group


@transaction.atomic
def group_update(*, group: Group, by: User | None, name: str, description: str = "") -> Group:
    group.name = _check_name(group.partner, name, exclude=group.pk)
    group.description = description.strip()[:500]
    group.updated_at = timezone.now()
    try:
        with transaction.atomic():
            group.save(update_fields=["name", "description", "updated_at"])
    except IntegrityError as error:
        raise ValidationError({"name": _("You already have a group called “%(name)s”.") % {"name": name}}) from error
    return group


@transaction.atomic
def group_move(*, group: Group, parent: Group | None, by: User | None) -> Group:
    """Place the group inside ``parent`` (None: at the top level)."""
    _check_parent(group, group.partner, parent)
    group.parent = parent
    group.updated_at = timezone.now()
    group.save(update_fields=["parent", "updated_at"])
    return group


def group_only_members(group: Group) -> Any:
    """Contacts whose only group is ``group``: deleting the group deletes them."""
    other = Membership.objects.filter(contact=OuterRef("pk")).exclude(group=group)
    return Contact.objects.for_partner(group.partner).in_groups([group]).exclude(Exists(other))


@transaction.atomic
def group_delete(*, group: Group, by: User | None) -> int:
    """Delete the group; contacts in no other group are deleted with it (a contact always has a group).

    Subgroups move up to the deleted group's parent. Returns the number of contacts deleted.
    """
    reasons = group_in_use(group)
    if reasons:
        raise ValidationError(
            _("“%(name)s” cannot be deleted: %(reasons)s") % {"name": group.name, "reasons": "; ".join(reasons)},
            code="in_use",
        )
    deleted = contacts_delete(partner=group.partner, contacts=group_only_members(group))
    Group.objects.filter(parent=group).update(parent=group.parent_id, updated_at=timezone.now())
    Membership.objects.filter(group=group).delete()
    group.delete()
    return deleted


@transaction.atomic
def group_copy_contacts(*, source: Group, target: Group, by: User | None) -> int:
    """Add every contact of ``source`` to ``target`` too; how many joined."""
    if source.partner_id != target.partner_id:
        raise ValidationError(_("Choose a group from your own list."), code="foreign_group")
    if source.pk == target.pk:
        raise ValidationError(_("Choose another group."), code="same_group")
    members = Contact.objects.for_partner(source.partner).in_groups([source])
    return contacts_add_to_group(partner=source.partner, contacts=members, group=target, by=by)


@transaction.atomic
def group_move_contacts(*, source: Group, target: Group, by: User | None) -> int:
    """Move every contact of ``source`` into ``target``: they leave ``source``; how many moved."""
    if source.pk == target.pk:
        raise ValidationError(_("Choose another group."), code="same_group")
    group_copy_contacts(source=source, target=target, by=by)
    moved, _counts = Membership.objects.filter(group=source).delete()
    return moved

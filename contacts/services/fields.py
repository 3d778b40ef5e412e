"""Custom contact fields: create (the variable comes from the name), rename, required flag, delete."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from contacts.models import ContactField, variable_for
from contacts.values import RESERVED_VARIABLES
from tenancy.models import Partner, User

MAX_FIELDS = 50


def _check_name(partner: Partner, name: str, exclude: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Enter the field name.")}, code="required")
    if len(name) > 60:
        raise ValidationError({"name": _("At most 60 characters.")}, code="too_long")
    taken = ContactField.objects.for_partner(partner).filter(name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ValidationError({"name": _("There is already a field called “%(name)s”.") % {"name": name}}, code="dup")
    return name


def _check_options(data_type: str, options: str) -> str:
    lines = [line.strip() for line in options.splitlines() if line.strip()]
    if data_type == ContactField.DataType.LIST and not lines:
        raise ValidationError({"options": _("A list field needs at least one option, one per line.")})
    return "\n".join(dict.fromkeys(lines)) if data_type == ContactField.DataType.LIST else ""


@transaction.atomic
def contact_field_create(
    *, partner: Partner, by: User | None, name: str, data_type: str, required: bool = False, options: str = ""
) -> ContactField:
    """A new column for the partner's contacts; its variable is the lower-case name without spaces or symbols."""
    name = _check_name(partner, name)
    if data_type not in ContactField.DataType.values:
        raise ValidationError({"data_type": _("Choose a data type.")}, code="data_type")
    variable = variable_for(name)
    if not variable:
        raise ValidationError({"name": _("The name needs at least one letter or digit.")}, code="variable")
    if variable in RESERVED_VARIABLES:
        raise ValidationError(
            {"name": _("{%(variable)s} is a built-in contact detail; choose another name.") % {"variable": variable}},
            code="reserved",
        )
    fields = ContactField.objects.for_partner(partner)
    if fields.filter(variable=variable).exists():
        raise ValidationError(
            {"name": _("The variable {%(variable)s} is taken by another field.") % {"variable": variable}},
            code="dup_variable",
        )
    if fields.count() >= MAX_FIELDS:
        raise ValidationError(_("You can have at most %(max)d custom fields.") % {"max": MAX_FIELDS}, code="too_many")
    field = ContactField(
        partner=partner,
        name=name,
        variable=variable,
        data_type=data_type,
        required=required,
        options=_check_options(data_type, options),
    )
    try:
        with transaction.atomic():
            field.save()
    except IntegrityError as error:
        raise ValidationError({"name": _("There is already a field called “%(name)s”.") % {"name": name}}) from error
    return field


@transaction.atomic
def contact_field_update(*, field: ContactField, by: User | None, name: str, required: bool) -> ContactField:
    """Rename the field or change its required flag; its variable and type stay, so stored values keep their key."""
    field.name = _check_name(field.partner, name, exclude=field.pk)
    field.required = required
    field.save(update_fields=["name", "required"])
    return field


@transaction.atomic
def contact_field_delete(*, field: ContactField, by: User | None) -> None:
    """Delete the column; its stored values are cleared from the contacts by a background task."""
    from contacts.tasks import purge_field_values

    partner_id, variable = field.partner_id, field.variable
    field.delete()
    transaction.on_commit(lambda: purge_field_values.delay(partner_id, variable))


PURGE_BATCH = 2000


def contact_field_values_purge(*, partner: Partner, variable: str) -> int:
    """Remove a deleted field's values from the partner's contacts, in batches; contacts changed.

    Stops as soon as a field with the same variable exists again, so its new values are never lost.
    """
    from contacts.models import Contact

    changed, last = 0, 0
    while True:
        with transaction.atomic():
            if ContactField.objects.for_partner(partner).filter(variable=variable).exists():
                return changed
            batch = list(
                Contact.objects.for_partner(partner)
                .filter(pk__gt=last, custom_values__has_key=variable)
                .order_by("pk")
                .only("pk", "custom_values")[:PURGE_BATCH]
            )
            if not batch:
                return changed
            for contact in batch:
                contact.custom_values.pop(variable, None)
            Contact.objects.bulk_update(batch, ["custom_values"])
            changed += len(batch)
            last = batch[-1].pk

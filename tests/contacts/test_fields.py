"""Custom contact fields: the variable comes from the name, only name and required flag change, deletes clean up."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from contacts import services
from contacts.models import Contact, ContactField, Group
from tenancy.models import Partner, User
from tests.contacts.factories import make_contact, make_contact_field


def test_creating_a_field(company: Partner, user: User) -> None:
    field = services.contact_field_create(
        partner=company, by=user, name="Loyalty Card #", data_type="text", required=True
    )
    assert (field.variable, field.placeholder, field.required) == ("loyaltycard", "{loyaltycard}", True)


@pytest.mark.parametrize(
    ("name", "data_type", "options", "message"),
    [
        ("City", "text", "", "already a field"),
        ("C-I-T-Y", "text", "", "taken by another field"),
        ("First Name", "text", "", "built-in contact detail"),
        ("Phone", "text", "", "built-in contact detail"),
        ("***", "text", "", "at least one letter"),
        ("Tier", "list", "", "at least one option"),
        ("Tier", "colour", "", "data type"),
    ],
)
def test_bad_fields_are_refused(
    company: Partner, user: User, city: ContactField, name: str, data_type: str, options: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        services.contact_field_create(partner=company, by=user, name=name, data_type=data_type, options=options)


def test_only_name_and_required_change(company: Partner, user: User, city: ContactField) -> None:
    services.contact_field_update(field=city, by=user, name="Town", required=True)
    city.refresh_from_db()
    assert (city.name, city.variable, city.required) == ("Town", "city", True)


def test_deleting_a_field_clears_its_values(
    company: Partner, user: User, vip: Group, city: ContactField, django_capture_on_commit_callbacks: Any
) -> None:
    contact = make_contact(company, [vip], custom_values={"city": "Madrid"})
    with django_capture_on_commit_callbacks(execute=True):
        services.contact_field_delete(field=city, by=user)
    contact.refresh_from_db()
    assert contact.custom_values == {}


def test_the_clean_up_stops_when_the_field_comes_back(company: Partner, user: User, vip: Group) -> None:
    contact = Contact.objects.get(pk=make_contact(company, [vip]).pk)
    Contact.objects.filter(pk=contact.pk).update(custom_values={"city": "Old"})
    make_contact_field(company, "City")
    assert services.contact_field_values_purge(partner=company, variable="city") == 0
    contact.refresh_from_db()
    assert contact.custom_values == {"city": "Old"}

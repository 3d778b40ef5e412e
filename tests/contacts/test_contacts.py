"""Contacts through the services: numbers, uniqueness, groups, custom fields, mass actions."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from contacts import services
from contacts.models import Contact, ContactField, Group, Membership
from tenancy.models import Partner, User
from tests.contacts.factories import make_contact, make_contact_field, make_group
from tests.factories import Tenant


def test_a_contact_gets_its_number_normalized_and_its_country_and_network(
    company: Partner, user: User, vip: Group
) -> None:
    contact = services.contact_create(
        partner=company, by=user, phone="+34 (600) 123-456", groups=[vip], first_name=" Ana ", gender="female"
    )
    assert contact.phone == "34600123456"
    assert contact.country is not None and contact.country.iso_code == "ES"
    assert contact.first_name == "Ana" and contact.created_by == user
    assert list(contact.groups.all()) == [vip]


def test_a_number_is_unique_per_partner_only(tenant: Tenant, tenant_b: Tenant, vip: Group, user: User) -> None:
    make_contact(tenant.end_user, [vip], phone="34600123456")
    with pytest.raises(ValidationError) as error:
        services.contact_create(partner=tenant.end_user, by=user, phone="0034 600 123 456", groups=[vip])
    assert "already in your contacts" in str(error.value.message_dict["phone"])
    other = make_contact(tenant_b.end_user, phone="34600123456")
    assert other.phone == "34600123456"


def test_a_contact_needs_a_group_of_its_own_partner(company: Partner, user: User, tenant_b: Tenant, vip: Group) -> None:
    with pytest.raises(ValidationError) as error:
        services.contact_create(partner=company, by=user, phone="34600123456", groups=[])
    assert "groups" in error.value.message_dict
    foreign = make_group(tenant_b.end_user, "Theirs")
    with pytest.raises(ValidationError):
        services.contact_create(partner=company, by=user, phone="34600123456", groups=[foreign])
    assert not Contact.objects.exists()


def test_bad_numbers_are_refused(company: Partner, user: User, vip: Group) -> None:
    for phone in ("hello", "123", "34 600"):
        with pytest.raises(ValidationError) as error:
            services.contact_create(partner=company, by=user, phone=phone, groups=[vip])
        assert "phone" in error.value.message_dict


def test_custom_fields_are_checked_and_required_ones_enforced(
    company: Partner, user: User, vip: Group, city: ContactField
) -> None:
    points = make_contact_field(company, "Points", data_type=ContactField.DataType.NUMBER, required=True)
    with pytest.raises(ValidationError) as error:
        services.contact_create(partner=company, by=user, phone="34600123456", groups=[vip])
    assert "field_points" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.contact_create(
            partner=company, by=user, phone="34600123456", groups=[vip], custom_values={"points": "many"}
        )
    contact = services.contact_create(
        partner=company,
        by=user,
        phone="34600123456",
        groups=[vip],
        custom_values={"points": "12", "city": "Madrid", "unknown": "x"},
    )
    assert contact.custom_values == {"points": 12, "city": "Madrid"}
    assert points.placeholder == "{points}"


def test_editing_replaces_groups_and_keeps_the_number_unique(
    company: Partner, user: User, vip: Group, standard: Group
) -> None:
    first = make_contact(company, [vip], phone="34600000001")
    make_contact(company, [vip], phone="34600000002")
    services.contact_update(contact=first, by=user, phone="34600000009", groups=[standard], last_name="Ruiz")
    first.refresh_from_db()
    assert first.phone == "34600000009" and first.last_name == "Ruiz"
    assert list(first.groups.all()) == [standard]
    with pytest.raises(ValidationError):
        services.contact_update(contact=first, by=user, phone="34600000002", groups=[standard])


def test_group_mass_actions(company: Partner, user: User, vip: Group, standard: Group) -> None:
    only_vip = make_contact(company, [vip])
    both = make_contact(company, [vip, standard])
    everyone = Contact.objects.for_partner(company)

    removed, kept = services.contacts_remove_from_group(partner=company, contacts=everyone, group=vip, by=user)
    assert (removed, kept) == (1, 1)  # a contact never loses its last group
    assert set(only_vip.groups.all()) == {vip} and set(both.groups.all()) == {standard}

    services.contacts_add_to_group(partner=company, contacts=everyone, group=standard, by=user)
    assert Membership.objects.filter(group=standard).count() == 2

    moved = services.contacts_move_to_group(partner=company, contacts=everyone, group=vip, by=user)
    assert moved == 2
    assert all(set(contact.groups.all()) == {vip} for contact in everyone)


def test_mass_actions_never_reach_another_partner(tenant: Tenant, tenant_b: Tenant, user: User, vip: Group) -> None:
    theirs = make_contact(tenant_b.end_user)
    services.contacts_add_to_group(partner=tenant.end_user, contacts=Contact.objects.all(), group=vip, by=user)
    assert not theirs.groups.filter(pk=vip.pk).exists()
    assert services.contacts_delete(partner=tenant.end_user, contacts=Contact.objects.all()) == 0
    assert Contact.objects.filter(pk=theirs.pk).exists()
    with pytest.raises(ValidationError):
        services.contacts_add_to_group(
            partner=tenant_b.end_user, contacts=Contact.objects.all(), group=vip, by=tenant_b.end_user_user
        )


def test_delete_in_batches(company: Partner, vip: Group, monkeypatch: pytest.MonkeyPatch) -> None:
    from contacts.services import contacts as module

    monkeypatch.setattr(module, "DELETE_BATCH", 2)
    for _ in range(5):
        make_contact(company, [vip])
    assert services.contacts_delete(partner=company, contacts=Contact.objects.for_partner(company)) == 5
    assert not Membership.objects.exists()


def test_table_settings_keep_phone_visible(user: User) -> None:
    saved = services.table_settings_save(
        user=user, table="contacts", columns=[("last_name", True), ("phone", False), ("groups", False)], per_page=50
    )
    assert saved.columns == [
        {"key": "last_name", "visible": True},
        {"key": "phone", "visible": True},
        {"key": "groups", "visible": False},
    ]
    assert saved.per_page == 50
    with pytest.raises(ValidationError):
        services.table_settings_save(user=user, table="contacts", columns=[], per_page=7)

"""Groups: unique names, nesting, deletion rules, copying and moving contacts, recipients of nested groups."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError

from contacts import selectors, services
from contacts.models import Contact, Group
from contacts.services import groups as group_services
from tenancy.models import Partner, User
from tests.contacts.factories import make_contact, make_group
from tests.factories import Tenant


def test_group_names_are_unique_per_partner_whatever_the_case(
    company: Partner, user: User, vip: Group, tenant_b: Tenant
) -> None:
    with pytest.raises(ValidationError) as error:
        services.group_create(partner=company, by=user, name="  spain   vip ")
    assert "already have a group" in str(error.value)
    assert make_group(tenant_b.end_user, "Spain VIP").name == "Spain VIP"
    other = make_group(company, "Other")
    with pytest.raises(ValidationError):
        services.group_update(group=other, by=user, name="SPAIN VIP")
    services.group_update(group=other, by=user, name="Spain Gold", description="Best customers")
    other.refresh_from_db()
    assert (other.name, other.description) == ("Spain Gold", "Best customers")


def test_groups_nest_without_cycles(company: Partner, user: User, tenant_b: Tenant) -> None:
    spain = make_group(company, "Spain")
    madrid = make_group(company, "Madrid")
    centre = make_group(company, "Centre")
    services.group_move(group=madrid, parent=spain, by=user)
    services.group_move(group=centre, parent=madrid, by=user)
    with pytest.raises(ValidationError):
        services.group_move(group=spain, parent=centre, by=user)
    with pytest.raises(ValidationError):
        services.group_move(group=spain, parent=spain, by=user)
    with pytest.raises(ValidationError):
        services.group_move(group=spain, parent=make_group(tenant_b.end_user), by=user)
    assert [(group.name, depth) for group, depth in selectors.group_tree(company)] == [
        ("Spain", 0),
        ("Madrid", 1),
        ("Centre", 2),
    ]
    in_centre = make_contact(company, [centre])
    in_spain = make_contact(company, [spain])
    chunks = selectors.group_recipients(partner=company, groups=[spain], sender=None)
    assert {r.phone for chunk in chunks for r in chunk} == {in_centre.phone, in_spain.phone}
    assert selectors.group_recipient_count(partner=company, groups=[madrid], sender=None) == 1


def test_deleting_a_group_deletes_contacts_that_have_no_other_group(
    company: Partner, user: User, vip: Group, standard: Group
) -> None:
    lonely = make_contact(company, [vip])
    shared = make_contact(company, [vip, standard])
    inner = make_group(company, "Inner", parent=vip)
    assert services.group_delete(group=vip, by=user) == 1
    assert not Contact.objects.filter(pk=lonely.pk).exists()
    assert list(Contact.objects.get(pk=shared.pk).groups.all()) == [standard]
    inner.refresh_from_db()
    assert inner.parent is None


@pytest.fixture
def reply_template_check() -> Iterator[None]:
    """What the campaigns app registers: groups that reply templates use cannot be deleted."""

    def check(group: Group) -> str | None:
        return "it is used by the reply template “STOP”" if group.name == "Spain VIP" else None

    group_services.register_group_use_check(check)
    yield
    group_services._group_use_checks.remove(check)


@pytest.mark.usefixtures("reply_template_check")
def test_a_group_used_elsewhere_cannot_be_deleted(company: Partner, user: User, vip: Group, standard: Group) -> None:
    with pytest.raises(ValidationError, match="reply template"):
        services.group_delete(group=vip, by=user)
    assert services.group_in_use(standard) == []
    services.group_delete(group=standard, by=user)
    assert list(Group.objects.for_partner(company)) == [vip]


def test_copying_and_moving_contacts_between_groups(company: Partner, user: User, vip: Group, standard: Group) -> None:
    a = make_contact(company, [vip])
    b = make_contact(company, [vip, standard])
    assert services.group_copy_contacts(source=vip, target=standard, by=user) == 1
    assert set(Contact.objects.in_groups([standard])) == {a, b}
    gold = make_group(company, "Gold")
    assert services.group_move_contacts(source=vip, target=gold, by=user) == 2
    assert not Contact.objects.in_groups([vip]).exists()
    assert set(Contact.objects.in_groups([gold])) == {a, b}
    with pytest.raises(ValidationError):
        services.group_copy_contacts(source=gold, target=gold, by=user)


def test_group_counts_in_one_query(company: Partner, vip: Group, standard: Group, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    make_contact(company, [vip, standard])
    make_contact(company, [vip])
    with django_assert_num_queries(1):
        counts = selectors.group_counts([vip, standard])
    assert counts == {vip.pk: 2, standard.pk: 1}

"""Stop-list semantics: blocks add up, "all sender IDs" blocks everything, contacts keep their groups."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from contacts import selectors, services
from contacts.models import Contact, Group, StopEntry
from senders.models import SenderID
from tenancy.models import Partner, User
from tests.contacts.factories import make_contact
from tests.factories import Tenant, make_sender_id


def _blocks(contact: Contact) -> set[int | None]:
    return set(contact.stop_entries.values_list("sender_id", flat=True))


def test_moving_to_the_stop_list_adds_to_earlier_blocks(
    company: Partner, user: User, vip: Group, sms_sender: SenderID, viber_sender: SenderID
) -> None:
    contact = make_contact(company, [vip])
    one = Contact.objects.filter(pk=contact.pk)
    services.stop_list_block(partner=company, contacts=one, sender_ids=[sms_sender], by=user)
    services.stop_list_block(partner=company, contacts=one, sender_ids=[viber_sender], by=user)
    assert _blocks(contact) == {sms_sender.pk, viber_sender.pk}
    services.stop_list_block(partner=company, contacts=one, sender_ids=None, by=user)
    assert _blocks(contact) == {sms_sender.pk, viber_sender.pk, None}
    # blocking again changes nothing
    assert services.stop_list_block(partner=company, contacts=one, sender_ids=[sms_sender], by=user) == 0
    assert list(contact.groups.all()) == [vip]


def test_a_contact_in_the_stop_list_keeps_its_groups_and_shows_in_the_stop_list_tab(
    company: Partner, user: User, vip: Group, sms_sender: SenderID
) -> None:
    blocked = make_contact(company, [vip])
    make_contact(company, [vip])
    services.stop_list_block(
        partner=company, contacts=Contact.objects.filter(pk=blocked.pk), sender_ids=[sms_sender], by=user
    )
    assert list(Contact.objects.for_partner(company).stop_listed()) == [blocked]
    assert Contact.objects.for_partner(company).in_groups([vip]).count() == 2


def test_recipients_skip_blocked_pairs_and_all_sender_blocks(
    company: Partner, user: User, vip: Group, sms_sender: SenderID, viber_sender: SenderID
) -> None:
    free = make_contact(company, [vip])
    sms_only = make_contact(company, [vip])
    everything = make_contact(company, [vip])
    services.stop_list_block(
        partner=company, contacts=Contact.objects.filter(pk=sms_only.pk), sender_ids=[sms_sender], by=user
    )
    services.stop_list_block(
        partner=company, contacts=Contact.objects.filter(pk=everything.pk), sender_ids=None, by=user
    )

    def phones(sender: SenderID) -> set[str]:
        chunks = selectors.group_recipients(partner=company, groups=[vip], sender=sender)
        return {recipient.phone for chunk in chunks for recipient in chunk}

    assert phones(sms_sender) == {free.phone}
    assert phones(viber_sender) == {free.phone, sms_only.phone}
    assert selectors.is_blocked(contact=everything, sender=viber_sender)
    assert selectors.stop_listed_phones(
        partner=company, sender=viber_sender, phones=[free.phone, sms_only.phone, everything.phone, "34999"]
    ) == {everything.phone}


def test_unblocking_chosen_sender_ids_or_everything(
    company: Partner, user: User, vip: Group, sms_sender: SenderID, viber_sender: SenderID
) -> None:
    contact = make_contact(company, [vip])
    one = Contact.objects.filter(pk=contact.pk)
    services.stop_list_block(partner=company, contacts=one, sender_ids=[sms_sender, viber_sender], by=user)
    services.stop_list_block(partner=company, contacts=one, sender_ids=None, by=user)
    assert services.stop_list_unblock(partner=company, contacts=one, sender_ids=[sms_sender], by=user) == 1
    assert _blocks(contact) == {viber_sender.pk, None}
    assert services.stop_list_unblock(partner=company, contacts=one, sender_ids=None, by=user) == 2
    assert not Contact.objects.for_partner(company).stop_listed().exists()


def test_sender_ids_of_another_partner_are_refused(company: Partner, user: User, vip: Group, tenant_b: Tenant) -> None:
    contact = make_contact(company, [vip])
    foreign = make_sender_id(tenant_b.end_user, value="Theirs")
    with pytest.raises(ValidationError):
        services.stop_list_block(
            partner=company, contacts=Contact.objects.filter(pk=contact.pk), sender_ids=[foreign], by=user
        )
    with pytest.raises(ValidationError):
        services.stop_list_block(
            partner=company, contacts=Contact.objects.filter(pk=contact.pk), sender_ids=[], by=user
        )
    assert not StopEntry.objects.exists()


def test_adding_a_number_to_the_stop_list(company: Partner, user: User, vip: Group, sms_sender: SenderID) -> None:
    known = make_contact(company, [vip], phone="34600000001", first_name="Ana")
    contact, created = services.stop_list_add_number(
        partner=company, by=user, phone="+34 600 000 001", sender_ids=[sms_sender], group=None
    )
    assert (contact, created) == (known, False)
    with pytest.raises(ValidationError):
        services.stop_list_add_number(partner=company, by=user, phone="34600000002", sender_ids=None, group=None)
    contact, created = services.stop_list_add_number(
        partner=company, by=user, phone="34600000002", sender_ids=None, group=vip, first_name="Leo"
    )
    assert created and contact.first_name == "Leo" and _blocks(contact) == {None}


def test_editing_a_contact_sets_its_blocks_exactly(
    company: Partner, user: User, vip: Group, sms_sender: SenderID, viber_sender: SenderID
) -> None:
    contact = services.contact_create(
        partner=company, by=user, phone="34600000001", groups=[vip], blocked_sender_ids=[sms_sender]
    )
    assert _blocks(contact) == {sms_sender.pk}
    services.contact_update(
        contact=contact, by=user, phone=contact.phone, groups=[vip], blocked_sender_ids=[viber_sender], blocked_all=True
    )
    assert _blocks(contact) == {viber_sender.pk, None}
    services.contact_update(contact=contact, by=user, phone=contact.phone, groups=[vip])
    assert _blocks(contact) == set()

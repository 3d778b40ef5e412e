"""Recipient expansion: stop list per sender ID in a cascade, variables, counters, chunks and resuming after a crash."""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any

import pytest

from billing import services as billing_services
from billing.models import BillingChannel, Country
from campaigns import expansion, services
from campaigns.models import Campaign
from contacts import files as contact_files
from contacts import services as contact_services
from contacts.models import Contact
from messaging.models import Message
from tenancy.models import Channel
from tests.campaigns.conftest import World, draft, sms_step
from tests.contacts.factories import csv_upload, make_contact, make_contact_field
from tests.factories import make_sender_id
from tests.messaging.conftest import make_plan

pytestmark = pytest.mark.django_db


def started(campaign: Campaign, capture: Any) -> Campaign:
    """Launch the campaign without running its expansion task."""
    with capture(execute=False):
        services.campaign_launch(campaign=campaign, by=None)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.IN_PROGRESS
    return campaign


def expand_all(campaign: Campaign) -> Campaign:
    assert expansion.campaign_expand(campaign_id=campaign.pk) is False
    campaign.refresh_from_db()
    return campaign


def counters(campaign: Campaign) -> tuple[int, ...]:
    return (
        campaign.recipients_total,
        campaign.messages_written,
        campaign.skipped_invalid,
        campaign.skipped_duplicates,
        campaign.skipped_stop_list,
        campaign.skipped_placeholders,
    )


def block(world: World, phone: str, senders: list[Any] | None) -> None:
    contact_services.stop_list_block(
        partner=world.tenant.end_user, contacts=Contact.objects.filter(phone=phone), sender_ids=senders, by=None
    )


def test_cascade_drops_only_the_stop_listed_channels(world: World, django_capture_on_commit_callbacks: Any) -> None:
    partner = world.tenant.end_user
    spain = Country.objects.get(iso_code="ES")
    plan = make_plan(world.tenant.reseller, BillingChannel.VIBER_TRANSACTION, {(spain, None): "0.01"})
    billing_services.plan_subscribe(partner=partner, plan=plan, by=None)
    viber = make_sender_id(partner, value="ShopV", channel=Channel.VIBER)
    make_contact_field(partner, "City")
    for phone, name in (("34600000004", "Eva"), ("34600000005", "Paz"), ("34600000006", "Rui")):
        make_contact(partner, groups=[world.group], phone=phone, first_name=name, custom_values={"city": "Madrid"})
    block(world, "34600000002", [viber])  # Luis: SMS only
    block(world, "34600000004", [viber, world.sender])  # Eva: neither channel
    block(world, "34600000005", None)  # Paz: every sender ID
    campaign = started(
        draft(
            world,
            steps=[
                {"channel": Channel.VIBER, "sender": "ShopV", "text": "Hola {first_name} de {city}", "ttl": 60},
                sms_step("SMS {FirstName} {city}"),
            ],
        ),
        django_capture_on_commit_callbacks,
    )
    campaign = expand_all(campaign)
    messages = {
        m.recipient: (m.channel, m.text, m.fallback) for m in Message.objects.filter(campaign_id=campaign.pk, step=0)
    }
    next_sms = {"channel": "sms", "sender": "Shop"}
    assert messages == {
        "34600000001": ("viber", "Hola Ana de {city}", {"ttl": 60, "next": [{**next_sms, "text": "SMS Ana {city}"}]}),
        "34600000002": ("sms", "SMS Luis {city}", None),
        "34600000003": ("viber", "Hola {first_name} de {city}",
                        {"ttl": 60, "next": [{**next_sms, "text": "SMS {FirstName} {city}"}]}),
        "34600000006": ("viber", "Hola Rui de Madrid", {"ttl": 60, "next": [{**next_sms, "text": "SMS Rui Madrid"}]}),
    }  # fmt: skip
    assert counters(campaign) == (5, 4, 0, 0, 1, 0)
    assert campaign.expanded is True


def test_reject_mode_skips_a_recipient_missing_any_variable(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    campaign = started(
        draft(world, steps=[sms_step("Hi {first_name}")], placeholders=Campaign.Placeholders.REJECT),
        django_capture_on_commit_callbacks,
    )
    campaign = expand_all(campaign)
    assert set(Message.objects.filter(campaign_id=campaign.pk).values_list("text", flat=True)) == {"Hi Ana", "Hi Luis"}
    assert counters(campaign) == (3, 2, 0, 0, 0, 1)


def test_text_without_variables_is_the_same_for_everyone(world: World, django_capture_on_commit_callbacks: Any) -> None:
    block(world, "34600000003", [world.sender])
    campaign = expand_all(started(draft(world, steps=[sms_step("Sale today")]), django_capture_on_commit_callbacks))
    rows = set(Message.objects.filter(campaign_id=campaign.pk).values_list("recipient", "text", "parts", "country_id"))
    spain = Country.objects.get(iso_code="ES").pk
    assert rows == {("34600000001", "Sale today", 1, spain), ("34600000002", "Sale today", 1, spain)}
    assert counters(campaign) == (3, 2, 0, 0, 1, 0)


def test_expansion_resumes_after_a_crash_without_doubles(
    world: World, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for index in range(4, 8):
        make_contact(world.tenant.end_user, groups=[world.group], phone=f"3460000000{index}", first_name=f"N{index}")
    monkeypatch.setattr(expansion, "CHUNK", 2)
    campaign = started(draft(world), django_capture_on_commit_callbacks)
    assert expansion.campaign_expand_chunk(campaign_id=campaign.pk) is True

    def crash(**kwargs: Any) -> None:
        raise RuntimeError("worker lost")

    with monkeypatch.context() as patched:
        patched.setattr(expansion.messaging, "enqueue_messages", crash)
        with pytest.raises(RuntimeError):
            expansion.campaign_expand_chunk(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert Message.objects.filter(campaign_id=campaign.pk).count() == 2
    assert counters(campaign) == (2, 2, 0, 0, 0, 0)
    campaign = expand_all(campaign)
    recipients = list(Message.objects.filter(campaign_id=campaign.pk).values_list("recipient", flat=True))
    assert sorted(recipients) == [f"3460000000{index}" for index in range(1, 8)]
    assert counters(campaign) == (7, 7, 0, 0, 0, 0)
    assert expansion.campaign_expand_chunk(campaign_id=campaign.pk) is False


def test_manual_numbers_are_deduplicated_across_chunks(
    world: World, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(expansion, "CHUNK", 2)
    numbers = "34600000001\n34600000002\n+34 600 000 001\n34600000009\nwrong\n34600000002"
    campaign = started(
        draft(world, source=Campaign.Source.MANUAL, manual_numbers=numbers, steps=[sms_step("Hi {phone}")]),
        django_capture_on_commit_callbacks,
    )
    campaign = expand_all(campaign)
    texts = dict(Message.objects.filter(campaign_id=campaign.pk).values_list("recipient", "text"))
    assert texts == {
        "34600000001": "Hi 34600000001",
        "34600000002": "Hi 34600000002",
        "34600000009": "Hi 34600000009",
    }
    assert counters(campaign) == (6, 3, 1, 2, 0, 0)


def test_a_text_left_empty_by_strip_mode_skips_the_recipient(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    campaign = started(
        draft(world, steps=[sms_step("{first_name}")], placeholders=Campaign.Placeholders.STRIP),
        django_capture_on_commit_callbacks,
    )
    campaign = expand_all(campaign)
    assert set(Message.objects.filter(campaign_id=campaign.pk).values_list("text", flat=True)) == {"Ana", "Luis"}
    assert counters(campaign) == (3, 2, 0, 0, 0, 1)


def test_a_file_is_read_once_per_expansion_call_and_resumes_at_the_cursor(
    world: World, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [["Phone", "Message"], *([f"3460000001{index}", f"Hello {index}"] for index in range(9))]
    rows.insert(4, ["34600000010", "again"])  # the number of the first row once more: a duplicate in a later chunk
    campaign = draft(world, source=Campaign.Source.FILE, steps=[sms_step("unused")])
    services.campaign_set_file(campaign=campaign, upload=csv_upload(rows, name="run.csv"))
    campaign.refresh_from_db()
    assert campaign.file_mapping == ["phone", "text"] and campaign.file_has_header
    campaign = started(campaign, django_capture_on_commit_callbacks)
    opened: list[int] = []
    open_rows = contact_files.open_rows

    def counting_open_rows(source: Any) -> Any:
        opened.append(1)
        return open_rows(source)

    monkeypatch.setattr(contact_files, "open_rows", counting_open_rows)
    monkeypatch.setattr(expansion, "CHUNK", 2)
    # A clock that moves one second per look: the first call stops after its third chunk.
    monkeypatch.setattr(expansion, "time", SimpleNamespace(monotonic=itertools.count().__next__))
    assert expansion.campaign_expand(campaign_id=campaign.pk, budget=2.5) is True
    campaign.refresh_from_db()
    assert (len(opened), campaign.expand_cursor, campaign.expanded) == (1, 6, False)
    assert Message.objects.filter(campaign_id=campaign.pk).count() == 5

    assert expansion.campaign_expand_chunk(campaign_id=campaign.pk) is True  # one chunk on its own opens the file
    campaign.refresh_from_db()
    assert (len(opened), campaign.expand_cursor, Message.objects.filter(campaign_id=campaign.pk).count()) == (2, 8, 7)

    assert expansion.campaign_expand(campaign_id=campaign.pk, budget=100) is False
    campaign.refresh_from_db()
    assert (len(opened), campaign.expand_cursor, campaign.expanded) == (3, 10, True)
    texts = sorted(Message.objects.filter(campaign_id=campaign.pk).values_list("recipient", "text"))
    assert texts == [(f"3460000001{index}", f"Hello {index}") for index in range(9)]
    assert counters(campaign) == (10, 9, 0, 1, 0, 0)

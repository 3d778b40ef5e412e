"""A Viber → WhatsApp → SMS cascade campaign to 1,000 contacts through a real worker, Redis and PostgreSQL.

The worker expands the recipients, dispatches through the simulator (half of the messages delivered on
each channel, the rest fall back to the next one) and processes the delivery reports; the test plays
celery beat. The campaign ends Completed, with one attempt per channel per recipient at most, counters
that match the messages and one Campaign transaction in the ledger.
"""

from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Count

from billing import services as billing_services
from billing.models import BillingChannel, Country, Rate, RatePlan, Transaction
from campaigns import services
from campaigns import tasks as campaign_tasks
from campaigns.models import Campaign, MessageTemplate, Moderation
from contacts.models import Contact, Membership
from messaging import tasks
from messaging.models import CampaignCounter, ConnectorType, Message, Route, Vendor
from senders.models import SenderID
from tenancy.models import Channel
from tests.contacts.factories import make_group
from tests.factories import make_tenant
from tests.integration.conftest import Worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CONTACTS = 1_000
RUN_TIMEOUT = 240.0


def test_three_channel_cascade_campaign_completes(worker: Worker) -> None:
    tenant = make_tenant("Cascade", "cascade.testserver")
    spain = Country.objects.get(iso_code="ES")
    for product in (BillingChannel.SMS, BillingChannel.VIBER_TRANSACTION, BillingChannel.WHATSAPP_MARKETING):
        plan = RatePlan.objects.create(partner=tenant.reseller, name=f"Cascade {product}", channel=product)
        Rate.objects.create(plan=plan, country=spain, price=Decimal("0.01"))
        billing_services.plan_subscribe(partner=tenant.end_user, plan=plan, by=None)
    billing_services.balance_change(partner=tenant.end_user, amount=Decimal("500"), type="payment", by=None)
    for value, channel in (("CasSMS", Channel.SMS), ("CasViber", Channel.VIBER), ("CasWA", Channel.WHATSAPP)):
        SenderID.objects.create(partner=tenant.end_user, value=value, channel=channel, status=SenderID.Status.ENABLED)
    vendor = Vendor.objects.create(
        partner=tenant.owner, name="Cascade simulator", code="cascade-sim", connector=ConnectorType.SIMULATOR,
        settings={"seed": 7, "latency": 0, "delivery_ratio": 0.5, "seen_ratio": 0.0},
    )  # fmt: skip
    for route_channel in Channel.values:
        Route.objects.create(partner=tenant.owner, channel=route_channel, vendor=vendor)
    template = MessageTemplate.objects.create(
        partner=tenant.end_user, name="offer", channel=Channel.WHATSAPP, text="Offer for {{1}}",
        purpose="marketing", language="en", moderation=Moderation.APPROVED,
    )  # fmt: skip
    group = make_group(tenant.end_user, "Everyone")
    contacts = Contact.objects.bulk_create(
        Contact(partner=tenant.end_user, phone=f"3462{index:07d}", first_name=f"N{index}", country=spain)
        for index in range(CONTACTS)
    )
    Membership.objects.bulk_create(Membership(contact=contact, group=group) for contact in contacts)

    campaign = services.campaign_create(
        partner=tenant.end_user,
        by=tenant.end_user_user,
        name="Cascade 1k",
        steps=[
            {"channel": "sms", "sender": "CasSMS", "text": "Hi {firstname} by SMS"},
            {"channel": "viber", "sender": "CasViber", "text": "Hi {firstname} on Viber", "ttl": 2},
            {
                "channel": "whatsapp",
                "sender": "CasWA",
                "template_id": template.pk,
                "template_params": ["{firstname}"],
                "ttl": 2,
            },
        ],  # fmt: skip
        source=Campaign.Source.GROUPS,
        groups=[group],
    )
    assert campaign.channels == ["viber", "whatsapp", "sms"]
    services.campaign_launch(campaign=campaign, by=tenant.end_user_user)  # the worker expands after commit

    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        campaign.refresh_from_db()
        if campaign.status == Campaign.Status.COMPLETED:
            break
        if time.monotonic() > deadline:
            pytest.fail(f"campaign still {campaign.status}:\n{worker.log_tail()}")
        for task in (tasks.dispatch_due, tasks.deliver_simulator_events, tasks.process_timers,
                     campaign_tasks.start_due_campaigns):  # fmt: skip
            task.delay()
        time.sleep(1)

    messages = Message.objects.filter(campaign_id=campaign.pk)
    per_channel = Counter(messages.values_list("channel", flat=True))
    assert per_channel[Channel.VIBER] == CONTACTS
    assert 0 < per_channel[Channel.WHATSAPP] < CONTACTS and 0 < per_channel[Channel.SMS] < per_channel["whatsapp"]
    assert not messages.values("transaction_id", "channel").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert set(messages.filter(channel=Channel.WHATSAPP).values_list("template_name", flat=True)) == {"offer"}
    assert messages.filter(channel=Channel.VIBER, recipient="34620000007").get().text == "Hi N7 on Viber"
    counted = dict(CampaignCounter.objects.filter(campaign_id=campaign.pk).values_list("channel", "total_messages"))
    assert counted == dict(per_channel)
    assert Transaction.objects.filter(partner=tenant.end_user, reference=f"campaign:{campaign.pk}").exists()
    assert campaign.messages_written == CONTACTS and campaign.finished_at is not None

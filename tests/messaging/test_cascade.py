"""Cascade fallback: Viber, then WhatsApp, then SMS, one attempt per channel, on deadlines and on failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from billing import services as billing_services
from billing.models import BillingChannel
from messaging import services
from messaging.connectors import Inbound, Receipt
from messaging.models import CampaignCounter, EdrType, Message, Vendor
from messaging.services import ChannelContent
from tenancy.models import Channel, Partner
from tests.factories import make_sender_id
from tests.messaging.conftest import Setup, make_plan, send, sms

VIBER_TTL = 60
WHATSAPP_TTL = 120


@pytest.fixture
def cascade(setup: Setup) -> list[ChannelContent]:
    tenant = setup.tenant
    for product in (BillingChannel.VIBER_TRANSACTION, BillingChannel.WHATSAPP_MARKETING):
        plan = make_plan(tenant.reseller, product, {(setup.spain, None): "0.005"})
        billing_services.plan_subscribe(partner=tenant.end_user, plan=plan, by=None)
    make_sender_id(tenant.end_user, value="ShopViber", channel=Channel.VIBER)
    make_sender_id(tenant.end_user, value="ShopWA", channel=Channel.WHATSAPP)
    return [
        ChannelContent(Channel.VIBER, "ShopViber", "Hi from Viber", ttl=VIBER_TTL),
        ChannelContent(
            Channel.WHATSAPP, "ShopWA", template_name="order_update", template_params=("42",), ttl=WHATSAPP_TTL
        ),  # fmt: skip
        sms("Hi by SMS"),
    ]


def attempts() -> list[tuple[str, str]]:
    return list(Message.objects.order_by("step").values_list("channel", "status"))


def test_each_channel_is_tried_after_the_previous_ttl(setup: Setup, cascade: list[ChannelContent]) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        [result] = send(setup, ["34600000001"], steps=cascade, campaign_id=1)
        services.dispatch_batch()
    assert attempts() == [("viber", "sent")]
    viber = Message.objects.get()
    assert viber.fallback_at == start + timedelta(seconds=VIBER_TTL) and viber.due_at == viber.fallback_at
    with time_machine.travel(start + timedelta(seconds=VIBER_TTL - 1), tick=False):
        assert services.process_timers() == 0
    with time_machine.travel(start + timedelta(seconds=VIBER_TTL), tick=False):
        assert services.process_timers() == 1
        assert services.process_timers() == 0  # the deadline fired once
        services.dispatch_batch()
    assert attempts() == [("viber", "sent"), ("whatsapp", "sent")]
    whatsapp = Message.objects.get(channel=Channel.WHATSAPP)
    assert (whatsapp.template_name, whatsapp.template_params, whatsapp.purpose) == ("order_update", ["42"], "marketing")
    with time_machine.travel(start + timedelta(seconds=VIBER_TTL + WHATSAPP_TTL), tick=False):
        services.process_timers()
        services.dispatch_batch()
        services.process_timers()
    assert attempts() == [("viber", "sent"), ("whatsapp", "sent"), ("sms", "sent")]
    sms_attempt = Message.objects.get(channel=Channel.SMS)
    assert sms_attempt.fallback is None and sms_attempt.fallback_at is None  # SMS is the last channel
    assert sms_attempt.due_at == sms_attempt.expires_at
    # all attempts are linked by the transaction id returned to the client
    assert set(Message.objects.values_list("transaction_id", flat=True)) == {result.transaction_id}  # type: ignore[union-attr]
    assert sorted(CampaignCounter.objects.values_list("channel", "sent_messages")) == [
        ("sms", 1), ("viber", 1), ("whatsapp", 1)]  # fmt: skip
    # the viber attempt still waits for its report until the status wait limit
    assert Message.objects.get(channel=Channel.VIBER).due_at == viber.expires_at


def test_a_delivered_attempt_stops_the_cascade(setup: Setup, cascade: list[ChannelContent]) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        send(setup, ["34600000001"], steps=cascade)
        services.dispatch_batch()
        viber = Message.objects.get()
        services.record_dlrs(vendor_id=setup.vendor.pk, receipts=[Receipt(viber.vendor_message_id, "delivered", start)])
    with time_machine.travel(start + timedelta(seconds=VIBER_TTL * 10), tick=False):
        services.process_timers()
        services.dispatch_batch()
    assert attempts() == [("viber", "delivered")]


def test_an_undelivered_report_falls_back_at_once(setup: Setup, cascade: list[ChannelContent]) -> None:
    send(setup, ["34600000001"], steps=cascade)
    services.dispatch_batch()
    viber = Message.objects.get()
    receipt = Receipt(viber.vendor_message_id, "undelivered", timezone.now(), "No Viber account")
    services.record_dlrs(vendor_id=setup.vendor.pk, receipts=[receipt])
    services.record_dlrs(vendor_id=setup.vendor.pk, receipts=[receipt])  # a duplicate starts nothing more
    services.dispatch_batch()
    assert attempts() == [("viber", "undelivered"), ("whatsapp", "sent")]


def test_a_channel_that_fails_at_dispatch_goes_straight_to_the_next(
    setup: Setup, cascade: list[ChannelContent]
) -> None:
    steps = [ChannelContent(Channel.VIBER, "NotMine", "Hi", ttl=VIBER_TTL), cascade[2]]
    send(setup, ["34600000001"], steps=steps)
    services.dispatch_batch()
    services.dispatch_batch()
    assert attempts() == [("viber", "failed"), ("sms", "sent")]


def test_cascades_survive_repeated_sweeps_with_one_attempt_per_channel(
    setup: Setup, cascade: list[ChannelContent]
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        send(setup, [f"3460000000{i}" for i in range(5)], steps=cascade)
        services.dispatch_batch()
    for seconds in (VIBER_TTL, VIBER_TTL, VIBER_TTL + WHATSAPP_TTL, 10_000, 100_000):
        with time_machine.travel(start + timedelta(seconds=seconds), tick=False):
            services.process_timers()
            services.dispatch_batch()
            services.process_timers()
    per_channel = list(Message.objects.values_list("channel", flat=True))
    assert sorted(per_channel) == sorted(["viber", "whatsapp", "sms"] * 5)
    assert set(Message.objects.values_list("status", flat=True)) == {"undelivered"}  # expired after the wait limit


def test_an_mo_reply_is_recorded_in_the_dialogue_and_announced(setup: Setup) -> None:
    Partner.objects.filter(pk=setup.tenant.end_user.pk).update(mo_enabled=True)
    setup.tenant.end_user.refresh_from_db()
    Vendor.objects.filter(pk=setup.vendor.pk).update(settings={"latency": 0, "delivery_ratio": 1, "mo_ratio": 1})
    from messaging import routing

    routing.clear_cache()
    send(setup, ["34600000001"], accept_mo=True, campaign_id=4)
    services.dispatch_batch()
    with time_machine.travel(timezone.now() + timedelta(seconds=30), tick=False):
        services.deliver_simulator_batch()
    mt = Message.objects.get(edr_type=EdrType.MT)
    mo = Message.objects.get(edr_type=EdrType.MO)
    assert (mo.partner_id, mo.sender, mo.recipient, mo.dialogue_id) == (
        mt.partner_id,
        mt.recipient,
        "Shop",
        mt.transaction_id,
    )
    assert mo.text in ("YES", "STOP", "INFO") and mo.status == "delivered" and mo.campaign_id == 4
    # a repeated MO (same vendor id) is stored once; an MO without a known sender ID is dropped
    assert services.record_mo(vendor_id=setup.vendor.pk, inbound=Inbound(
        mo.sender, "Shop", mo.text, mo.created_at, mo.vendor_message_id)) is None  # fmt: skip
    assert services.record_mo(vendor_id=setup.vendor.pk, inbound=Inbound(
        "34600000009", "Nobody", "hi", timezone.now())) is None  # fmt: skip
    found = services.record_mo(
        vendor_id=setup.vendor.pk, inbound=Inbound("34600000001", "shop", "again", timezone.now())
    )
    assert found is not None and found.dialogue_id == mt.transaction_id


def test_a_report_racing_the_deadline_starts_the_next_channel_once(
    setup: Setup, cascade: list[ChannelContent], monkeypatch: pytest.MonkeyPatch
) -> None:
    from messaging.services import dlr

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        send(setup, ["34600000001"], steps=cascade)
        services.dispatch_batch()
    viber = Message.objects.get()
    real_read = dlr._read
    fired: list[int] = []

    def read_then_deadline(*args: object, **kwargs: object) -> object:
        rows = real_read(*args, **kwargs)  # type: ignore[arg-type]
        if not fired:  # the deadline sweeper runs between the report's read and its write
            with time_machine.travel(start + timedelta(seconds=VIBER_TTL + 1), tick=False):
                fired.append(services.process_timers())
        return rows

    monkeypatch.setattr(dlr, "_read", read_then_deadline)
    receipt = Receipt(viber.vendor_message_id, "undelivered", start + timedelta(seconds=VIBER_TTL + 2))
    assert services.record_dlrs(vendor_id=setup.vendor.pk, receipts=[receipt]) == 1
    assert fired == [1]
    assert sorted(attempts()) == [("viber", "undelivered"), ("whatsapp", "prepared")]

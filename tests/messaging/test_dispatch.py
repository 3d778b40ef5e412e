"""Enqueue, routing, pricing, throttling and the dispatch outcome of each message."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing import services as billing_services
from billing.models import BillingChannel, Network, Pack, Transaction, TransactionType
from messaging import routing, services
from messaging.models import CampaignCounter, Message, MessageStatus, SimulatorEvent, Vendor, VendorStat
from messaging.services import ChannelContent, Enqueued, NotEnqueued, OutgoingMessage
from messaging.services.sql import bulk_update_rows
from tenancy.models import Channel, Partner
from tests.factories import make_sender_id, make_tenant
from tests.messaging.conftest import D, Setup, fund, send, simulator, sms
from tests.messaging.factories import make_route, make_vendor


def statuses() -> list[str]:
    return list(Message.objects.order_by("pk").values_list("status", flat=True))


# Enqueue ----------------------------------------------------------------------------------------------------------


def test_enqueue_writes_prepared_messages_and_reports_bad_and_duplicate_numbers(setup: Setup) -> None:
    results = send(setup, ["+34 600 000 001", "34600000001", "12", "34600000002"], campaign_id=7)
    assert [type(result) for result in results] == [Enqueued, NotEnqueued, NotEnqueued, Enqueued]
    assert isinstance(results[1], NotEnqueued) and results[1].code == "duplicate"
    assert isinstance(results[2], NotEnqueued) and results[2].code == "invalid_number"
    rows = list(Message.objects.order_by("pk").values("recipient", "status", "mccmnc", "parts", "campaign_id"))
    assert rows[0] == {"recipient": "34600000001", "status": "prepared", "mccmnc": rows[0]["mccmnc"], "parts": 1,
                       "campaign_id": 7}  # fmt: skip
    assert rows[0]["mccmnc"].startswith("214")
    assert isinstance(results[0], Enqueued)
    assert Message.objects.get(pk=results[0].message_id).transaction_id == results[0].transaction_id
    counter = CampaignCounter.objects.get(campaign_id=7)
    assert (counter.total_messages, counter.prepared_messages, counter.total_parts) == (2, 2, 2)


@pytest.mark.parametrize(
    ("steps", "code"),
    [
        ([], "no_channels"),
        ([sms(), ChannelContent(Channel.VIBER, "Shop", "Hi", ttl=60)], "sms_not_last"),
        ([ChannelContent(Channel.VIBER, "Shop", "Hi"), sms()], "ttl"),
        ([sms(text="  ")], "empty_text"),
        ([ChannelContent(Channel.WHATSAPP, "Shop")], "no_template"),
        ([sms(flash=True)], "flash_off"),
        ([ChannelContent(Channel.VIBER, "Shop", "Hi", flash=True)], "flash_channel"),
        ([sms(), sms()], "duplicate_channel"),
    ],
)
def test_enqueue_refuses_a_bad_cascade(setup: Setup, steps: list[ChannelContent], code: str) -> None:
    with pytest.raises(ValidationError) as raised:
        send(setup, steps=steps or [])  if steps else services.enqueue_messages(
            partner=setup.tenant.end_user, messages=[OutgoingMessage("34600000001", [])]
        )  # fmt: skip
    assert raised.value.code == code
    assert not Message.objects.exists()


def test_mo_and_flash_need_the_partner_options(setup: Setup) -> None:
    with pytest.raises(ValidationError) as raised:
        send(setup, accept_mo=True)
    assert raised.value.code == "mo_off"
    Partner.objects.filter(pk=setup.tenant.end_user.pk).update(mo_enabled=True, flash_enabled=True)
    setup.tenant.end_user.refresh_from_db()
    with pytest.raises(ValidationError) as raised:
        send(setup, steps=[sms(flash=True)], accept_mo=True)
    assert raised.value.code == "flash_mo"
    send(setup, steps=[sms(flash=True)])
    assert Message.objects.filter(flash=True).count() == 3


def test_viber_purpose_follows_the_content() -> None:
    assert ChannelContent(Channel.VIBER, "S", "t", image_url="https://x.test/a.png").effective_purpose == "promotion"
    assert ChannelContent(Channel.VIBER, "S", "t").effective_purpose == "transaction"
    assert ChannelContent(Channel.WHATSAPP, "S", template_name="t").effective_purpose == "marketing"
    assert ChannelContent(Channel.SMS, "S", "t").effective_purpose == ""


# Dispatch: the happy path and pricing hooks ---------------------------------------------------------------------


def test_dispatch_charges_by_network_rate_and_parts_and_sends(setup: Setup) -> None:
    long_text = "x" * 200  # two parts
    send(setup, ["34600000001"], steps=[sms(long_text)], campaign_id=3)
    Message.objects.update(network=setup.movistar, mccmnc=setup.movistar.mccmnc)
    send(setup, ["34600000002"], campaign_id=3)
    assert services.dispatch_batch() == 2
    first, second = Message.objects.order_by("pk")
    assert (first.status, first.parts, first.cost, first.rate) == ("sent", 2, D("0.04"), D("0.02"))
    assert (second.status, second.cost) == ("sent", D("0.01"))
    assert first.vendor_id == setup.vendor.pk and first.vendor_message_id == f"sim-{setup.vendor.pk}-{first.pk}"
    assert first.sent_at is not None and first.expires_at == first.sent_at + timedelta(hours=24)
    entry = Transaction.objects.get(partner=setup.tenant.end_user, type=TransactionType.CAMPAIGN)
    assert entry.reference == "campaign:3" and entry.amount == -D("0.05")
    assert first.billing_entry_id == entry.pk
    setup.tenant.end_user.refresh_from_db()
    assert setup.tenant.end_user.balance == billing_services.ledger_total(setup.tenant.end_user) == D("9.95")
    counter = CampaignCounter.objects.get(campaign_id=3)
    assert (counter.sent_messages, counter.sent_parts, counter.prepared_messages, counter.total_cost) == (
        2, 3, 0, D("0.05"))  # fmt: skip
    assert VendorStat.objects.get(vendor=setup.vendor).submitted == 2


def test_api_messages_accumulate_per_channel_day_and_label(setup: Setup) -> None:
    send(setup, label="promo")
    services.dispatch_batch()
    entry = Transaction.objects.get(partner=setup.tenant.end_user, type=TransactionType.API)
    assert entry.reference == f"api:sms:{timezone.now().date().isoformat()}:promo"
    assert entry.amount == -D("0.03")


def test_a_pack_is_used_before_the_plan(setup: Setup) -> None:
    pack = Pack.objects.create(
        partner=setup.tenant.reseller, name="P", price=D("1"), channel=BillingChannel.SMS, country=setup.spain,
        message_count=2,
    )  # fmt: skip
    billing_services.pack_purchase(partner=setup.tenant.end_user, pack=pack, by=None)
    send(setup)
    services.dispatch_batch()
    assert list(Message.objects.order_by("pk").values_list("from_pack", "cost")) == [
        (True, D("0")), (True, D("0")), (False, D("0.01"))]  # fmt: skip


def test_no_price_and_no_money_fail_with_the_billing_reason(setup: Setup) -> None:
    send(setup, ["46700000001"])  # Sweden: no rate in the plan
    services.dispatch_batch()
    failed = Message.objects.get()
    assert failed.status == MessageStatus.FAILED and failed.error_code == "no_tariff"
    assert "No pack or rate plan" in failed.error
    Message.objects.all().delete()
    billing_services.balance_change(partner=setup.tenant.end_user, amount=D("-9.99"), type="payment", by=None)
    send(setup)
    services.dispatch_batch()
    assert statuses() == ["sent", "failed", "failed"]
    assert Message.objects.filter(error_code="insufficient_funds").count() == 2


def test_a_sender_id_that_is_not_enabled_fails_the_message(setup: Setup) -> None:
    send(setup, ["34600000001"], steps=[sms(sender="Unknown")])
    services.dispatch_batch()
    message = Message.objects.get()
    assert message.status == "failed" and message.error_code == "sender_not_enabled"
    assert "Unknown" in message.error and message.cost == 0
    assert not Transaction.objects.filter(type=TransactionType.CAMPAIGN).exists()


# Routing ----------------------------------------------------------------------------------------------------------


def test_the_most_specific_route_and_lowest_priority_win(setup: Setup) -> None:
    owner = setup.tenant.owner
    country_vendor = simulator(owner)
    network_vendor = make_vendor(owner)
    backup = make_vendor(owner)
    make_route(owner, country_vendor, country=setup.spain, priority=2)
    make_route(owner, backup, country=setup.spain, priority=3)
    make_route(owner, network_vendor, country=setup.spain, network=setup.movistar)
    table = routing.route_table(owner.pk)
    assert table.vendor_for("sms", setup.spain.pk, setup.movistar.pk) == network_vendor.pk
    other = Network.objects.filter(country=setup.spain).exclude(pk=setup.movistar.pk).first()
    assert other is not None
    assert table.vendor_for("sms", setup.spain.pk, other.pk) == country_vendor.pk
    assert table.vendor_for("sms", None, None) == setup.vendor.pk  # the "all countries" route
    Vendor.objects.filter(pk=network_vendor.pk).update(enabled=False)
    routing.clear_cache()
    assert routing.route_table(owner.pk).vendor_for("sms", setup.spain.pk, setup.movistar.pk) == country_vendor.pk


def test_no_route_fails_with_a_clear_error_and_routes_of_another_owner_are_not_used(setup: Setup) -> None:
    other = make_tenant("Other", "other.testserver")
    simulator(other.owner)
    from messaging.models import Route

    Route.objects.filter(partner=setup.tenant.owner, channel=Channel.SMS).delete()
    routing.clear_cache()
    send(setup, ["34600000001"])
    services.dispatch_batch()
    message = Message.objects.get()
    assert message.status == "failed" and message.error_code == "no_route"
    assert message.error.startswith("No route for SMS messages to ")
    assert f"(Spain, {message.mccmnc})" in message.error


def test_simulation_goes_to_the_simulator_without_charge(setup: Setup) -> None:
    http = make_vendor(setup.tenant.owner, connector="http", settings={"url": "http://127.0.0.1:9/send"})
    from messaging.models import Route

    Route.objects.filter(partner=setup.tenant.owner).update(vendor=http)
    routing.clear_cache()
    send(setup, ["34600000001"], simulation=True)
    services.dispatch_batch()
    message = Message.objects.get()
    assert (message.status, message.vendor_id, message.cost) == ("sent", setup.vendor.pk, 0)
    assert not Transaction.objects.filter(type__in=["api", "campaign"]).exists()


# Vendor answers ---------------------------------------------------------------------------------------------------


def test_a_vendor_rejection_fails_and_refunds_the_message(setup: Setup) -> None:
    Vendor.objects.filter(pk=setup.vendor.pk).update(settings={"reject_ratio": 1.0, "latency": 0})
    routing.clear_cache()
    send(setup)
    services.dispatch_batch()
    assert statuses() == ["failed"] * 3
    assert set(Message.objects.values_list("error", flat=True)) == {"Rejected by vendor"}
    setup.tenant.end_user.refresh_from_db()
    assert setup.tenant.end_user.balance == D("10") == billing_services.ledger_total(setup.tenant.end_user)
    assert VendorStat.objects.get().rejected == 3


def test_a_vendor_that_cannot_be_reached_gets_the_messages_again_later(setup: Setup) -> None:
    http = make_vendor(setup.tenant.owner, connector="http", settings={"url": "http://127.0.0.1:9/send"})
    from messaging.models import Route

    Route.objects.filter(partner=setup.tenant.owner).update(vendor=http)
    routing.clear_cache()
    send(setup, ["34600000001"])
    services.dispatch_batch()
    message = Message.objects.get()
    assert (message.status, message.claim) == ("billed", "")
    assert message.due_at is not None and message.due_at > timezone.now() + timedelta(seconds=20)
    assert "unreachable" in message.error
    # charged once; a later dispatch does not charge it again
    Route.objects.filter(partner=setup.tenant.owner).update(vendor=setup.vendor)
    routing.clear_cache()
    Message.objects.update(due_at=timezone.now())
    services.dispatch_batch()
    message.refresh_from_db()
    assert message.status == "sent"
    assert Transaction.objects.get(type=TransactionType.API).amount == -D("0.01")


# Throttling -------------------------------------------------------------------------------------------------------


def test_vendor_tps_lets_a_second_worth_through_and_schedules_the_rest(setup: Setup) -> None:
    Vendor.objects.filter(pk=setup.vendor.pk).update(tps=2)
    routing.clear_cache()
    send(setup, [f"3460000000{i}" for i in range(5)])
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        assert services.dispatch_batch() == 5
        assert statuses().count("sent") == 2
        waiting = list(Message.objects.filter(status="prepared").order_by("due_at").values_list("due_at", flat=True))
        assert len(waiting) == 3 and all(moment > now for moment in waiting)
        assert services.dispatch_batch() == 0  # nothing due yet
    with time_machine.travel(now + timedelta(seconds=2), tick=False):
        services.dispatch_batch()
    assert statuses().count("sent") == 5 - Message.objects.filter(status="prepared").count()
    assert statuses().count("sent") >= 4


def test_campaign_rate_limit_spreads_the_messages(setup: Setup) -> None:
    services.campaign_dispatch_set(campaign_id=5, partner=setup.tenant.end_user, rate_limit=60, rate_period=60)
    send(setup, [f"3460000000{i}" for i in range(4)], campaign_id=5)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        services.dispatch_batch()
    assert statuses().count("sent") == 1
    due = sorted(Message.objects.filter(status="prepared").values_list("due_at", flat=True))
    assert [round((moment - now).total_seconds()) for moment in due] == [1, 2, 3]


def test_pause_holds_resume_releases_and_cancel_fails_the_waiting_messages(setup: Setup) -> None:
    send(setup, campaign_id=9)
    assert services.campaign_pause(campaign_id=9, partner=setup.tenant.end_user) == 3
    assert services.dispatch_batch() == 0
    assert services.campaign_resume(campaign_id=9, partner=setup.tenant.end_user) == 3
    services.campaign_pause(campaign_id=9, partner=setup.tenant.end_user)
    assert services.campaign_cancel(campaign_id=9, partner=setup.tenant.end_user) == 3
    assert set(Message.objects.values_list("status", "error_code")) == {("failed", "canceled")}
    assert CampaignCounter.objects.get(campaign_id=9).failed_messages == 3


def test_a_crash_between_claim_and_record_is_reconciled_without_sending_twice(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    from messaging.services import dispatch

    send(setup)
    monkeypatch.setattr(dispatch, "record_submits", lambda **kwargs: None)  # the worker dies after submitting
    services.dispatch_batch()
    monkeypatch.undo()
    assert statuses() == ["billed"] * 3
    assert Message.objects.exclude(claim="").count() == 3
    assert services.reconcile_claims() == 0  # the claim has not expired yet
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        assert services.reconcile_claims() == 3
    assert statuses() == ["sent"] * 3
    assert SimulatorEvent.objects.count() == 3  # the simulator got each message once


def test_a_crash_before_the_vendor_got_the_batch_sends_it_again_once(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    from messaging.services import dispatch

    send(setup)
    monkeypatch.setattr(dispatch, "_submit", lambda vendor_id, rows: None)  # dies before the vendor call
    services.dispatch_batch()
    monkeypatch.undo()
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        services.reconcile_claims()
        assert statuses() == ["billed"] * 3 and not Message.objects.exclude(claim="").exists()
        services.dispatch_batch()
    assert statuses() == ["sent"] * 3
    assert SimulatorEvent.objects.count() == 3
    assert Transaction.objects.get(type=TransactionType.API).amount == -D("0.03")  # charged once


def test_an_unknown_outcome_at_a_vendor_that_cannot_tell_fails_and_refunds(setup: Setup) -> None:
    http = make_vendor(setup.tenant.owner, connector="http", settings={"url": "http://127.0.0.1:9/send"})
    send(setup, ["34600000001"])
    message = Message.objects.get()
    bulk_update_rows(
        Message,
        ["status", "claim", "due_at", "vendor_id", "billing_entry_id"],
        [(message.pk, "billed", "dead-worker", timezone.now() - timedelta(seconds=1), http.pk, None)],
    )
    services.reconcile_claims()
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", "unknown_outcome")


def test_bulk_update_rows_writes_each_row_its_own_values(setup: Setup) -> None:
    send(setup)
    ids = list(Message.objects.order_by("pk").values_list("pk", flat=True))
    moment = timezone.now()
    bulk_update_rows(
        Message, ["error", "due_at", "fallback"], [(ids[0], "a", moment, {"x": 1}), (ids[2], "c", None, None)]
    )
    assert list(Message.objects.order_by("pk").values_list("error", "due_at", "fallback")) == [
        ("a", moment, {"x": 1}), ("", Message.objects.get(pk=ids[1]).due_at, None), ("c", None, None)]  # fmt: skip


def test_messages_of_a_partner_on_another_sender_are_checked_per_partner(setup: Setup) -> None:
    colleague = make_tenant("Gamma", "gamma.testserver")
    make_sender_id(colleague.end_user, value="Shop", channel=Channel.SMS)  # same value, another tenant
    simulator(colleague.owner)
    fund(colleague.end_user, "1")
    send(setup, ["34600000001"], steps=[sms(sender="shop")])  # case does not matter
    services.dispatch_batch()
    assert statuses() == ["sent"]


def test_a_message_the_vendor_never_takes_is_failed_and_refunded_after_the_wait_limit(setup: Setup) -> None:
    http = make_vendor(setup.tenant.owner, connector="http", settings={"url": "http://127.0.0.1:9/send"})
    from messaging.models import Route

    Route.objects.filter(partner=setup.tenant.owner).update(vendor=http)
    routing.clear_cache()
    send(setup, ["34600000001"])
    services.dispatch_batch()
    assert Message.objects.get().status == "billed"
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        services.dispatch_batch()
    message = Message.objects.get()
    assert (message.status, message.error_code) == ("failed", "not_submitted")
    setup.tenant.end_user.refresh_from_db()
    assert setup.tenant.end_user.balance == D("10")

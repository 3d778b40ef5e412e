"""Delivery reports in every order, duplicated, early, unknown; settlement and the status wait limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from billing import services as billing_services
from messaging import services
from messaging.connectors import Receipt
from messaging.models import CampaignCounter, Message, MessageStatus, UnmatchedReceipt, VendorStat
from messaging.services import dispatch
from tests.messaging.conftest import D, Setup, by_delivered_plan, send

DELIVERED, SEEN, UNDELIVERED, FAILED, SENT = "delivered", "seen", "undelivered", "failed", "sent"


def sent_message(setup: Setup) -> Message:
    send(setup, ["34600000001"], campaign_id=1)
    services.dispatch_batch()
    message = Message.objects.get()
    assert message.status == SENT
    return message


def report(setup: Setup, message: Message, *statuses: str, error: str = "") -> int:
    at = timezone.now()
    receipts = [
        Receipt(message.vendor_message_id, status, at + timedelta(seconds=index), error)
        for index, status in enumerate(statuses)
    ]
    return services.record_dlrs(vendor_id=setup.vendor.pk, receipts=receipts)


def balance(setup: Setup) -> object:
    setup.tenant.end_user.refresh_from_db()
    assert setup.tenant.end_user.balance == billing_services.ledger_total(setup.tenant.end_user)
    return setup.tenant.end_user.balance


def counts() -> dict[str, int]:
    counter = CampaignCounter.objects.get(campaign_id=1)
    return {status: getattr(counter, f"{status}_messages") for status in MessageStatus.values if getattr(
        counter, f"{status}_messages")}  # fmt: skip


@pytest.mark.parametrize(
    ("sequence", "final"),
    [
        ((DELIVERED,), DELIVERED),
        ((DELIVERED, DELIVERED), DELIVERED),  # duplicate
        ((DELIVERED, UNDELIVERED), DELIVERED),  # the first final status wins
        ((UNDELIVERED, DELIVERED), UNDELIVERED),
        ((FAILED, DELIVERED), FAILED),
        ((DELIVERED, SENT), DELIVERED),  # a late SENT never overwrites DELIVERED
        ((SENT, DELIVERED), DELIVERED),  # an intermediate report first
        ((DELIVERED, SEEN), SEEN),  # read after delivered
        ((SEEN, DELIVERED), SEEN),  # a late DELIVERED does not undo SEEN
        ((SEEN,), SEEN),
        ((UNDELIVERED, SEEN), UNDELIVERED),
    ],
)
def test_report_sequences_in_separate_requests(setup: Setup, sequence: tuple[str, ...], final: str) -> None:
    message = sent_message(setup)
    for status in sequence:
        report(setup, message, status)
    message.refresh_from_db()
    assert message.status == final
    assert counts() == {final: 1}
    assert message.due_at is None and message.claim == ""
    if final in (DELIVERED, SEEN):
        assert message.delivered_at is not None and message.error == ""
    else:
        assert message.error


def test_reports_of_one_message_in_one_batch_apply_in_event_time_order(setup: Setup) -> None:
    message = sent_message(setup)
    at = timezone.now()
    services.record_dlrs(
        vendor_id=setup.vendor.pk,
        receipts=[
            Receipt(message.vendor_message_id, SEEN, at + timedelta(seconds=5)),
            Receipt(message.vendor_message_id, DELIVERED, at),
            Receipt(message.vendor_message_id, DELIVERED, at),
        ],
    )
    message.refresh_from_db()
    assert (message.status, message.delivered_at, message.status_at) == (SEEN, at, at + timedelta(seconds=5))
    assert VendorStat.objects.get().delivered == 1


def test_a_report_before_the_submit_is_recorded_is_kept_and_not_undone(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The simulator's ids are known at claim time: a report that overtakes the submit result still applies."""
    captured: list[dict[str, object]] = []
    real = dispatch.record_submits

    def late(**kwargs: object) -> None:
        captured.append(kwargs)

    monkeypatch.setattr(dispatch, "record_submits", late)
    send(setup, ["34600000001"], campaign_id=1)
    services.dispatch_batch()
    message = Message.objects.get()
    assert message.status == "billed" and message.vendor_message_id
    report(setup, message, DELIVERED)
    real(**captured[0])  # type: ignore[arg-type]
    message.refresh_from_db()
    assert (message.status, message.claim) == (DELIVERED, "")
    assert message.sent_at is not None
    assert counts() == {DELIVERED: 1}


def test_an_unknown_vendor_id_waits_until_the_message_is_known(setup: Setup) -> None:
    message = sent_message(setup)
    assert (
        services.record_dlrs(vendor_id=setup.vendor.pk, receipts=[Receipt("elsewhere-1", DELIVERED, timezone.now())])
        == 0
    )
    assert UnmatchedReceipt.objects.count() == 1
    Message.objects.filter(pk=message.pk).update(vendor_message_id="elsewhere-1")
    assert services.match_unmatched() == 1
    message.refresh_from_db()
    assert message.status == DELIVERED and not UnmatchedReceipt.objects.exists()


def test_by_delivered_charges_are_refunded_once_when_undelivered(setup: Setup) -> None:
    by_delivered_plan(setup)
    message = sent_message(setup)
    assert balance(setup) == D("9.99")
    report(setup, message, UNDELIVERED, error="Absent subscriber")
    report(setup, message, UNDELIVERED)
    report(setup, message, FAILED)
    assert balance(setup) == D("10")
    message.refresh_from_db()
    assert message.error == "Absent subscriber"
    assert CampaignCounter.objects.get(campaign_id=1).total_cost == 0


def test_by_delivered_charges_are_kept_when_delivered(setup: Setup) -> None:
    by_delivered_plan(setup)
    message = sent_message(setup)
    report(setup, message, DELIVERED, SEEN)
    assert balance(setup) == D("9.99")


def test_by_submitted_charges_are_kept_when_undelivered(setup: Setup) -> None:
    message = sent_message(setup)
    report(setup, message, UNDELIVERED)
    assert balance(setup) == D("9.99")


def test_the_status_wait_limit_expires_sent_messages(setup: Setup, settings: object) -> None:
    by_delivered_plan(setup)
    message = sent_message(setup)
    with time_machine.travel(timezone.now() + timedelta(hours=23), tick=False):
        assert services.process_timers() == 0
    with time_machine.travel(timezone.now() + timedelta(hours=24, seconds=1), tick=False):
        assert services.process_timers() == 1
    message.refresh_from_db()
    assert (message.status, message.error_code) == (UNDELIVERED, "expired")
    assert "status wait limit" in message.error
    assert balance(setup) == D("10")
    report(setup, message, DELIVERED)  # too late: the message is final
    message.refresh_from_db()
    assert message.status == UNDELIVERED


def test_the_simulator_sends_its_reports_when_they_are_due(setup: Setup) -> None:
    from messaging.models import Vendor

    Vendor.objects.filter(pk=setup.vendor.pk).update(settings={"latency": 30, "delivery_ratio": 0.5, "seed": 3})
    from messaging import routing

    routing.clear_cache()
    send(setup, [f"3460000{i:04d}" for i in range(40)], campaign_id=1)
    services.dispatch_batch()
    assert services.deliver_simulator_batch() == 0
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):
        assert services.deliver_simulator_batch() == 40
    outcome = counts()
    assert outcome[DELIVERED] + outcome[UNDELIVERED] == 40 and 8 < outcome[DELIVERED] < 32
    first = dict(Message.objects.values_list("recipient", "status"))
    Message.objects.all().delete()
    # the same seed and references give the same outcome: deterministic
    assert len(first) == 40

"""Client callbacks against a real local HTTP server: payload, signature, retries with backoff, the log."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from messaging import routing, services
from messaging.connectors import Receipt
from messaging.models import CallbackDelivery, Message, Vendor
from messaging.services import CallbackSpec
from messaging.services.callbacks import backoff, verify
from tenancy.models import Partner
from tests.messaging.conftest import Setup, send

SECRET = "s3cret-for-hmac"


def api_message(setup: Setup, url: str) -> Message:
    send(setup, ["34600000001"], callback=CallbackSpec(url, SECRET), label="orders")
    services.dispatch_batch()
    return Message.objects.get()


def test_every_status_change_is_posted_signed(setup: Setup, httpserver: HTTPServer) -> None:
    received: list[Request] = []

    def handler(request: Request) -> Response:
        received.append(request)
        return Response("ok")

    httpserver.expect_request("/dlr", method="POST").respond_with_handler(handler)
    message = api_message(setup, httpserver.url_for("/dlr"))
    services.record_dlrs(
        vendor_id=setup.vendor.pk, receipts=[Receipt(message.vendor_message_id, "delivered", timezone.now())]
    )
    assert services.callbacks_send_due() == 3
    payloads = [json.loads(request.data) for request in received]
    assert [payload["status"] for payload in payloads] == ["BILLED", "SENT", "DELIVERED"]
    first = payloads[0]
    assert set(first) == {"transactionID", "dnis", "status", "eventTime", "channel"}
    assert (first["transactionID"], first["dnis"], first["channel"]) == (
        str(message.transaction_id),
        "34600000001",
        "SMS",
    )
    # yyyy-MM-dd'T'HH:mm:ss.SSSxxx
    assert len(first["eventTime"]) == len("2026-01-31T12:00:00.123+00:00") and first["eventTime"][19] == "."
    for request in received:
        assert verify(SECRET, request.data, request.headers["X-Signature"], tolerance=60)
        assert not verify("another secret", request.data, request.headers["X-Signature"])
        assert request.headers["Content-Type"] == "application/json"
    assert set(CallbackDelivery.objects.values_list("status", "attempts")) == {("delivered", 1)}
    assert services.callbacks_send_due() == 0


def test_failed_callbacks_are_retried_with_backoff_and_logged(setup: Setup, httpserver: HTTPServer) -> None:
    answers = iter([Response("busy", status=503), Response("oops", status=500), Response("ok")])
    attempts: list[str] = []

    def handler(request: Request) -> Response:
        attempts.append(request.headers["X-Callback-Attempt"])
        return next(answers)

    httpserver.expect_request("/cb").respond_with_handler(handler)
    send(setup, ["34600000001"], callback=CallbackSpec(httpserver.url_for("/cb"), SECRET))
    CallbackDelivery.objects.all().delete()
    Message.objects.update(callback_target=None)
    target = services.callback_target(
        partner=setup.tenant.end_user, spec=CallbackSpec(httpserver.url_for("/cb"), SECRET)
    )
    Message.objects.update(callback_target=target)
    services.dispatch_batch()  # BILLED and SENT callbacks
    CallbackDelivery.objects.exclude(payload__status="SENT").delete()
    delivery = CallbackDelivery.objects.get()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert services.callbacks_send_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 503)
    assert delivery.next_attempt_at == start + backoff(1) == start + timedelta(seconds=30)
    with time_machine.travel(start + timedelta(seconds=29), tick=False):
        assert services.callbacks_send_due() == 0  # not yet
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        assert services.callbacks_send_due() == 1
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == start + timedelta(seconds=30) + backoff(2)
    with time_machine.travel(start + timedelta(seconds=90), tick=False):
        assert services.callbacks_send_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("delivered", 3, None)
    assert attempts == ["1", "2", "3"]
    assert list(delivery.log.values_list("status_code", flat=True)) == [503, 500, 200]


def test_a_callback_is_given_up_after_the_last_attempt(setup: Setup, httpserver: HTTPServer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MESSAGING_CALLBACK_ATTEMPTS = 2
    httpserver.expect_request("/down").respond_with_data("no", status=500)
    api_message(setup, httpserver.url_for("/down"))
    CallbackDelivery.objects.exclude(payload__status="SENT").delete()
    start = timezone.now()
    for offset in (0, 31):
        with time_machine.travel(start + timedelta(seconds=offset), tick=False):
            services.callbacks_send_due()
    delivery = CallbackDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 2, None)
    # an unreachable address is logged like any failure
    CallbackDelivery.objects.filter(pk=delivery.pk).update(status="pending", attempts=0, next_attempt_at=start)
    delivery.target.url = "http://127.0.0.1:9/closed"
    delivery.target.save()
    with time_machine.travel(start + timedelta(seconds=100), tick=False):
        services.callbacks_send_due()
    delivery.refresh_from_db()
    assert delivery.last_status_code is None and delivery.last_error


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4, 20)] == [30, 60, 120, 240, 3600]


def test_mo_callbacks_carry_the_text(setup: Setup, httpserver: HTTPServer) -> None:
    Partner.objects.filter(pk=setup.tenant.end_user.pk).update(mo_enabled=True)
    setup.tenant.end_user.refresh_from_db()
    Vendor.objects.filter(pk=setup.vendor.pk).update(settings={"latency": 0, "delivery_ratio": 1, "mo_ratio": 1})
    routing.clear_cache()
    received: list[dict[str, object]] = []
    httpserver.expect_request("/mo").respond_with_handler(
        lambda request: received.append(json.loads(request.data)) or Response("ok")  # type: ignore[func-returns-value]
    )
    send(setup, ["34600000001"], callback=CallbackSpec(httpserver.url_for("/mo"), SECRET), accept_mo=True)
    services.dispatch_batch()
    with time_machine.travel(timezone.now() + timedelta(seconds=30), tick=False):
        services.deliver_simulator_batch()
        while services.callbacks_send_due():
            pass
    mo = [payload for payload in received if "message" in payload]
    assert len(mo) == 1 and mo[0]["message"] in ("YES", "STOP", "INFO") and mo[0]["dnis"] == "34600000001"


@pytest.mark.parametrize("header", ["", "t=1", "t=x,v1=y", "v1=abc"])
def test_malformed_signatures_do_not_verify(header: str) -> None:
    assert not verify(SECRET, b"{}", header)

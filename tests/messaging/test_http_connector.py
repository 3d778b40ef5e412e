"""The generic HTTP vendor against a real local HTTP server, and the vendor webhooks."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from messaging import connectors, routing, services
from messaging.connectors.http import dig, render
from messaging.models import ConnectorType, Message, Route, UnmatchedReceipt, Vendor
from tests.messaging.conftest import Setup, send
from tests.messaging.factories import make_vendor

JSON_SETTINGS: dict[str, Any] = {
    "method": "POST",
    "format": "json",
    "headers": {"X-Api-Key": "vendor-key"},
    "body": {"from": "{sender}", "to": "{recipient}", "text": "{text}", "parts": "{parts}", "ref": "{message_id}"},
    "response_id_path": "messages.0.id",
}


def route_to(setup: Setup, **settings: Any) -> Vendor:
    vendor = make_vendor(setup.tenant.owner, connector=ConnectorType.HTTP, settings=settings)
    Route.objects.filter(partner=setup.tenant.owner).update(vendor=vendor)
    routing.clear_cache()
    return vendor


def test_json_post_with_the_vendor_id_from_the_answer(setup: Setup, httpserver: HTTPServer) -> None:
    bodies: list[dict[str, Any]] = []

    def handler(request: Request) -> Response:
        assert request.headers["X-Api-Key"] == "vendor-key"
        bodies.append(json.loads(request.data))
        return Response(json.dumps({"messages": [{"id": f"v-{len(bodies)}"}]}), content_type="application/json")

    httpserver.expect_request("/send", method="POST").respond_with_handler(handler)
    route_to(setup, url=httpserver.url_for("/send"), **JSON_SETTINGS)
    send(setup, ["34600000001", "34600000002"], steps=None)
    services.dispatch_batch()
    rows = list(Message.objects.order_by("pk").values_list("status", "vendor_message_id", "uuid"))
    assert [(status, vendor_id) for status, vendor_id, _uuid in rows] == [("sent", "v-1"), ("sent", "v-2")]
    assert bodies[0] == {"from": "Shop", "to": "34600000001", "text": "Hello", "parts": 1, "ref": str(rows[0][2])}


def test_kannel_style_get_with_our_id_and_a_report_by_query_parameters(setup: Setup, httpserver: HTTPServer) -> None:
    seen: list[dict[str, list[str]]] = []

    def handler(request: Request) -> Response:
        seen.append(parse_qs(urlsplit(request.url).query))
        return Response("0: Accepted for delivery", status=202)

    httpserver.expect_request("/cgi-bin/sendsms", method="GET").respond_with_handler(handler)
    vendor = route_to(
        setup,
        url=httpserver.url_for("/cgi-bin/sendsms"),
        method="GET",
        params={"username": "u", "password": "p", "from": "{sender}", "to": "{recipient}", "text": "{text}",
                "dlr-mask": "3", "dlr-url": "{dlr_url}&id={message_id}&status=%d"},
        dlr_base_url="http://portal.test",
    )  # fmt: skip
    send(setup, ["34600000001"])
    services.dispatch_batch()
    message = Message.objects.get()
    assert (message.status, message.vendor_message_id) == ("sent", str(message.uuid))
    query = seen[0]
    assert query["to"] == ["34600000001"] and query["text"] == ["Hello"]
    dlr_url = query["dlr-url"][0]
    assert dlr_url.startswith(f"http://portal.test/hooks/vendors/{vendor.code}/dlr?token={vendor.dlr_token}&id=")
    # Kannel calls the report URL with %d replaced by its report type (1 = delivered)
    path = urlsplit(dlr_url.replace("%d", "1"))
    response = Client().get(f"{path.path}?{path.query}")
    assert response.status_code == 200 and response.json() == {"accepted": 1, "rejected": 0}
    message.refresh_from_db()
    assert message.status == "delivered"


def test_vendor_errors_reject_or_retry(setup: Setup, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/bad").respond_with_data("invalid number", status=400)
    httpserver.expect_request("/busy").respond_with_data("slow down", status=429)
    httpserver.expect_request("/noid").respond_with_json({"messages": []})
    route_to(setup, url=httpserver.url_for("/bad"), **{**JSON_SETTINGS})
    send(setup, ["34600000001"])
    services.dispatch_batch()
    assert Message.objects.get().error.startswith("Rejected by vendor (HTTP 400): invalid number")
    Message.objects.all().delete()
    route_to(setup, url=httpserver.url_for("/busy"), **JSON_SETTINGS)
    send(setup, ["34600000001"])
    services.dispatch_batch()
    assert Message.objects.values_list("status", "claim", "error").get() == ("billed", "", "Vendor busy (HTTP 429)")
    Message.objects.all().delete()
    route_to(setup, url=httpserver.url_for("/noid"), **JSON_SETTINGS)
    send(setup, ["34600000001"])
    services.dispatch_batch()
    assert Message.objects.get().status == "failed"


def test_an_unreachable_vendor_keeps_the_whole_batch_for_later_without_waiting_on_each(setup: Setup) -> None:
    route_to(setup, url="http://127.0.0.1:9/send", **{k: v for k, v in JSON_SETTINGS.items() if k != "url"})
    send(setup)
    services.dispatch_batch()
    assert set(Message.objects.values_list("status", "claim")) == {("billed", "")}
    assert all("unreachable" in error for error in Message.objects.values_list("error", flat=True))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "url"),
        ({"url": "ftp://x"}, "url"),
        ({"url": "http://x", "method": "PUT"}, "method"),
        ({"url": "http://x", "format": "xml"}, "format"),
        ({"url": "http://x", "headers": []}, "headers"),
        ({"url": "http://x", "timeout": 0}, "timeout"),
    ],
)
def test_http_settings_are_checked(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        connectors.check_settings("http", settings)
    assert message in raised.value.messages[0]


def test_templates_keep_types_and_fill_text() -> None:
    values = {"parts": 2, "flash": True, "text": 'say "hi"', "list": [1]}
    template = {"a": "{parts}", "b": ["{flash}"], "c": "n={parts} {text}", "d": "{unknown}", "e": "{list}"}
    assert render(template, values) == {"a": 2, "b": [True], "c": 'n=2 say "hi"', "d": "{unknown}", "e": [1]}
    assert dig({"a": [{"b": "x"}]}, "a.0.b") == "x" and dig({"a": []}, "a.0.b") is None


# Webhooks ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def webhook_vendor(setup: Setup) -> Vendor:
    return route_to(
        setup,
        url="http://127.0.0.1:9/unused",
        dlr={
            "id": "msg.id",
            "status": "state",
            "error": "reason",
            "statuses": {"OK": "delivered", "NOPE": "undelivered"},
        },
        mo={"from": "msisdn", "to": "shortcode", "text": "body"},
    )


def _sent(setup: Setup, numbers: list[str]) -> list[Message]:
    send(setup, numbers)
    Message.objects.update(status="sent")
    vendor = Vendor.objects.get(connector="http")
    Message.objects.update(vendor=vendor)
    for index, pk in enumerate(Message.objects.order_by("pk").values_list("pk", flat=True)):
        Message.objects.filter(pk=pk).update(vendor_message_id=f"v{index}")
    return list(Message.objects.order_by("pk"))


def test_the_dlr_webhook_needs_the_vendor_token(setup: Setup, webhook_vendor: Vendor) -> None:
    url = f"/hooks/vendors/{webhook_vendor.code}/dlr"
    assert Client().post(url, "{}", content_type="application/json").status_code == 401
    assert (
        Client().post(url, "{}", content_type="application/json", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    )
    assert Client().post("/hooks/vendors/nobody/dlr", "{}", content_type="application/json").status_code == 404
    response = Client().post(url, "{}", content_type="application/json", HTTP_X_VENDOR_TOKEN=webhook_vendor.dlr_token)
    assert response.status_code == 200 and response.json() == {"accepted": 0, "rejected": 1}


def test_the_dlr_webhook_takes_single_and_batched_reports(setup: Setup, webhook_vendor: Vendor) -> None:
    first, second, third = _sent(setup, ["34600000001", "34600000002", "34600000003"])
    url = f"/hooks/vendors/{webhook_vendor.code}/dlr"
    auth: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {webhook_vendor.dlr_token}"}
    single = {"msg": {"id": "v0"}, "state": "OK", "time": "2026-01-31T10:00:00Z"}
    assert Client().post(url, json.dumps(single), content_type="application/json", **auth).json()["accepted"] == 1
    batch = [
        {"msg": {"id": "v1"}, "state": "NOPE", "reason": "Absent subscriber"},
        {"msg": {"id": "v2"}, "state": "DELIVRD"},  # a default word
        {"msg": {"id": "v9"}, "state": "OK"},  # not ours (yet): kept aside
        {"msg": {"id": "v2"}, "state": "bogus"},
    ]
    answer = Client().post(url, json.dumps(batch), content_type="application/json", **auth).json()
    assert answer == {"accepted": 3, "rejected": 1}
    statuses = {m.pk: (m.status, m.error) for m in Message.objects.all()}
    assert statuses[first.pk] == ("delivered", "")
    assert statuses[second.pk] == ("undelivered", "Absent subscriber")
    assert statuses[third.pk][0] == "delivered"
    assert UnmatchedReceipt.objects.get().vendor_message_id == "v9"
    assert str(Message.objects.get(pk=first.pk).delivered_at) == "2026-01-31 10:00:00+00:00"
    invalid = Client().post(url, "{not json", content_type="application/json", **auth)
    assert invalid.status_code == 400


def test_the_mo_webhook_stores_the_inbound_message(setup: Setup, webhook_vendor: Vendor) -> None:
    _sent(setup, ["34600000001"])
    url = f"/hooks/vendors/{webhook_vendor.code}/mo?token={webhook_vendor.dlr_token}"
    answer = Client().post(url, {"msisdn": "+34600000001", "shortcode": "Shop", "body": "STOP"}).json()
    assert answer == {"accepted": 1, "rejected": 0}
    mo = Message.objects.get(edr_type="MO")
    assert (mo.sender, mo.recipient, mo.text) == ("34600000001", "Shop", "STOP")

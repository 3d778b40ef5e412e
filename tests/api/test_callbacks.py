"""Delivery reports to the key's callback URL and MO messages to the key or the Callback Settings routes,
received by a real local HTTP server."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from pytest_httpserver import HTTPServer

from api import services as api_services
from messaging import services as messaging_services
from messaging.connectors.base import Inbound
from messaging.models import Message
from messaging.services.callbacks import verify
from tenancy.models import Partner
from tests.api.conftest import api_client, new_key
from tests.factories import make_sender_id
from tests.messaging.conftest import Setup

EVENT_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$")


def send(client: Any, **fields: Any) -> str:
    data = {"channels": "SMS", "from": "Shop", "to": "34600000001", "message": "Hello", **fields}
    response = client.post("/api/send_sms", json.dumps([data]), content_type="application/json")
    assert response.status_code == 200, response.content
    return str(response.json()["results"][0].split(":", 1)[1].strip())


def bodies(httpserver: HTTPServer) -> list[dict[str, Any]]:
    return [json.loads(request.data) for request, _response in httpserver.log]


def test_delivery_reports_reach_the_keys_callback_url_signed_and_in_the_guides_format(
    setup: Setup, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/dlr", method="POST").respond_with_data("ok")
    issued = new_key(setup.tenant, callback_url=httpserver.url_for("/dlr"))
    transaction_id = send(api_client(issued.secret))
    messaging_services.dispatch_batch()
    messaging_services.deliver_simulator_batch(now=timezone.now() + timedelta(seconds=5))
    messaging_services.callbacks_send_due(now=timezone.now() + timedelta(seconds=5))
    received = bodies(httpserver)
    assert [body["status"] for body in received] == ["BILLED", "SENT", "DELIVERED"]
    last = received[-1]
    assert set(last) == {"transactionID", "dnis", "status", "eventTime", "channel"}
    assert (last["transactionID"], last["dnis"], last["channel"]) == (transaction_id, "34600000001", "SMS")
    assert EVENT_TIME.match(last["eventTime"])
    request = httpserver.log[-1][0]
    assert verify(issued.api_key.callback_secret, request.data, request.headers["X-Signature"])


def _mo(setup: Setup, text: str = "STOP") -> None:
    mt = Message.objects.get()
    messaging_services.record_mo(
        vendor_id=setup.vendor.pk,
        inbound=Inbound(sender=mt.recipient, recipient=mt.sender, text=text, at=timezone.now()),
    )


@pytest.fixture
def mo_setup(setup: Setup) -> Setup:
    Partner.objects.filter(pk=setup.tenant.end_user.pk).update(mo_enabled=True)
    setup.tenant.end_user.refresh_from_db()
    return setup


def test_mo_for_accept_mo_sends_goes_to_the_keys_url(
    mo_setup: Setup, httpserver: HTTPServer, django_capture_on_commit_callbacks: Any
) -> None:
    httpserver.expect_request("/key").respond_with_data("ok")
    issued = new_key(mo_setup.tenant, callback_url=httpserver.url_for("/key"))
    transaction_id = send(api_client(issued.secret), acceptMO=True)
    messaging_services.dispatch_batch()
    with django_capture_on_commit_callbacks(execute=True):
        _mo(mo_setup, "YES please")
    messaging_services.callbacks_send_due(now=timezone.now() + timedelta(seconds=5))
    mo = [body for body in bodies(httpserver) if "message" in body]
    assert len(mo) == 1
    assert mo[0]["message"] == "YES please" and mo[0]["transactionID"] == transaction_id
    assert mo[0]["dnis"] == "34600000001"


def test_mo_route_of_the_sender_id_wins_over_the_default_url(
    mo_setup: Setup, httpserver: HTTPServer, django_capture_on_commit_callbacks: Any
) -> None:
    httpserver.expect_request("/route").respond_with_data("ok")
    httpserver.expect_request("/default").respond_with_data("ok")
    partner = mo_setup.tenant.end_user
    api_services.callback_settings_save(partner=partner, default_mo_url=httpserver.url_for("/default"))
    other = make_sender_id(partner, value="Other")
    route = api_services.mo_route_save(partner=partner, url=httpserver.url_for("/route"),
                                       sender_ids=[mo_setup.sms_sender])  # fmt: skip
    send(api_client(new_key(mo_setup.tenant).secret))
    messaging_services.dispatch_batch()
    with django_capture_on_commit_callbacks(execute=True):
        _mo(mo_setup)
    messaging_services.callbacks_send_due(now=timezone.now() + timedelta(seconds=5))
    assert [request.path for request, _ in httpserver.log] == ["/route"]
    assert api_services.mo_callback_url(partner_id=partner.pk, sender_id_value="other") == httpserver.url_for(
        "/default"
    )
    api_services.mo_route_delete(route=route)
    assert other.pk and api_services.mo_callback_url(partner_id=partner.pk, sender_id_value="Shop").endswith("/default")

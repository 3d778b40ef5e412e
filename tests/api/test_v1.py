"""The v1 resources: sender IDs (and requests), messages (EDRs), balance and transactions; filters, pagination,
isolation of every detail route, and the OpenAPI schema and docs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from api import tokens
from messaging.models import Message
from senders.models import SenderIDRequest
from tenancy.models import Channel
from tests.api.conftest import api_client, new_key
from tests.api.factories import make_api_key
from tests.factories import Tenant, make_payment, make_sender_id
from tests.messaging.conftest import Setup


def login_client(tenant: Tenant) -> Client:
    token, _ = tokens.issue_login_token(user_id=tenant.end_user_user.pk)
    return api_client(token)


def test_sender_ids_list_filter_and_request(tenant: Tenant) -> None:
    make_sender_id(tenant.end_user, value="Shop", channel=Channel.SMS)
    make_sender_id(tenant.end_user, value="ShopV", channel=Channel.VIBER)
    client = login_client(tenant)
    listed = client.get("/api/v1/sender-ids").json()
    assert listed["count"] == 2 and {"value", "channel", "status"} <= set(listed["results"][0])
    assert [row["value"] for row in client.get("/api/v1/sender-ids?channel=viber").json()["results"]] == ["ShopV"]
    bad_filter = client.get("/api/v1/sender-ids?channel=pigeon")
    assert bad_filter.status_code == 400 and bad_filter.json()["error"]["code"] == "invalid"
    created = client.post("/api/v1/sender-ids/request", json.dumps({"value": "NewOne", "channel": "sms"}),
                          content_type="application/json")  # fmt: skip
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "waiting"
    assert SenderIDRequest.objects.filter(partner=tenant.end_user, sender__value="NewOne").exists()
    missing = client.post("/api/v1/sender-ids/request", json.dumps({"channel": "sms"}), content_type="application/json")
    assert missing.status_code == 400 and "value" in missing.json()["error"]["details"]


def test_messages_filter_and_paginate(setup: Setup) -> None:
    client = api_client(new_key(setup.tenant).secret)
    body = json.dumps([{"channels": "SMS", "from": "Shop", "to": [f"3460000000{i}" for i in range(5)],
                        "message": "Hi", "label": "spring"}])  # fmt: skip
    results = client.post("/api/send_sms", body, content_type="application/json").json()["results"]
    transaction_id = results[0].split(":", 1)[1].strip()
    page = client.get("/api/v1/messages?page_size=2").json()
    assert page["count"] == 5 and len(page["results"]) == 2 and page["next"]
    assert client.get("/api/v1/messages?label=spring&status=prepared&channel=sms").json()["count"] == 5
    assert client.get("/api/v1/messages?label=autumn").json()["count"] == 0
    found = client.get(f"/api/v1/messages?transactionId={transaction_id}").json()["results"]
    assert len(found) == 1 and found[0]["transactionId"] == transaction_id
    detail = client.get(f"/api/v1/messages/{found[0]['id']}").json()
    assert detail["recipient"] == "34600000000" and detail["label"] == "spring"
    assert (detail["acceptMO"], detail["autoReply"]) == (False, False)
    assert client.get("/api/v1/messages?dateFrom=2000-01-01T00:00:00Z").json()["count"] == 5
    assert client.get("/api/v1/messages?dateTo=2000-01-01T00:00:00Z").json()["count"] == 0


def test_balance_and_transactions(setup: Setup) -> None:
    client = login_client(setup.tenant)
    balance = client.get("/api/v1/balance").json()
    assert balance == {"balance": "10.00000", "creditLimit": "0.00000", "currency": "EUR"}
    rows = client.get("/api/v1/transactions").json()["results"]
    assert rows and rows[0]["type"] == "payment"
    assert client.get("/api/v1/transactions?type=api").json()["count"] == 0


DETAIL_ROUTES: list[tuple[str, str, Any]] = [
    ("get", "/api/v1/sender-ids/{pk}", lambda tenant: make_sender_id(tenant.end_user)),
    ("get", "/api/v1/transactions/{pk}", lambda tenant: make_payment(tenant.end_user)),
    ("post", "/api/v1/api-keys/{pk}/refresh", lambda tenant: make_api_key(tenant.end_user, tenant.end_user_user)),
    ("delete", "/api/v1/api-keys/{pk}", lambda tenant: make_api_key(tenant.end_user, tenant.end_user_user)),
    ("get", "/api/v1/messages/{pk}", "message"),
]


@pytest.mark.parametrize(("method", "url", "factory"), DETAIL_ROUTES, ids=[route[1] for route in DETAIL_ROUTES])
def test_every_detail_route_is_404_for_another_tenant(
    setup: Setup, tenant_b: Tenant, method: str, url: str, factory: Any
) -> None:
    if factory == "message":
        client = api_client(new_key(setup.tenant, "sender").secret)
        client.post("/api/send_sms", json.dumps([{"channels": "SMS", "from": "Shop", "to": "34600000001",
                                                  "message": "Hi"}]), content_type="application/json")  # fmt: skip
        obj: Any = Message.objects.get()
    else:
        obj = factory(setup.tenant)
    path = url.format(pk=obj.pk)
    own = getattr(login_client(setup.tenant), method)(path)
    assert own.status_code in (200, 204), own.content
    intruder = getattr(api_client(new_key(tenant_b, "intruder").secret), method)(path)
    assert intruder.status_code == 404 and intruder.json()["error"]["code"] == "not_found"


def test_list_routes_show_own_rows_only(setup: Setup, tenant_b: Tenant) -> None:
    make_sender_id(tenant_b.end_user, value="Theirs")
    make_payment(tenant_b.end_user)
    client = api_client(new_key(setup.tenant).secret)
    assert [row["value"] for row in client.get("/api/v1/sender-ids").json()["results"]] == ["Shop"]
    own_ids = {row["id"] for row in client.get("/api/v1/transactions").json()["results"]}
    from billing.models import Transaction

    assert own_ids and not Transaction.objects.filter(pk__in=own_ids, partner=tenant_b.end_user).exists()
    assert set(Transaction.objects.filter(pk__in=own_ids).values_list("partner", flat=True)) == {
        setup.tenant.end_user.pk
    }


def test_schema_generates_without_warnings_and_the_docs_are_local(db: None) -> None:
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    client = Client()
    schema = client.get("/api/v1/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    assert {"/api/send_sms", "/api/auth/token", "/api/v1/api-keys", "/api/v1/messages", "/api/v1/imports",
            "/api/v1/imports/{id}/start", "/api/v1/templates", "/api/v1/contacts/export"} <= set(paths)  # fmt: skip
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower() and "/static/drf_spectacular_sidecar/" in docs

"""v1 message templates: list with filters, create / update / delete through the campaigns services, premoderation
status in the response, the service's refusals in the error envelope, and isolation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from campaigns.models import MessageTemplate, Moderation
from tenancy.models import ApprovalRequest, Channel, Partner
from tests.api.conftest import api_client, new_key
from tests.campaigns.factories import make_template
from tests.factories import Tenant, make_sender_id

WHATSAPP = {"name": "Order update", "channel": "whatsapp", "purpose": "utility", "language": "en",
            "text": "Order {{1}} is on its way", "footer": "Shop",
            "buttons": [{"type": "url", "text": "Track", "value": "https://example.com/t"}]}  # fmt: skip


def send(client: Client, method: str, url: str, data: dict[str, Any]) -> Any:
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def client(tenant: Tenant) -> Client:
    return api_client(new_key(tenant).secret)


def test_create_list_filter_update_and_delete(tenant: Tenant, client: Client) -> None:
    sender = make_sender_id(tenant.end_user, value="Shop")
    sms = send(client, "post", "/api/v1/templates", {"name": "Welcome", "channel": "sms", "text": "Hi {first_name}",
                                                     "senderId": sender.pk})  # fmt: skip
    assert sms.status_code == 201, sms.content
    assert (sms.json()["moderation"], sms.json()["senderId"]) == ("not_required", sender.pk)
    viber = send(client, "post", "/api/v1/templates", {"name": "Promo", "channel": "viber", "text": "Sale",
                                                       "imageUrl": "https://example.com/a.png"})  # fmt: skip
    assert viber.status_code == 201 and viber.json()["purpose"] == "promotion"  # a picture makes it promotional
    whatsapp = send(client, "post", "/api/v1/templates", WHATSAPP)
    assert whatsapp.status_code == 201, whatsapp.content
    assert whatsapp.json()["moderation"] == "pending" and whatsapp.json()["buttons"][0]["text"] == "Track"
    assert client.get("/api/v1/templates").json()["count"] == 3
    assert [row["name"] for row in client.get("/api/v1/templates?channel=viber").json()["results"]] == ["Promo"]
    assert [row["name"] for row in client.get("/api/v1/templates?moderation=pending").json()["results"]] == [
        "Order update"
    ]
    bad_filter = client.get("/api/v1/templates?channel=pigeon")
    assert bad_filter.status_code == 400 and bad_filter.json()["error"]["code"] == "invalid"
    url = f"/api/v1/templates/{sms.json()['id']}"
    patched = send(client, "patch", url, {"text": "Hello {first_name}"})
    assert patched.status_code == 200 and patched.json()["text"] == "Hello {first_name}"
    assert patched.json()["name"] == "Welcome"
    put = send(client, "put", url, {"name": "Welcome 2", "channel": "sms", "text": "Hey"})
    assert put.status_code == 200 and (put.json()["name"], put.json()["text"]) == ("Welcome 2", "Hey")
    assert client.delete(url).status_code == 204
    assert not MessageTemplate.objects.filter(pk=sms.json()["id"]).exists()


def test_premoderation_shows_in_the_response_and_a_change_asks_again(tenant: Tenant, client: Client) -> None:
    Partner.objects.filter(pk=tenant.end_user.pk).update(premoderate_templates=True)
    created = send(client, "post", "/api/v1/templates", {"name": "Promo", "channel": "sms", "text": "Hi"})
    assert created.json()["moderation"] == "pending"
    template = MessageTemplate.objects.get()
    first_approval = template.approval_id
    MessageTemplate.objects.filter(pk=template.pk).update(moderation=Moderation.DECLINED, decline_reason="No")
    shown = client.get(f"/api/v1/templates/{template.pk}").json()
    assert (shown["moderation"], shown["declineReason"]) == ("declined", "No")
    changed = send(client, "patch", f"/api/v1/templates/{template.pk}", {"text": "Hello"})
    assert (changed.json()["moderation"], changed.json()["declineReason"]) == ("pending", "")
    template.refresh_from_db()
    assert template.approval is not None and template.approval.pk != first_approval
    assert template.approval.status == ApprovalRequest.Status.PENDING


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "A", "channel": "sms", "text": ""}, "text"),
        ({"name": "A", "channel": "viber", "text": "Hi", "buttonUrl": "https://example.com"}, "buttonCaption"),
        ({**WHATSAPP, "purpose": "promotion"}, "purpose"),
        ({**WHATSAPP, "buttons": [{"type": "url", "text": "Go"}] * 11}, "buttons"),
        ({"name": "A", "channel": "sms", "text": "Hi", "flash": True}, "flash"),
        ({"name": "A", "channel": "fax", "text": "Hi"}, "channel"),
    ],
)
def test_refusals_name_the_parameter(client: Client, data: dict[str, Any], field: str) -> None:
    response = send(client, "post", "/api/v1/templates", data)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["details"]
    assert not MessageTemplate.objects.exists()


def test_names_are_unique_per_channel_and_channels_must_be_enabled(tenant: Tenant, client: Client) -> None:
    make_template(tenant.end_user, name="Welcome", channel=Channel.SMS)
    taken = send(client, "post", "/api/v1/templates", {"name": "welcome", "channel": "sms", "text": "Hi"})
    assert taken.status_code == 400 and "name" in taken.json()["error"]["details"]
    Partner.objects.filter(pk=tenant.end_user.pk).update(allowed_channels=[Channel.SMS])
    off = send(client, "post", "/api/v1/templates", {"name": "V", "channel": "viber", "text": "Hi"})
    assert off.status_code == 400 and "channel" in off.json()["error"]["details"]


@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_another_tenants_template_is_404(tenant: Tenant, tenant_b: Tenant, method: str) -> None:
    theirs = make_template(tenant_b.end_user, name="Theirs", channel=Channel.SMS, text="Original")
    client = api_client(new_key(tenant).secret)
    url = f"/api/v1/templates/{theirs.pk}"
    data = {"name": "Mine", "channel": "sms", "text": "Changed"}
    response = client.get(url) if method == "get" else send(client, method, url, data)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert (theirs.name, theirs.text) == ("Theirs", "Original")
    assert client.get("/api/v1/templates").json()["count"] == 0


def test_a_sender_id_of_another_tenant_is_refused(tenant: Tenant, tenant_b: Tenant, client: Client) -> None:
    theirs = make_sender_id(tenant_b.end_user, value="Theirs")
    response = send(client, "post", "/api/v1/templates", {"name": "A", "channel": "sms", "text": "Hi",
                                                          "senderId": theirs.pk})  # fmt: skip
    assert response.status_code == 400 and "senderId" in response.json()["error"]["details"]


def test_the_list_reads_a_fixed_number_of_queries(
    tenant: Tenant, client: Client, django_assert_max_num_queries: Any
) -> None:
    for index in range(5):
        make_template(tenant.end_user, name=f"T{index}", channel=Channel.SMS)
    with django_assert_max_num_queries(5):
        assert client.get("/api/v1/templates").json()["count"] == 5

"""v1 contacts and groups, unknown API paths, and the per-key rate limit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.throttling import ApiKeyRateThrottle
from contacts.models import Contact
from tests.api.conftest import api_client, new_key
from tests.contacts import factories as contact_factories
from tests.factories import Tenant


def post(client: Any, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


def test_groups_and_contacts_create_list_filter_delete(tenant: Tenant) -> None:
    client = api_client(new_key(tenant).secret)
    group = post(client, "/api/v1/groups", {"name": "Clients"})
    assert group.status_code == 201, group.content
    group_id = group.json()["id"]
    created = post(client, "/api/v1/contacts", {"phone": "34600000001", "firstName": "Ann", "groupIds": [group_id]})
    assert created.status_code == 201, created.content
    assert created.json()["phone"] == "34600000001" and created.json()["groupIds"] == [group_id]
    again = post(client, "/api/v1/contacts", {"phone": "34600000001", "groupIds": [group_id]})
    assert again.status_code == 400 and again.json()["error"]["message"]
    assert client.get(f"/api/v1/contacts?group={group_id}").json()["count"] == 1
    assert client.get("/api/v1/contacts?phone=3460").json()["count"] == 1
    assert client.get("/api/v1/contacts?phone=44").json()["count"] == 0
    assert client.delete(f"/api/v1/contacts/{created.json()['id']}").status_code == 204
    assert not Contact.objects.exists()


def test_contacts_and_groups_of_another_tenant_are_404_and_cannot_be_used(tenant: Tenant, tenant_b: Tenant) -> None:
    theirs_group = contact_factories.make_group(tenant_b.end_user)
    theirs = contact_factories.make_contact(tenant_b.end_user)
    client = api_client(new_key(tenant).secret)
    assert client.get(f"/api/v1/contacts/{theirs.pk}").status_code == 404
    assert client.delete(f"/api/v1/contacts/{theirs.pk}").status_code == 404
    assert client.get(f"/api/v1/groups/{theirs_group.pk}").status_code == 404
    refused = post(client, "/api/v1/contacts", {"phone": "34600000009", "groupIds": [theirs_group.pk]})
    assert refused.status_code == 400 and "groupIds" in refused.json()["error"]["details"]
    assert Contact.objects.filter(partner=tenant_b.end_user).count() == 1
    own = contact_factories.make_contact(tenant.end_user)
    assert client.get(f"/api/v1/contacts/{own.pk}").status_code == 200


def test_unknown_api_paths_answer_json_404(db: None) -> None:
    response = api_client().get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_requests_per_key_are_rate_limited(tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "2/minute"})
    client = api_client(new_key(tenant).secret)
    other = api_client(new_key(tenant, "Other").secret)
    assert [client.get("/api/v1/api-keys").status_code for _ in range(2)] == [200, 200]
    limited = client.get("/api/v1/api-keys")
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "throttled"
    assert "Retry-After" in limited
    assert other.get("/api/v1/api-keys").status_code == 200
    cache.clear()


def test_stop_list_add_and_list_and_isolation(tenant: Tenant, tenant_b: Tenant) -> None:
    from tests.factories import make_sender_id

    group = contact_factories.make_group(tenant.end_user)
    sender = make_sender_id(tenant.end_user, value="Shop")
    theirs = make_sender_id(tenant_b.end_user, value="Theirs")
    client = api_client(new_key(tenant).secret)
    needs_group = post(client, "/api/v1/stop-list", {"phone": "34600000005"})
    assert needs_group.status_code == 400 and "group" in needs_group.json()["error"]["details"]
    added = post(client, "/api/v1/stop-list", {"phone": "34600000005", "groupId": group.pk, "senderIds": [sender.pk]})
    assert added.status_code == 201, added.content
    assert [(row["phone"], row["senderId"]) for row in added.json()] == [("34600000005", "Shop")]
    everything = post(client, "/api/v1/stop-list", {"phone": "34600000006", "groupId": group.pk})
    assert everything.status_code == 201 and everything.json()[0]["senderId"] is None
    assert client.get("/api/v1/stop-list").json()["count"] == 2
    foreign = post(client, "/api/v1/stop-list", {"phone": "34600000007", "groupId": group.pk, "senderIds": [theirs.pk]})
    assert foreign.status_code == 400
    entry_id = added.json()[0]["id"]
    assert api_client(new_key(tenant_b, "b").secret).get(f"/api/v1/stop-list/{entry_id}").status_code == 404
    assert client.get(f"/api/v1/stop-list/{entry_id}").status_code == 200

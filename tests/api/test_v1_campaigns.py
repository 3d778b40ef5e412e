"""v1 campaigns: create a draft, launch, cancel, stats, filters, validation and isolation."""

from __future__ import annotations

import json
from typing import Any

from campaigns.models import Campaign
from tests.api.conftest import api_client, new_key
from tests.factories import Tenant
from tests.messaging.conftest import Setup


def post(client: Any, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(data or {}), content_type="application/json")


CAMPAIGN = {
    "name": "Spring sale",
    "steps": [{"channel": "sms", "sender": "Shop", "text": "Hello from the shop"}],
    "source": "manual",
    "numbers": "34600000001\n34600000002",
}


def test_create_launch_stats_and_cancel(setup: Setup) -> None:
    client = api_client(new_key(setup.tenant).secret)
    created = post(client, "/api/v1/campaigns", CAMPAIGN)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft" and body["steps"][0]["sender"] == "Shop"
    campaign = Campaign.objects.get(pk=body["id"])
    assert campaign.origin == Campaign.Origin.API and campaign.partner == setup.tenant.end_user
    launched = post(client, f"/api/v1/campaigns/{campaign.pk}/launch")
    assert launched.status_code == 200, launched.content
    assert launched.json()["status"] == "in_progress"
    stats = client.get(f"/api/v1/campaigns/{campaign.pk}/stats").json()
    assert set(stats) == {"total", "final", "delivered", "cost", "byStatus"}
    assert client.get("/api/v1/campaigns?status=draft").json()["count"] == 0
    assert client.get("/api/v1/campaigns?name=spring").json()["count"] == 1
    assert post(client, f"/api/v1/campaigns/{campaign.pk}/cancel").status_code == 400  # running: pause first
    assert post(client, f"/api/v1/campaigns/{campaign.pk}/pause").json()["status"] == "paused"
    assert post(client, f"/api/v1/campaigns/{campaign.pk}/resume").json()["status"] == "in_progress"
    post(client, f"/api/v1/campaigns/{campaign.pk}/pause")
    cancelled = post(client, f"/api/v1/campaigns/{campaign.pk}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "canceled"


def test_bad_campaigns_are_refused_with_json_errors(setup: Setup) -> None:
    client = api_client(new_key(setup.tenant).secret)
    missing = post(client, "/api/v1/campaigns", {**CAMPAIGN, "steps": []})
    assert missing.status_code in (201, 400)
    bad_channel = post(client, "/api/v1/campaigns", {**CAMPAIGN, "steps": [{"channel": "fax", "sender": "Shop"}]})
    assert bad_channel.status_code == 400 and bad_channel.json()["error"]["code"] == "invalid"
    draft = post(client, "/api/v1/campaigns", {**CAMPAIGN, "numbers": ""}).json()
    refused = post(client, f"/api/v1/campaigns/{draft['id']}/launch")
    assert refused.status_code == 400 and refused.json()["error"]["message"]


def test_campaigns_of_another_tenant_are_404(setup: Setup, tenant_b: Tenant) -> None:
    own = api_client(new_key(setup.tenant).secret)
    campaign_id = post(own, "/api/v1/campaigns", CAMPAIGN).json()["id"]
    intruder = api_client(new_key(tenant_b, "intruder").secret)
    for method, path in (("get", ""), ("get", "/stats"), ("post", "/launch"), ("post", "/pause"),
                         ("post", "/resume"), ("post", "/cancel")):  # fmt: skip
        response = getattr(intruder, method)(f"/api/v1/campaigns/{campaign_id}{path}")
        assert response.status_code == 404, (path, response.content)
    assert Campaign.objects.get(pk=campaign_id).status == "draft"
    assert intruder.get("/api/v1/campaigns").json()["count"] == 0

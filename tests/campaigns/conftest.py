from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from billing import services as billing_services
from billing.models import BillingChannel, Country
from campaigns import services
from campaigns.models import Campaign
from contacts.models import Group
from messaging import routing
from senders.models import SenderID
from tenancy.models import Channel
from tests.contacts.factories import make_contact, make_group
from tests.factories import Tenant, make_sender_id
from tests.messaging.conftest import fund, make_plan, simulator


@dataclass
class World:
    tenant: Tenant
    sender: SenderID
    group: Group


@pytest.fixture(autouse=True)
def _fresh_route_cache() -> None:
    routing.clear_cache()


@pytest.fixture(autouse=True)
def _no_eager_dispatch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages wait for the test to dispatch them (eager mode would send them at once, or not, by timing)."""
    monkeypatch.setattr("messaging.services.enqueue.trigger", lambda name: None)


@pytest.fixture
def world(tenant: Tenant) -> World:
    """The end user on an SMS plan for Spain (0.01 a part) with 10.00, an enabled sender ID "Shop" and a
    group "VIP" of three Spanish contacts; a simulator vendor routes every channel."""
    spain = Country.objects.get(iso_code="ES")
    plan = make_plan(tenant.reseller, BillingChannel.SMS, {(spain, None): "0.01"})
    billing_services.plan_subscribe(partner=tenant.end_user, plan=plan, by=tenant.end_user_user)
    fund(tenant.end_user, "10")
    simulator(tenant.owner)
    group = make_group(tenant.end_user, "VIP")
    for index, name in enumerate(["Ana", "Luis", ""]):
        make_contact(tenant.end_user, groups=[group], phone=f"3460000000{index + 1}", first_name=name)
    return World(tenant, make_sender_id(tenant.end_user, value="Shop", channel=Channel.SMS), group)


def sms_step(text: str = "Hello {first_name}!", sender: str = "Shop", **extra: Any) -> dict[str, Any]:
    return {"channel": Channel.SMS, "sender": sender, "text": text, **extra}


def draft(world: World, **fields: Any) -> Campaign:
    fields.setdefault("steps", [sms_step()])
    fields.setdefault("source", Campaign.Source.GROUPS)
    if fields["source"] == Campaign.Source.GROUPS:
        fields.setdefault("groups", [world.group])
    return services.campaign_create(partner=world.tenant.end_user, by=world.tenant.end_user_user, **fields)

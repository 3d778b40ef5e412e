from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from billing import services as billing_services
from billing.models import BillingChannel, BillingMode, Country, Network, Rate, RatePlan, Subscription
from messaging import routing
from messaging.models import ConnectorType, Route, Vendor
from messaging.services import ChannelContent, OutgoingMessage, enqueue_messages
from senders.models import SenderID
from tenancy.models import Channel, Partner
from tests.factories import Tenant, make_sender_id

D = Decimal


@dataclass
class Setup:
    tenant: Tenant
    vendor: Vendor
    spain: Country
    movistar: Network
    sms_sender: SenderID
    plan: Subscription


def make_plan(
    owner: Partner, product: str, rates: dict[tuple[Country, Network | None], str], **fields: object
) -> RatePlan:
    fields.setdefault("name", f"{product} plan {RatePlan.objects.count() + 1}")
    plan = RatePlan.objects.create(partner=owner, channel=product, **fields)
    Rate.objects.bulk_create(
        Rate(plan=plan, country=country, network=network, price=D(price)) for (country, network), price in rates.items()
    )
    return plan


def fund(partner: Partner, amount: str) -> None:
    billing_services.balance_change(partner=partner, amount=D(amount), type="payment", by=None, description="funds")
    partner.refresh_from_db()


def simulator(owner: Partner, **settings: object) -> Vendor:
    defaults: dict[str, object] = {"delivery_ratio": 1.0, "latency": 0, "seen_ratio": 0.0}
    defaults.update(settings)
    vendor = Vendor.objects.create(
        partner=owner, name=f"Sim {Vendor.objects.count() + 1}", code=f"sim-{Vendor.objects.count() + 1}",
        connector=ConnectorType.SIMULATOR, settings=defaults,
    )  # fmt: skip
    for channel in Channel.values:
        Route.objects.create(partner=owner, channel=channel, vendor=vendor)
    routing.clear_cache()
    return vendor


@pytest.fixture(autouse=True)
def _fresh_route_cache() -> None:
    routing.clear_cache()


@pytest.fixture
def setup(tenant: Tenant) -> Setup:
    """The end user on a by-submitted SMS plan for Spain (Movistar 0.02, others 0.01) with 10.00 on the balance,
    an enabled SMS sender ID, and a simulator vendor routing every channel of the owner."""
    spain = Country.objects.get(iso_code="ES")
    movistar = Network.objects.get(mcc="214", mnc="07")
    plan = make_plan(tenant.reseller, BillingChannel.SMS, {(spain, movistar): "0.02", (spain, None): "0.01"})
    subscription = billing_services.plan_subscribe(partner=tenant.end_user, plan=plan, by=tenant.end_user_user)
    fund(tenant.end_user, "10")
    return Setup(
        tenant=tenant,
        vendor=simulator(tenant.owner),
        spain=spain,
        movistar=movistar,
        sms_sender=make_sender_id(tenant.end_user, value="Shop", channel=Channel.SMS),
        plan=subscription,
    )


def by_delivered_plan(setup: Setup) -> None:
    Subscription.objects.filter(pk=setup.plan.pk).update(billing_mode=BillingMode.BY_DELIVERED)


SPAIN_NUMBERS = ["34600000001", "34600000002", "34600000003"]


def sms(text: str = "Hello", sender: str = "Shop", **fields: object) -> ChannelContent:
    return ChannelContent(channel=Channel.SMS, sender=sender, text=text, **fields)  # type: ignore[arg-type]


def send(setup: Setup, numbers: list[str] | None = None, steps: list[ChannelContent] | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    plan = steps or [sms()]
    return enqueue_messages(
        partner=setup.tenant.end_user,
        messages=[OutgoingMessage(number, plan) for number in (numbers or SPAIN_NUMBERS)],
        **kwargs,  # type: ignore[arg-type]
    )

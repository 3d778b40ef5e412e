"""Demo billing: the Demo Reseller's plans and packs for Spain and Sweden, a Viber and a WhatsApp plan, a reseller
plan from the owner, and the demo company on the SMS and WhatsApp plans with one pack bought and 500.00 left.

Built through the services (the balance through the ledger); safe to run again: nothing is created twice and
the demo company is funded only while it has no ledger rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from billing import services
from billing.models import (
    Audience,
    BillingChannel,
    BillingMode,
    Country,
    Network,
    Pack,
    Rate,
    RatePlan,
    Subscription,
    Transaction,
    TransactionType,
    ValidityUnit,
)
from tenancy.demo import DemoTenants
from tenancy.models import Partner

DEMO_BALANCE = Decimal("500.00")
ALL = None  # the "all networks" rate of a country


@dataclass(frozen=True)
class PlanSpec:
    name: str
    channel: str
    billing_mode: str
    rates: tuple[tuple[str, str | None, str], ...]  # (ISO code, MNC or ALL, price)
    subscribe: bool


PLANS = (
    PlanSpec(
        "SMS Spain & Sweden",
        BillingChannel.SMS,
        BillingMode.BY_DELIVERED,
        (
            ("ES", "07", "0.04500"),
            ("ES", "01", "0.04700"),
            ("ES", "03", "0.04600"),
            ("ES", "04", "0.04800"),
            ("ES", ALL, "0.05000"),
            ("SE", "01", "0.06000"),
            ("SE", "07", "0.05800"),
            ("SE", "08", "0.05900"),
            ("SE", ALL, "0.06500"),
        ),
        subscribe=True,
    ),
    PlanSpec(
        "SMS Sweden Economy",
        BillingChannel.SMS,
        BillingMode.BY_SUBMITTED,
        (("SE", ALL, "0.05500"),),
        subscribe=False,
    ),
    PlanSpec(
        "Viber Promotion Spain",
        BillingChannel.VIBER_PROMOTION,
        BillingMode.BY_DELIVERED,
        (("ES", ALL, "0.03000"), ("SE", ALL, "0.03500")),
        subscribe=False,
    ),
    PlanSpec(
        "WhatsApp Marketing Spain",
        BillingChannel.WHATSAPP_MARKETING,
        BillingMode.BY_SUBMITTED,
        (("ES", ALL, "0.50000"),),
        subscribe=True,
    ),
)


@dataclass(frozen=True)
class PackSpec:
    name: str
    country: str
    networks: tuple[str, ...]  # MNCs; empty: all networks
    price: str
    messages: int
    billing_mode: str
    validity_count: int
    validity_unit: str


PACKS = (
    PackSpec("Spain SMS 1000", "ES", (), "40.00", 1000, BillingMode.BY_DELIVERED, 1, ValidityUnit.YEAR),
    PackSpec("Spain Movistar SMS 200", "ES", ("07",), "8.00", 200, BillingMode.BY_DELIVERED, 0, ValidityUnit.NONE),
    PackSpec("Sweden SMS 500", "SE", (), "27.50", 500, BillingMode.BY_SUBMITTED, 1, ValidityUnit.MONTH),
)
BOUGHT_PACK = "Spain SMS 1000"


def _plan(owner: Partner, spec: PlanSpec, **extra: object) -> RatePlan:
    plan, _created = RatePlan.objects.get_or_create(
        partner=owner,
        name=spec.name,
        defaults={"channel": spec.channel, "billing_mode": spec.billing_mode, **extra},
    )
    for iso, mnc, price in spec.rates:
        country = Country.objects.get(iso_code=iso)
        network = Network.objects.get(mcc=country.mcc, mnc=mnc) if mnc else None
        Rate.objects.update_or_create(plan=plan, country=country, network=network, defaults={"price": Decimal(price)})
    return plan


def _pack(owner: Partner, spec: PackSpec) -> Pack:
    country = Country.objects.get(iso_code=spec.country)
    pack, created = Pack.objects.get_or_create(
        partner=owner,
        name=spec.name,
        defaults={
            "price": Decimal(spec.price),
            "channel": BillingChannel.SMS,
            "country": country,
            "billing_mode": spec.billing_mode,
            "message_count": spec.messages,
            "validity_count": spec.validity_count,
            "validity_unit": spec.validity_unit,
            "audience": Audience.EVERYONE_BELOW,
        },
    )
    if created and spec.networks:
        pack.networks.set(Network.objects.filter(mcc=country.mcc, mnc__in=spec.networks))
    return pack


@transaction.atomic
def seed(tenants: DemoTenants) -> None:
    if not Country.objects.filter(iso_code="ES").exists():
        services.reference_book_load_shipped()
    wholesale = _plan(
        tenants.owner,
        PlanSpec("Wholesale SMS Europe", BillingChannel.SMS, BillingMode.BY_DELIVERED,
                 (("ES", ALL, "0.03000"), ("SE", ALL, "0.04000")), subscribe=False),
        is_reseller_plan=True,
        audience=Audience.ASSIGNED,
    )  # fmt: skip
    wholesale.assigned_partners.add(tenants.reseller)

    company, user = tenants.end_user, tenants.end_user_user
    for spec in PLANS:
        plan = _plan(tenants.reseller, spec)
        has_plan = Subscription.objects.filter(
            partner=company, kind=Subscription.Kind.PLAN, status=Subscription.Status.ACTIVE, channel=spec.channel
        ).exists()
        if spec.subscribe and not has_plan:
            services.plan_subscribe(partner=company, plan=plan, by=user)
    packs = {spec.name: _pack(tenants.reseller, spec) for spec in PACKS}

    if not Transaction.objects.filter(partner=company).exists():
        bought = packs[BOUGHT_PACK]
        services.balance_change(
            partner=company,
            amount=DEMO_BALANCE + bought.price,
            type=TransactionType.PAYMENT,
            by=tenants.reseller_user,
            description="Opening balance",
        )
        services.pack_purchase(partner=company, pack=bought, by=user)

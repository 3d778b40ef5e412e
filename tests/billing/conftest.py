from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from billing import services
from billing.models import BillingChannel, BillingMode, Country, Network, Pack, Rate, RatePlan
from tenancy.models import Partner
from tests.factories import Tenant

D = Decimal


@dataclass
class Book:
    spain: Country
    sweden: Country
    movistar: Network  # 214 07
    vodafone_es: Network  # 214 01
    telia: Network  # 240 01


@pytest.fixture
def book(db: None) -> Book:
    """The shipped reference book (loaded by a data migration)."""
    return Book(
        spain=Country.objects.get(iso_code="ES"),
        sweden=Country.objects.get(iso_code="SE"),
        movistar=Network.objects.get(mcc="214", mnc="07"),
        vodafone_es=Network.objects.get(mcc="214", mnc="01"),
        telia=Network.objects.get(mcc="240", mnc="01"),
    )


def make_plan(owner: Partner, *, rates: dict[tuple[Country, Network | None], str], **fields: object) -> RatePlan:
    fields.setdefault("name", f"Plan {RatePlan.objects.count() + 1}")
    fields.setdefault("channel", BillingChannel.SMS)
    plan = RatePlan.objects.create(partner=owner, **fields)
    Rate.objects.bulk_create(
        Rate(plan=plan, country=country, network=network, price=D(price)) for (country, network), price in rates.items()
    )
    return plan


def make_pack(owner: Partner, country: Country, **fields: object) -> Pack:
    networks = fields.pop("networks", [])
    fields.setdefault("name", f"Pack {Pack.objects.count() + 1}")
    fields.setdefault("price", D("10.00"))
    fields.setdefault("channel", BillingChannel.SMS)
    fields.setdefault("message_count", 100)
    fields.setdefault("billing_mode", BillingMode.BY_SUBMITTED)
    pack = Pack.objects.create(partner=owner, country=country, **fields)
    pack.networks.set(networks)  # type: ignore[arg-type]
    return pack


def fund(partner: Partner, amount: str) -> None:
    services.balance_change(partner=partner, amount=D(amount), type="payment", by=None, description="test funds")
    partner.refresh_from_db()


def assert_ledger_matches(partner: Partner) -> None:
    partner.refresh_from_db()
    assert partner.balance == services.ledger_total(partner)


@pytest.fixture
def spain_plan(tenant: Tenant, book: Book) -> RatePlan:
    """The reseller's SMS plan for Spain: Movistar 0.02, every other network 0.01; the end user is on it."""
    plan = make_plan(
        tenant.reseller, name="Plan_Spain", rates={(book.spain, book.movistar): "0.02", (book.spain, None): "0.01"}
    )
    services.plan_subscribe(partner=tenant.end_user, plan=plan, by=tenant.end_user_user)
    return plan

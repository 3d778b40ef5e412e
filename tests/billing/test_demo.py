from __future__ import annotations

import pytest

from billing import demo as billing_demo
from billing import selectors, services
from billing.models import Pack, RatePlan, Subscription, Transaction
from tenancy import demo


@pytest.mark.django_db
def test_demo_billing_is_complete_and_idempotent() -> None:
    tenants = demo.seed()
    billing_demo.seed(tenants)
    counts = (RatePlan.objects.count(), Pack.objects.count(), Subscription.objects.count(), Transaction.objects.count())
    billing_demo.seed(demo.seed())
    assert counts == (
        RatePlan.objects.count(),
        Pack.objects.count(),
        Subscription.objects.count(),
        Transaction.objects.count(),
    )
    company = tenants.end_user
    company.refresh_from_db()
    assert company.balance == billing_demo.DEMO_BALANCE == services.ledger_total(company)
    mine = selectors.active_subscriptions(company)
    assert sorted(s.channel for s in mine.filter(kind="plan")) == ["sms", "whatsapp_marketing"]
    assert [s.pack.name for s in mine.filter(kind="pack") if s.pack] == [billing_demo.BOUGHT_PACK]
    offered = {plan.name for plan in selectors.rate_plans_available_to(company)}
    assert {"SMS Spain & Sweden", "Viber Promotion Spain", "WhatsApp Marketing Spain"} <= offered
    assert {pack.country.iso_code for pack in selectors.packs_available_to(company)} == {"ES", "SE"}
    assert list(selectors.reseller_plans_for(tenants.reseller).values_list("name", flat=True)) == [
        "Wholesale SMS Europe"
    ]
    # the demo company can send to Spain and Sweden right away: pack first, then the plan
    quote = services.quote(partner=company, channel="sms", mccmnc="24001")
    assert (quote.from_pack, quote.rate) == (False, quote.rate) and quote.rate > 0
    assert services.quote(partner=company, channel="sms", mccmnc="21407").from_pack

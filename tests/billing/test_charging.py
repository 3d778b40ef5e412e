from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing import services, tasks
from billing.models import BillingMode, RatePlan, Subscription, Transaction, TransactionDetail, TransactionType
from billing.services import Charge, ChargeRejected, Reason, Rejection
from tests.billing.conftest import Book, D, assert_ledger_matches, fund, make_pack, make_plan
from tests.factories import Tenant

SMS = "sms"


def _charge(tenant: Tenant, items: list[tuple[str, int]], reference: str = "campaign:1") -> list[Charge | Rejection]:
    return services.charge_batch(partner=tenant.end_user, channel=SMS, items=items, reference=reference)


def test_pack_is_used_first_then_the_plan(tenant: Tenant, book: Book, spain_plan: RatePlan) -> None:
    fund(tenant.end_user, "50")
    pack = make_pack(tenant.reseller, book.spain, message_count=2, price=D("1.00"))
    subscription = services.pack_purchase(partner=tenant.end_user, pack=pack, by=tenant.end_user_user)

    results = _charge(tenant, [("21407", 1), ("21407", 3), ("21407", 2), ("21401", 2)])

    assert [r.from_pack for r in results if isinstance(r, Charge)] == [True, True, False, False]
    # plan: Movistar has its own rate × parts; Vodafone falls back to the "all networks" rate
    assert [r.amount for r in results if isinstance(r, Charge)] == [0, 0, D("0.04"), D("0.02")]
    subscription.refresh_from_db()
    assert subscription.messages_left == 0
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.balance == D("50") - D("1.00") - D("0.06")
    assert_ledger_matches(tenant.end_user)


def test_a_pack_for_other_networks_is_skipped(tenant: Tenant, book: Book, spain_plan: RatePlan) -> None:
    fund(tenant.end_user, "15")
    pack = make_pack(tenant.reseller, book.spain, networks=[book.vodafone_es])
    services.pack_purchase(partner=tenant.end_user, pack=pack, by=None)
    movistar, vodafone = _charge(tenant, [("21407", 1), ("21401", 1)])
    assert isinstance(movistar, Charge) and not movistar.from_pack
    assert isinstance(vodafone, Charge) and vodafone.from_pack


def test_campaign_charges_accumulate_into_one_transaction_with_details(
    tenant: Tenant, book: Book, spain_plan: RatePlan
) -> None:
    fund(tenant.end_user, "10")
    pack = make_pack(tenant.reseller, book.spain, message_count=1, price=D("0"))
    services.pack_purchase(partner=tenant.end_user, pack=pack, by=None)
    _charge(tenant, [("21407", 1), ("21407", 1)])
    _charge(tenant, [("21407", 2), ("214", 1)])

    campaign = Transaction.objects.get(partner=tenant.end_user, type=TransactionType.CAMPAIGN)
    assert campaign.reference == "campaign:1"
    assert campaign.amount == -(D("0.02") + D("0.04") + D("0.01"))
    assert campaign.messages_from_packs == 1
    details = {(d.mccmnc, d.from_pack): (d.quantity, d.parts, d.rate, d.total) for d in campaign.details.all()}
    assert details == {
        ("21407", True): (1, 1, D("0"), D("0")),
        ("21407", False): (2, 3, D("0.02"), D("0.06")),
        ("214", False): (1, 1, D("0.01"), D("0.01")),
    }
    assert campaign.details.get(mccmnc="214").network is None  # "All networks"
    assert_ledger_matches(tenant.end_user)


def test_rejection_reasons(tenant: Tenant, book: Book, spain_plan: RatePlan) -> None:
    fund(tenant.end_user, "1")
    unknown, sweden, bad = _charge(tenant, [("99901", 1), ("24001", 1), ("21407", 0)])
    assert isinstance(unknown, Rejection) and unknown.code == Reason.UNKNOWN_DESTINATION
    assert isinstance(sweden, Rejection) and sweden.code == Reason.NO_TARIFF
    assert "24001" in sweden.reason
    assert isinstance(bad, Rejection) and bad.code == Reason.BAD_PARTS
    assert not Transaction.objects.filter(type=TransactionType.CAMPAIGN).exists()
    with pytest.raises(ChargeRejected) as error:
        services.quote(partner=tenant.end_user, channel="viber_promotion", mccmnc="21407")
    assert error.value.code == Reason.NO_TARIFF


def test_credit_limit_stops_charging_mid_batch(tenant: Tenant, book: Book, spain_plan: RatePlan) -> None:
    fund(tenant.end_user, "0.03")
    tenant.end_user.__class__.objects.filter(pk=tenant.end_user.pk).update(credit_limit=D("0.02"))
    results = _charge(tenant, [("21407", 1)] * 4)  # 0.02 each; 0.05 may be spent
    assert [isinstance(r, Charge) for r in results] == [True, True, False, False]
    assert isinstance(results[2], Rejection) and results[2].code == Reason.INSUFFICIENT_FUNDS
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.balance == D("-0.01")
    assert_ledger_matches(tenant.end_user)


def test_by_delivered_is_refunded_when_undelivered(tenant: Tenant, book: Book) -> None:
    plan = make_plan(tenant.reseller, rates={(book.spain, None): "0.05"}, billing_mode=BillingMode.BY_DELIVERED)
    services.plan_subscribe(partner=tenant.end_user, plan=plan, by=None)
    pack = make_pack(tenant.reseller, book.spain, message_count=1, price=D("0"), billing_mode=BillingMode.BY_DELIVERED)
    subscription = services.pack_purchase(partner=tenant.end_user, pack=pack, by=None)
    fund(tenant.end_user, "1")
    from_pack, delivered, failed = _charge(tenant, [("21401", 1), ("21401", 2), ("21401", 3)])
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.balance == D("1") - D("0.25")

    refunded = services.settle(
        partner=tenant.end_user,
        outcomes=[(from_pack, False), (delivered, True), (failed, False)],  # type: ignore[list-item]
    )

    assert refunded == D("0.15")
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.balance == D("1") - D("0.10")
    subscription.refresh_from_db()
    assert subscription.messages_left == 1  # the pack message came back
    campaign = Transaction.objects.get(type=TransactionType.CAMPAIGN)
    assert campaign.amount == D("-0.10")
    assert campaign.messages_from_packs == 0
    plan_detail = campaign.details.get(from_pack=False)
    assert (plan_detail.quantity, plan_detail.parts, plan_detail.total) == (1, 2, D("0.10"))
    assert_ledger_matches(tenant.end_user)


def test_by_submitted_is_not_refunded_on_failure(tenant: Tenant, book: Book, spain_plan: RatePlan) -> None:
    fund(tenant.end_user, "1")
    [charge] = _charge(tenant, [("21407", 1)])
    assert services.settle(partner=tenant.end_user, outcomes=[(charge, False)]) == 0  # type: ignore[list-item]
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.balance == D("0.98")


def test_expired_pack_is_not_used_and_the_task_marks_it(tenant: Tenant, book: Book, spain_plan: RatePlan) -> None:
    fund(tenant.end_user, "5")
    pack = make_pack(tenant.reseller, book.spain, validity_count=1, validity_unit="month", price=D("1"))
    with time_machine.travel("2026-01-31 12:00:00Z", tick=False):
        subscription = services.pack_purchase(partner=tenant.end_user, pack=pack, by=None)
    assert subscription.expires_at == datetime(2026, 2, 28, 12, tzinfo=UTC)

    with time_machine.travel("2026-02-28 11:59:00Z", tick=False):
        [charge] = _charge(tenant, [("21407", 1)], reference="campaign:before")
        assert isinstance(charge, Charge) and charge.from_pack
        assert tasks.expire_packs() == 0
    with time_machine.travel("2026-02-28 12:00:01Z", tick=False):
        [charge] = _charge(tenant, [("21407", 1)], reference="campaign:after")
        assert isinstance(charge, Charge) and not charge.from_pack  # expired before the sweep ran
        assert tasks.expire_packs() == 1
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.EXPIRED
    assert subscription.messages_left == 99


def test_rates_past_their_end_date_do_not_apply(tenant: Tenant, book: Book) -> None:
    plan = make_plan(tenant.reseller, rates={(book.spain, book.movistar): "0.09", (book.spain, None): "0.01"})
    plan.rates.filter(network=book.movistar).update(end_date=timezone.localdate() - timedelta(days=1))
    services.plan_subscribe(partner=tenant.end_user, plan=plan, by=None)
    fund(tenant.end_user, "1")
    assert services.quote(partner=tenant.end_user, channel=SMS, mccmnc="21407").rate == D("0.01")


def test_quote_and_charge_message(tenant: Tenant, book: Book, spain_plan: RatePlan) -> None:
    fund(tenant.end_user, "1")
    priced = services.quote(partner=tenant.end_user, channel=SMS, mccmnc="21407", parts=2)
    assert (priced.from_pack, priced.rate, priced.amount, priced.network) == (
        False,
        D("0.02"),
        D("0.04"),
        book.movistar,
    )
    day = timezone.localdate()
    charge = services.charge_message(
        partner=tenant.end_user,
        channel=SMS,
        mccmnc="21407",
        parts=2,
        type=TransactionType.API,
        reference=services.api_reference(channel=SMS, day=day),
    )
    assert charge.amount == D("0.04")
    assert Transaction.objects.get(type=TransactionType.API).reference == f"api:sms:{day.isoformat()}:"


def test_rerating_credits_or_debits_the_difference(tenant: Tenant, book: Book, spain_plan: RatePlan) -> None:
    fund(tenant.end_user, "10")
    _charge(tenant, [("21407", 1)] * 10 + [("21401", 2)] * 5)  # 10 × 0.02 + 10 parts × 0.01 = 0.30
    campaign = Transaction.objects.get(type=TransactionType.CAMPAIGN)
    assert services.rerate(entry=campaign, by=tenant.reseller_user) is None  # nothing changed

    spain_plan.rates.filter(network=book.movistar).update(price=D("0.015"))
    cheaper = services.rerate(entry=campaign, by=tenant.reseller_user)
    assert cheaper is not None and cheaper.type == TransactionType.RERATING and cheaper.amount == D("0.05")
    assert cheaper.details.get().mccmnc == "21407"

    spain_plan.rates.filter(network__isnull=True).update(price=D("0.02"))
    dearer = services.rerate(entry=campaign, by=tenant.reseller_user)
    assert dearer is not None and dearer.amount == D("-0.10")
    assert services.rerate(entry=campaign, by=tenant.reseller_user) is None  # earlier reratings count
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.balance == D("10") - D("0.30") + D("0.05") - D("0.10")
    assert_ledger_matches(tenant.end_user)


def test_only_a_partner_above_may_rerate(tenant: Tenant, book: Book, spain_plan: RatePlan) -> None:
    fund(tenant.end_user, "1")
    _charge(tenant, [("21407", 1)])
    campaign = Transaction.objects.get(type=TransactionType.CAMPAIGN)
    with pytest.raises(ValidationError, match="below you"):
        services.rerate(entry=campaign, by=tenant.end_user_user)


def test_refund_of_another_partners_charge_is_refused(
    tenant: Tenant, tenant_b: Tenant, book: Book, spain_plan: RatePlan
) -> None:
    fund(tenant.end_user, "1")
    [charge] = _charge(tenant, [("21407", 1)])
    with pytest.raises(ValueError, match="do not belong"):
        services.refund(partner=tenant_b.end_user, charges=[charge])  # type: ignore[list-item]
    assert TransactionDetail.objects.get().quantity == 1


def test_quote_refuses_what_the_balance_cannot_pay(tenant: Tenant, book: Book, spain_plan: RatePlan) -> None:
    with pytest.raises(ChargeRejected) as error:
        services.quote(partner=tenant.end_user, channel=SMS, mccmnc="21407")
    assert error.value.code == Reason.INSUFFICIENT_FUNDS


def test_a_manager_cannot_put_a_partner_outside_its_subtree_on_a_plan(
    tenant: Tenant, tenant_b: Tenant, book: Book
) -> None:
    plan = make_plan(tenant_b.reseller, rates={(book.spain, None): "0.01"})
    with pytest.raises(ValidationError):
        services.plan_subscribe(partner=tenant.end_user, plan=plan, by=tenant.reseller_user)
    with pytest.raises(ValidationError):  # nor may an end user pick a plan not offered to it
        services.plan_subscribe(partner=tenant.end_user, plan=plan, by=tenant.end_user_user)

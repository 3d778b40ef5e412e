from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import selectors, services
from billing.models import Audience, Subscription, Transaction, TransactionType
from tenancy.models import Partner
from tests.billing.conftest import Book, D, assert_ledger_matches, fund, make_pack, make_plan
from tests.factories import Sibling, Tenant, make_partner


def test_pack_purchase_debits_the_balance_and_starts_the_subscription(tenant: Tenant, book: Book) -> None:
    fund(tenant.end_user, "20")
    pack = make_pack(tenant.reseller, book.spain, price=D("5"), message_count=5, validity_unit="year")
    subscription = services.pack_purchase(partner=tenant.end_user, pack=pack, by=tenant.end_user_user)
    assert (subscription.messages_left, subscription.messages_total, subscription.price) == (5, 5, D("5"))
    assert subscription.expires_at is not None and subscription.expires_at.year == timezone.now().year + 1
    entry = Transaction.objects.get(type=TransactionType.PACK_PURCHASE)
    assert (entry.amount, entry.initiator, entry.description) == (D("-5"), tenant.end_user_user, f"Pack bought: {pack}")
    assert pack.cost_per_message == D("1")
    assert list(selectors.active_subscriptions(tenant.end_user)) == [subscription]
    assert_ledger_matches(tenant.end_user)


def test_pack_purchase_without_money_writes_nothing(tenant: Tenant, book: Book) -> None:
    pack = make_pack(tenant.reseller, book.spain, price=D("5"))
    with pytest.raises(ValidationError, match="Not enough money"):
        services.pack_purchase(partner=tenant.end_user, pack=pack, by=tenant.end_user_user)
    assert not Subscription.objects.exists()
    assert not Transaction.objects.exists()


def test_pack_visibility_and_availability_window(tenant: Tenant, book: Book, sibling: Sibling) -> None:
    now = timezone.now()
    everyone = make_pack(tenant.reseller, book.spain, name="everyone")
    assigned = make_pack(tenant.reseller, book.spain, name="assigned", audience=Audience.ASSIGNED)
    make_pack(tenant.reseller, book.spain, name="later", available_from=now + timedelta(days=1))
    make_pack(tenant.reseller, book.spain, name="over", available_until=now - timedelta(days=1))
    make_pack(tenant.reseller, book.spain, name="off", is_active=False)
    make_pack(sibling.reseller, book.spain, name="sibling's")
    assert set(selectors.packs_available_to(tenant.end_user)) == {everyone}
    other = make_partner(tenant.reseller, name="Other company")
    services.pack_assign(pack=assigned, partners=[tenant.end_user], by=tenant.reseller_user)
    assert set(selectors.packs_available_to(tenant.end_user)) == {everyone, assigned}
    assert set(selectors.packs_available_to(other)) == {everyone}
    assert set(selectors.packs_available_to(tenant.reseller)) == set()  # its own packs are not for sale to it


def test_one_plan_per_channel(tenant: Tenant, book: Book) -> None:
    first = make_plan(tenant.reseller, name="A", rates={(book.spain, None): "0.01"})
    second = make_plan(tenant.reseller, name="B", rates={(book.spain, None): "0.02"})
    viber = make_plan(tenant.reseller, name="V", channel="viber_promotion", rates={(book.spain, None): "0.05"})
    services.plan_subscribe(partner=tenant.end_user, plan=first, by=tenant.end_user_user)
    services.plan_subscribe(partner=tenant.end_user, plan=viber, by=tenant.end_user_user)  # another channel: fine
    with pytest.raises(ValidationError) as error:
        services.plan_subscribe(partner=tenant.end_user, plan=second, by=tenant.end_user_user)
    assert error.value.code == "one_plan_per_channel"
    # the database refuses a second active plan for the channel even when the service is bypassed
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.create(
            partner=tenant.end_user, kind="plan", rate_plan=second, channel="sms", billing_mode="submitted"
        )
    # the partner above switches the plan: the old one ends
    services.rate_plan_assign(plan=second, partners=[tenant.end_user], by=tenant.reseller_user, subscribe=True)
    active = Subscription.objects.filter(partner=tenant.end_user, kind="plan", status="active")
    assert set(active.values_list("rate_plan__name", flat=True)) == {"B", "V"}


def test_end_users_cannot_unsubscribe_themselves(tenant: Tenant, book: Book) -> None:
    plan = make_plan(tenant.reseller, rates={(book.spain, None): "0.01"})
    subscription = services.plan_subscribe(partner=tenant.end_user, plan=plan, by=tenant.end_user_user)
    with pytest.raises(ValidationError):
        services.plan_unsubscribe(subscription=subscription, by=tenant.end_user_user)
    services.plan_unsubscribe(subscription=subscription, by=tenant.reseller_user)
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.UNSUBSCRIBED


def test_pack_unsubscribe_refunds_the_unused_share(tenant: Tenant, book: Book) -> None:
    fund(tenant.end_user, "10")
    pack = make_pack(tenant.reseller, book.spain, price=D("4"), message_count=4)
    subscription = services.pack_purchase(partner=tenant.end_user, pack=pack, by=None)
    Subscription.objects.filter(pk=subscription.pk).update(messages_left=2)
    services.pack_unsubscribe(subscription=subscription, by=tenant.reseller_user)
    refund = Transaction.objects.filter(type=TransactionType.PACK_PURCHASE).order_by("pk").last()
    assert refund is not None and refund.amount == D("2") and refund.initiator == tenant.reseller_user
    assert subscription.status == Subscription.Status.UNSUBSCRIBED
    assert_ledger_matches(tenant.end_user)


def test_reseller_plan_visibility_and_derived_plans(tenant: Tenant, book: Book, sibling: Sibling) -> None:
    wholesale = make_plan(
        tenant.owner,
        name="Wholesale",
        is_reseller_plan=True,
        audience=Audience.ASSIGNED,
        rates={(book.spain, None): "0.01000", (book.spain, book.movistar): "0.01234"},
    )
    services.rate_plan_assign(plan=wholesale, partners=[tenant.reseller], by=tenant.owner_user)

    assert list(selectors.reseller_plans_for(tenant.reseller)) == [wholesale]
    assert wholesale in selectors.rate_plans_visible_in_ap(tenant.reseller)
    assert wholesale not in selectors.rate_plans_visible_in_ap(sibling.reseller)
    assert not selectors.reseller_plans_for(sibling.reseller).exists()
    assert wholesale not in selectors.rate_plans_available_to(tenant.end_user)  # never offered to end users
    with pytest.raises(ValidationError):
        services.rate_plan_assign(plan=wholesale, partners=[tenant.end_user], by=tenant.owner_user)
    with pytest.raises(ValidationError):
        services.rate_plan_derive(parent_plan=wholesale, by=sibling.reseller_user, name="Mine", markup_percent=D(10))

    retail = services.rate_plan_derive(
        parent_plan=wholesale, by=tenant.reseller_user, name="Retail", markup_percent=D(25)
    )
    assert (retail.partner, retail.parent_plan, retail.is_reseller_plan) == (tenant.reseller, wholesale, False)
    prices = {rate.network_id: rate.price for rate in retail.rates.all()}
    assert prices == {None: D("0.01250"), book.movistar.pk: D("0.01543")}
    assert retail in selectors.rate_plans_available_to(tenant.end_user)
    assert retail not in selectors.rate_plans_visible_in_ap(sibling.reseller)

    wholesale.rates.filter(network__isnull=True).update(price=D("0.02"))
    assert services.rate_plan_refresh_from_parent(plan=retail, by=tenant.reseller_user) == 2
    assert retail.rates.get(network__isnull=True).price == D("0.02500")


RATES = (
    "country,network,mcc,mnc,price,end_date\n"
    "Spain,All networks,214,,0.01,\n"
    "Spain,Movistar,214,07,0.02000,2030-12-31\n"
    "SE,,,,0.03,\n"
)


def test_rates_csv_upload_replaces_the_price_list(tenant: Tenant, book: Book) -> None:
    plan = make_plan(tenant.reseller, rates={(book.sweden, book.telia): "9"})
    assert services.rates_upload(plan=plan, data=RATES.encode(), by=tenant.reseller_user) == 3
    rates = {(rate.country.iso_code, rate.network_id): (rate.price, rate.end_date) for rate in plan.rates.all()}
    assert rates == {
        ("ES", None): (D("0.01"), None),
        ("ES", book.movistar.pk): (D("0.02"), date(2030, 12, 31)),
        ("SE", None): (D("0.03"), None),
    }


def test_rates_csv_with_a_bad_row_reports_it_and_loads_nothing(tenant: Tenant, book: Book) -> None:
    plan = make_plan(tenant.reseller, rates={(book.sweden, book.telia): "9"})
    bad = RATES + "Spain,Nowhere,214,98,0.01,\nSpain,,214,07,0.1234567,\nSpain,,214,,0.05,31/12/2030\n"
    with pytest.raises(ValidationError) as error:
        services.rates_upload(plan=plan, data=bad.encode(), by=tenant.reseller_user)
    assert error.value.messages == [
        "Line 5: MCC 214 MNC 98 is not in the reference book.",
        "Line 6: the price has more than 5 decimal places.",
        "Line 7: the end date “31/12/2030” is not YYYY-MM-DD.",
    ]
    assert [(rate.network, rate.price) for rate in plan.rates.all()] == [(book.telia, D("9"))]


def test_only_the_creator_changes_a_plan(tenant: Tenant, book: Book) -> None:
    plan = make_plan(tenant.owner, rates={})
    with pytest.raises(ValidationError):
        services.rates_upload(plan=plan, data=RATES.encode(), by=tenant.reseller_user)


def test_partner_kinds_in_assignment(tenant: Tenant, book: Book) -> None:
    plan = make_plan(tenant.reseller, rates={(book.spain, None): "0.01"}, audience=Audience.ASSIGNED)
    with pytest.raises(ValidationError):  # not below the caller
        services.rate_plan_assign(plan=plan, partners=[tenant.owner], by=tenant.reseller_user)
    services.rate_plan_assign(plan=plan, partners=[tenant.end_user], by=tenant.reseller_user)
    assert list(selectors.rate_plans_available_to(tenant.end_user)) == [plan]
    assert Partner.objects.get(pk=tenant.end_user.pk).assigned_rate_plans.get() == plan

"""The Campaign Portal's Purchase page: Your Packs / Your Rate Plans, the catalog, buying packs, selecting plans,
asking for plans, and the dashboard's Pack & Plans card."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from billing import services
from billing.models import (
    BillingChannel,
    Pack,
    RatePlanRequest,
    Subscription,
    Transaction,
    TransactionType,
    ValidityUnit,
)
from tenancy import approvals
from tests.billing.conftest import Book, D, assert_ledger_matches, fund, make_pack, make_plan
from tests.conftest import signed_in
from tests.factories import Tenant

PURCHASE = reverse("billing:purchase")
HTMX = {"HX-Request": "true"}


def _texts(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _names(response: Any) -> list[str]:
    return [item.name for item in response.context["page_obj"]]


# The page ------------------------------------------------------------------------------------------------------


def test_menu_leads_to_the_purchase_page(cp_client: Client) -> None:
    response = cp_client.get(PURCHASE)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="h3 mb-4">Purchase</h1>' in html
    assert f'nav-link active" href="{PURCHASE}"' in html


def test_managers_are_sent_to_the_admin_panel(ap_client: Client) -> None:
    assert ap_client.get(PURCHASE)["Location"] == reverse("adminpanel:home")


def test_catalog_lists_packs_offered_to_the_user_only(
    cp_client: Client, tenant: Tenant, tenant_b: Tenant, book: Book
) -> None:
    make_pack(tenant.reseller, book.spain, name="Spain 1000")
    make_pack(tenant.owner, book.sweden, name="Sweden 500")
    make_pack(tenant.reseller, book.spain, name="Assigned elsewhere", audience="assigned")
    make_pack(tenant.reseller, book.spain, name="Retired", is_active=False)
    make_pack(tenant_b.reseller, book.spain, name="Other tenant")
    response = cp_client.get(PURCHASE)
    assert sorted(_names(response)) == ["Spain 1000", "Sweden 500"]
    html = response.content.decode()
    assert "Other tenant" not in html and "Retired" not in html and "Assigned elsewhere" not in html
    assert response.context["pack_count"] == 2


def test_pack_tile_shows_price_channel_country_mode_cost_count_and_validity(
    cp_client: Client, tenant: Tenant, book: Book
) -> None:
    make_pack(
        tenant.reseller,
        book.sweden,
        name="Five by delivered",
        price=D("5"),
        message_count=5,
        billing_mode="delivered",
        validity_count=1,
        validity_unit=ValidityUnit.YEAR,
    )
    html = cp_client.get(PURCHASE).content.decode()
    for text in ("Five by delivered", "5.00 EUR", "SMS Message", "Sweden", "By Delivered", "1.00 EUR", "1 year"):
        assert text in html, text


def test_search_filter_and_sort(cp_client: Client, tenant: Tenant, book: Book) -> None:
    make_pack(tenant.reseller, book.spain, name="Cheap Spain", price=D("1"))
    make_pack(tenant.reseller, book.spain, name="Dear Spain", price=D("50"))
    make_pack(tenant.reseller, book.sweden, name="Viber Sweden", price=D("9"), channel=BillingChannel.VIBER_PROMOTION)

    assert _names(cp_client.get(PURCHASE, {"q": "spain", "sort": "price"})) == ["Cheap Spain", "Dear Spain"]
    assert _names(cp_client.get(PURCHASE, {"sort": "-price"})) == ["Dear Spain", "Viber Sweden", "Cheap Spain"]
    assert _names(cp_client.get(PURCHASE, {"sort": "name"})) == ["Cheap Spain", "Dear Spain", "Viber Sweden"]
    assert _names(cp_client.get(PURCHASE, {"channel": "viber_promotion"})) == ["Viber Sweden"]
    assert _names(cp_client.get(PURCHASE, {"country": book.sweden.pk})) == ["Viber Sweden"]
    # only the countries on offer are in the filter; an unknown one is ignored rather than an error
    form = cp_client.get(PURCHASE).context["filter_form"]
    assert [label for _pk, label in form.fields["country"].choices][1:] == ["Spain", "Sweden"]
    assert len(_names(cp_client.get(PURCHASE, {"country": "999999", "sort": "bogus"}))) == 3
    empty = cp_client.get(PURCHASE, {"q": "nothing like this"})
    assert 'data-testid="catalog-empty"' in empty.content.decode()


def test_tile_or_list_is_remembered(cp_client: Client, tenant: Tenant, book: Book) -> None:
    make_pack(tenant.reseller, book.spain, name="Spain pack")
    assert 'data-testid="pack-tile"' in cp_client.get(PURCHASE).content.decode()
    listed = cp_client.get(PURCHASE, {"view": "list"}).content.decode()
    assert 'data-testid="pack-row"' in listed and 'data-testid="pack-tile"' not in listed
    again = cp_client.get(PURCHASE).content.decode()
    assert 'data-testid="pack-row"' in again
    assert 'data-testid="pack-tile"' in cp_client.get(PURCHASE, {"view": "tile"}).content.decode()


def test_rate_plans_tab(cp_client: Client, tenant: Tenant, book: Book) -> None:
    make_plan(
        tenant.reseller, name="Plan_Spain", rates={(book.spain, book.movistar): "0.02", (book.spain, None): "0.01"}
    )
    make_plan(
        tenant.reseller,
        name="KA_WA",
        channel=BillingChannel.WHATSAPP_MARKETING,
        rates={(book.spain, None): "0.5", (book.sweden, None): "0.4"},
    )
    make_plan(tenant.reseller, name="For resellers", is_reseller_plan=True, rates={(book.spain, None): "0.001"})
    response = cp_client.get(PURCHASE, {"tab": "plans", "sort": "price"})
    assert _names(response) == ["Plan_Spain", "KA_WA"]
    html = response.content.decode()
    assert "Spain, Sweden" in html and "WhatsApp Marketing" in html and "For resellers" not in html
    assert _names(cp_client.get(PURCHASE, {"tab": "plans", "country": str(book.sweden.pk)})) == ["KA_WA"]
    listed = cp_client.get(PURCHASE, {"tab": "plans", "view": "list"}).content.decode()
    assert listed.count('data-testid="plan-row"') == 2


@pytest.mark.parametrize("tab", ["packs", "plans"])
@pytest.mark.parametrize("layout", ["tile", "list"])
def test_purchase_page_does_not_query_per_item(
    cp_client: Client, tenant: Tenant, book: Book, tab: str, layout: str, django_assert_max_num_queries: Any
) -> None:
    cp_client.get(PURCHASE, {"tab": tab, "view": layout})
    fund(tenant.end_user, "1000")
    for number in range(8):
        pack = make_pack(tenant.reseller, book.spain, name=f"Pack {number}", networks=[book.movistar])
        services.pack_purchase(partner=tenant.end_user, pack=pack, by=tenant.end_user_user)
        plan = make_plan(
            tenant.reseller,
            name=f"Plan {number}",
            channel=BillingChannel.values[number % 6],
            rates={(book.spain, None): "0.01", (book.sweden, None): "0.02"},
        )
        if number < 3:
            services.plan_subscribe(partner=tenant.end_user, plan=plan, by=tenant.end_user_user)
    with django_assert_max_num_queries(14):
        response = cp_client.get(PURCHASE, {"tab": tab, "view": layout})
    assert len(response.context["page_obj"]) == 8
    assert len(response.context["your_packs"]) == 8 and len(response.context["your_plans"]) == 3


# Packs ---------------------------------------------------------------------------------------------------------


def test_pack_details_window_and_page(cp_client: Client, tenant: Tenant, book: Book) -> None:
    pack = make_pack(tenant.reseller, book.spain, name="Spain 100", networks=[book.movistar, book.vodafone_es])
    url = reverse("billing:pack_detail", args=[pack.pk])
    window = cp_client.get(url, headers=HTMX)
    assert [t.name for t in window.templates][0] == "billing/_pack_detail.html"
    html = window.content.decode()
    assert "Spain 100" in html and "Movistar" in html and reverse("billing:pack_buy", args=[pack.pk]) in html
    page = cp_client.get(url)
    assert [t.name for t in page.templates][0] == "billing/modal_page.html"
    assert "Spain 100" in page.content.decode()


def test_order_window_shows_the_balance_after_and_warns_when_short(
    cp_client: Client, tenant: Tenant, book: Book
) -> None:
    pack = make_pack(tenant.reseller, book.spain, price=D("30"))
    url = reverse("billing:pack_buy", args=[pack.pk])
    short = cp_client.get(url, headers=HTMX).content.decode()
    assert 'data-testid="not-enough-money"' in short and "disabled" in short
    fund(tenant.end_user, "100")
    enough = cp_client.get(url, headers=HTMX)
    assert enough.context["balance_after"] == D("70")
    assert 'data-testid="not-enough-money"' not in enough.content.decode()


def test_buy_now_debits_the_balance_records_the_purchase_and_starts_the_pack(
    cp_client: Client, tenant: Tenant, book: Book
) -> None:
    fund(tenant.end_user, "100")
    pack = make_pack(
        tenant.reseller, book.spain, name="Spain 200", price=D("12.50"), message_count=200, validity_unit="month"
    )
    response = cp_client.post(reverse("billing:pack_buy", args=[pack.pk]))
    assert response.status_code == 302 and response["Location"] == f"{PURCHASE}#your-packs"
    assert _texts(response) == ["Spain 200 is yours: 200 messages are ready to send."]

    tenant.end_user.refresh_from_db()
    assert tenant.end_user.balance == D("87.50")
    entry = Transaction.objects.get(partner=tenant.end_user, type=TransactionType.PACK_PURCHASE)
    assert entry.amount == D("-12.50") and entry.initiator == tenant.end_user_user
    subscription = Subscription.objects.get(partner=tenant.end_user, pack=pack)
    assert (subscription.messages_left, subscription.status) == (200, Subscription.Status.ACTIVE)
    assert subscription.expires_at is not None
    assert_ledger_matches(tenant.end_user)

    html = cp_client.get(PURCHASE).content.decode()
    assert 'data-testid="your-pack"' in html and "200 of 200 messages left" in html


def test_buy_now_without_enough_money_changes_nothing(cp_client: Client, tenant: Tenant, book: Book) -> None:
    fund(tenant.end_user, "5")
    pack = make_pack(tenant.reseller, book.spain, price=D("10"))
    response = cp_client.post(reverse("billing:pack_buy", args=[pack.pk]))
    assert response.status_code == 302
    [text] = _texts(response)
    assert text.startswith("Not enough money")
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.balance == D("5")
    assert not Subscription.objects.filter(partner=tenant.end_user).exists()
    assert not Transaction.objects.filter(partner=tenant.end_user, type=TransactionType.PACK_PURCHASE).exists()


def test_a_pack_not_offered_cannot_be_seen_or_bought(
    cp_client: Client, tenant: Tenant, tenant_b: Tenant, book: Book
) -> None:
    fund(tenant.end_user, "100")
    foreign = make_pack(tenant_b.reseller, book.spain)
    hidden = make_pack(tenant.reseller, book.spain, audience="assigned")
    for pack in (foreign, hidden):
        assert cp_client.get(reverse("billing:pack_detail", args=[pack.pk])).status_code == 404
        assert cp_client.post(reverse("billing:pack_buy", args=[pack.pk])).status_code == 404
    assert not Subscription.objects.exists()


def test_a_bought_pack_stays_readable_after_its_sale_ends(cp_client: Client, tenant: Tenant, book: Book) -> None:
    fund(tenant.end_user, "100")
    pack = make_pack(tenant.reseller, book.spain, name="Seasonal")
    services.pack_purchase(partner=tenant.end_user, pack=pack, by=tenant.end_user_user)
    Pack.objects.filter(pk=pack.pk).update(is_active=False)
    response = cp_client.get(reverse("billing:pack_detail", args=[pack.pk]), headers=HTMX)
    assert response.status_code == 200 and not response.context["can_buy"]
    assert "100 of 100 messages left" in response.content.decode()


# Rate plans ----------------------------------------------------------------------------------------------------


def test_plan_details_show_rates_in_pages(cp_client: Client, tenant: Tenant, book: Book) -> None:
    from billing.models import Country

    rates: dict[Any, str] = {(country, None): "0.01" for country in Country.objects.order_by("name")[:25]}
    plan = make_plan(tenant.reseller, name="Worldwide", rates=rates)
    url = reverse("billing:plan_detail", args=[plan.pk])
    first = cp_client.get(url, headers=HTMX)
    assert first.content.decode().count('data-testid="rate-row"') == 20
    assert 'data-testid="rates-next"' in first.content.decode()
    second = cp_client.get(url, {"page": 2}, headers=HTMX)
    assert [t.name for t in second.templates][0] == "billing/_plan_rates.html"
    assert second.content.decode().count('data-testid="rate-row"') == 5


def test_select_plan(cp_client: Client, tenant: Tenant, book: Book) -> None:
    plan = make_plan(tenant.reseller, name="Plan_Spain", rates={(book.spain, None): "0.01"})
    order = cp_client.get(reverse("billing:plan_select", args=[plan.pk]), headers=HTMX).content.decode()
    assert "Plan_Spain" in order and 'data-testid="replace-warning"' not in order
    response = cp_client.post(reverse("billing:plan_select", args=[plan.pk]))
    assert response["Location"] == f"{PURCHASE}#your-plans"
    assert _texts(response) == ["Plan_Spain now prices your SMS Message messages."]
    subscription = Subscription.objects.get(partner=tenant.end_user, kind="plan", status="active")
    assert subscription.rate_plan == plan
    html = cp_client.get(PURCHASE, {"tab": "plans"}).content.decode()
    assert 'data-testid="your-plan"' in html and "Your plan" in html


def test_a_second_plan_for_a_channel_asks_before_replacing(cp_client: Client, tenant: Tenant, book: Book) -> None:
    old = make_plan(tenant.reseller, name="Old plan", rates={(book.spain, None): "0.02"})
    new = make_plan(tenant.reseller, name="New plan", rates={(book.spain, None): "0.01"})
    services.plan_subscribe(partner=tenant.end_user, plan=old, by=tenant.end_user_user)
    url = reverse("billing:plan_select", args=[new.pk])

    order = cp_client.get(url, headers=HTMX).content.decode()
    assert 'data-testid="replace-warning"' in order and "Old plan" in order and 'name="replace" value="1"' in order

    refused = cp_client.post(url)
    assert "one plan per channel" in _texts(refused)[0]
    assert Subscription.objects.get(partner=tenant.end_user, status="active").rate_plan == old

    replaced = cp_client.post(url, {"replace": "1"})
    assert _texts(replaced)[-1] == "New plan now prices your SMS Message messages instead of Old plan."
    assert Subscription.objects.get(partner=tenant.end_user, status="active").rate_plan == new
    assert Subscription.objects.get(partner=tenant.end_user, rate_plan=old).status == "unsubscribed"


def test_plans_of_other_channels_live_side_by_side(cp_client: Client, tenant: Tenant, book: Book) -> None:
    sms = make_plan(tenant.reseller, rates={(book.spain, None): "0.01"})
    viber = make_plan(tenant.reseller, channel=BillingChannel.VIBER_PROMOTION, rates={(book.spain, None): "0.03"})
    cp_client.post(reverse("billing:plan_select", args=[sms.pk]))
    order = cp_client.get(reverse("billing:plan_select", args=[viber.pk]), headers=HTMX).content.decode()
    assert 'data-testid="replace-warning"' not in order
    cp_client.post(reverse("billing:plan_select", args=[viber.pk]))
    assert Subscription.objects.filter(partner=tenant.end_user, status="active").count() == 2


def test_reseller_plans_and_other_tenants_plans_are_404(
    cp_client: Client, tenant: Tenant, tenant_b: Tenant, book: Book
) -> None:
    reseller_plan = make_plan(tenant.owner, is_reseller_plan=True, rates={(book.spain, None): "0.001"})
    foreign = make_plan(tenant_b.reseller, rates={(book.spain, None): "0.01"})
    for plan in (reseller_plan, foreign):
        assert cp_client.get(reverse("billing:plan_detail", args=[plan.pk])).status_code == 404
        assert cp_client.post(reverse("billing:plan_select", args=[plan.pk])).status_code == 404
    assert not Subscription.objects.exists()


# Request to create rate plans ----------------------------------------------------------------------------------


def test_nothing_on_offer_shows_the_request_button(cp_client: Client, tenant: Tenant, book: Book) -> None:
    html = cp_client.get(PURCHASE).content.decode()
    assert 'data-testid="plan-request-card"' in html and "Nothing is on offer for you yet" in html
    plan = make_plan(tenant.reseller, rates={(book.spain, None): "0.01"})
    services.plan_subscribe(partner=tenant.end_user, plan=plan, by=tenant.end_user_user)
    assert 'data-testid="plan-request-card"' not in cp_client.get(PURCHASE).content.decode()


def test_request_for_rate_plans_lands_in_the_parents_queue(cp_client: Client, tenant: Tenant) -> None:
    response = cp_client.post(
        reverse("billing:plan_request"), {"channel": "sms", "comment": "SMS to Spain, about 10k a month"}
    )
    assert response["Location"] == PURCHASE
    assert _texts(response)[0].startswith("Your request is sent")
    request = RatePlanRequest.objects.get(partner=tenant.end_user)
    assert (request.channel, request.comment) == ("sms", "SMS to Spain, about 10k a month")
    assert list(approvals.approval_queue(partner=tenant.reseller, kind="rate_plan")) == [request.approval]
    assert not approvals.approval_queue(partner=tenant.owner, kind="rate_plan").exists()
    html = cp_client.get(PURCHASE).content.decode()
    assert 'data-testid="request-waiting"' in html
    # the reseller sees it on its queue page
    ap_html = signed_in(tenant.reseller_user).get(reverse("adminpanel:rate_plan_request_list")).content.decode()
    assert "SMS to Spain, about 10k a month" in ap_html


def test_a_too_long_comment_is_refused(cp_client: Client) -> None:
    response = cp_client.post(reverse("billing:plan_request"), {"comment": "x" * 2001})
    assert response.status_code == 400
    assert not RatePlanRequest.objects.exists()


# Dashboard -----------------------------------------------------------------------------------------------------


def test_dashboard_card_shows_the_last_three_subscriptions(cp_client: Client, tenant: Tenant, book: Book) -> None:
    html = cp_client.get(reverse("portal:dashboard")).content.decode()
    assert f'href="{PURCHASE}" data-testid="add-subscription"' in html
    assert 'data-testid="dashboard-subscription"' not in html
    fund(tenant.end_user, "100")
    for name in ("First", "Second", "Third", "Fourth"):
        services.pack_purchase(
            partner=tenant.end_user, pack=make_pack(tenant.reseller, book.spain, name=name), by=tenant.end_user_user
        )
    response = cp_client.get(reverse("portal:dashboard"))
    assert [sub.pack.name for sub in response.context["subscriptions"]] == ["Fourth", "Third", "Second"]
    assert response.content.decode().count('data-testid="dashboard-subscription"') == 3

"""Admin Panel billing pages: rendering, subtree scoping, forms through the services, query counts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from billing import services
from billing.models import Audience, Network, Pack, RatePlan, Subscription, TopUpRequest, Transaction
from tests.billing.conftest import Book, D, fund, make_pack, make_plan
from tests.conftest import signed_in
from tests.factories import Sibling, Tenant, make_partner

LIST_PAGES = [
    "adminpanel:network_list",
    "adminpanel:network_create",
    "adminpanel:book_upload",
    "adminpanel:pack_list",
    "adminpanel:pack_create",
    "adminpanel:rate_plan_list",
    "adminpanel:rate_plan_create",
    "adminpanel:subscription_list",
    "adminpanel:transaction_list",
    "adminpanel:payment_create",
    "adminpanel:top_up_list",
    "adminpanel:rate_plan_request_list",
]


def _csv(text: str, name: str = "list.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


@pytest.mark.parametrize("name", LIST_PAGES)
def test_pages_render_for_reseller_and_owner(name: str, ap_client: Client, owner_client: Client, book: Book) -> None:
    for client in (ap_client, owner_client):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert 'aria-label="Main menu"' in response.content.decode()


@pytest.mark.parametrize("name", LIST_PAGES)
def test_end_users_are_sent_to_the_campaign_portal(name: str, cp_client: Client) -> None:
    assert cp_client.get(reverse(name))["Location"] == reverse("portal:dashboard")


def test_detail_pages_render(owner_client: Client, tenant: Tenant, book: Book) -> None:
    plan = make_plan(tenant.owner, rates={(book.spain, None): "0.01", (book.spain, book.movistar): "0.02"})
    pack = make_pack(tenant.owner, book.spain)
    entry = services.balance_change(partner=tenant.end_user, amount=D("5"), type="payment", by=None)
    for url in (
        reverse("adminpanel:network_edit", args=["214", "07"]),
        reverse("adminpanel:country_edit", args=["es"]),
        reverse("adminpanel:pack_edit", args=[pack.pk]),
        reverse("adminpanel:rate_plan_edit", args=[plan.pk]),
        reverse("adminpanel:rate_plan_rates", args=[plan.pk]),
        reverse("adminpanel:rate_plan_assign", args=[plan.pk]),
        reverse("adminpanel:transaction_detail", args=[entry.pk]),
    ):
        assert owner_client.get(url).status_code == 200, url


# Reference book ------------------------------------------------------------------------------------------------


def test_reference_book_browse_and_search(ap_client: Client, book: Book) -> None:
    response = ap_client.get(reverse("adminpanel:network_list"), {"q": "21407"})
    assert [network.name for network in response.context["object_list"]] == ["Movistar"]
    response = ap_client.get(reverse("adminpanel:network_list"), {"country": book.sweden.pk, "per_page": 50})
    assert {network.country_id for network in response.context["object_list"]} == {book.sweden.pk}
    export = ap_client.get(reverse("adminpanel:book_export"))
    assert export["Content-Type"].startswith("text/csv")
    assert b"ES,Spain,34,214,07,Movistar" in export.content


def test_only_the_system_owner_edits_the_book(ap_client: Client, owner_client: Client, book: Book) -> None:
    url = reverse("adminpanel:network_edit", args=["214", "07"])
    data = {"country": book.spain.pk, "mcc": "214", "mnc": "07", "name": "Movistar ES", "carrier_names": "Movistar"}
    assert ap_client.post(url, data).status_code == 403
    assert owner_client.post(url, data).status_code == 302
    assert Network.objects.get(mcc="214", mnc="07").name == "Movistar ES"
    prefix_url = reverse("adminpanel:prefix_add", args=["214", "07"])
    assert ap_client.post(prefix_url, {"digits": "34762"}).status_code == 403
    owner_client.post(prefix_url, {"digits": "+34 762"})
    assert services.resolve_number("34 762 398 274").network == book.movistar
    owner_client.post(reverse("adminpanel:prefix_delete", args=["34762"]))
    assert services.resolve_number("34 762 398 274").network is None


def test_book_upload_with_a_bad_line_lists_it_and_loads_nothing(owner_client: Client, book: Book) -> None:
    text = (
        "iso,country,dial_code,mcc,mnc,network,carriers\n"
        "UZ,Uzbekistan,998,434,05,Ucell,\n"
        "UZ,Uzbekistan,998,434,x,MTS,\n"
    )
    response = owner_client.post(reverse("adminpanel:book_upload"), {"file": _csv(text)})
    assert response.status_code == 400
    assert "Line 3: the MNC must be 2 or 3 digits." in response.content.decode()
    assert not Network.objects.filter(mcc="434").exists()
    response = owner_client.post(reverse("adminpanel:book_upload"), {"file": _csv(text.rsplit("UZ,", 1)[0])})
    assert response.status_code == 302
    assert Network.objects.get(mcc="434", mnc="05").name == "Ucell"


# Packs ---------------------------------------------------------------------------------------------------------


def _pack_data(book: Book, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "ELSW_01",
        "price": "100.00",
        "channel": "sms",
        "country": book.spain.pk,
        "networks": [book.movistar.pk],
        "billing_mode": "delivered",
        "message_count": "1000",
        "validity_count": "1",
        "validity_unit": "year",
        "audience": "below",
        "is_active": "on",
    }
    data.update(changes)
    return data


def test_reseller_creates_a_pack(ap_client: Client, tenant: Tenant, book: Book) -> None:
    response = ap_client.post(reverse("adminpanel:pack_create"), _pack_data(book))
    assert response.status_code == 302, response.content.decode()
    pack = Pack.objects.get(name="ELSW_01")
    assert (pack.partner, list(pack.networks.all()), pack.cost_per_message) == (
        tenant.reseller,
        [book.movistar],
        D("0.1"),
    )
    bad = ap_client.post(reverse("adminpanel:pack_create"), _pack_data(book, name="Bad", networks=[book.telia.pk]))
    assert bad.status_code == 400
    assert "Not networks of the chosen country" in bad.content.decode()


def test_pack_list_is_scoped_to_the_subtree(
    ap_client: Client, owner_client: Client, tenant: Tenant, tenant_b: Tenant, sibling: Sibling, book: Book
) -> None:
    mine = make_pack(tenant.reseller, book.spain, name="mine")
    make_pack(sibling.reseller, book.spain, name="sibling's")
    make_pack(tenant.owner, book.spain, name="owner's")
    make_pack(tenant_b.reseller, book.spain, name="other tree")
    names = {p.name for p in ap_client.get(reverse("adminpanel:pack_list")).context["object_list"]}
    assert names == {"mine"}
    owner_names = {p.name for p in owner_client.get(reverse("adminpanel:pack_list")).context["object_list"]}
    assert owner_names == {"mine", "sibling's", "owner's"}
    # the owner sees the reseller's pack read-only: the service refuses the change
    response = owner_client.post(reverse("adminpanel:pack_edit", args=[mine.pk]), _pack_data(book, name="hijack"))
    assert response.status_code == 400
    mine.refresh_from_db()
    assert mine.name == "mine"


def test_assigned_partners_must_be_below_the_caller(ap_client: Client, sibling: Sibling, book: Book) -> None:
    data = _pack_data(book, audience="assigned", assigned_partners=[sibling.end_user.pk])
    response = ap_client.post(reverse("adminpanel:pack_create"), data)
    assert response.status_code == 400
    assert not Pack.objects.exists()


# Rate plans ----------------------------------------------------------------------------------------------------

RATES_CSV = "country,network,mcc,mnc,price,end_date\nSpain,,214,,0.01000,\nSpain,Movistar,214,07,0.02,2030-01-31\n"


def test_rate_plan_create_upload_edit_and_assign(ap_client: Client, tenant: Tenant, book: Book) -> None:
    response = ap_client.post(
        reverse("adminpanel:rate_plan_create"),
        {"name": "Plan_Spain", "channel": "sms", "billing_mode": "delivered", "audience": "below", "is_active": "on"},
    )
    plan = RatePlan.objects.get(name="Plan_Spain")
    rates_url = reverse("adminpanel:rate_plan_rates", args=[plan.pk])
    assert response["Location"] == rates_url

    bad = ap_client.post(rates_url, {"action": "upload", "file": _csv(RATES_CSV + "Narnia,,,,0.1,\n")})
    assert bad.status_code == 400
    assert "Line 4: unknown country “Narnia”." in bad.content.decode()
    assert not plan.rates.exists()

    assert ap_client.post(rates_url, {"action": "upload", "file": _csv(RATES_CSV)}).status_code == 302
    assert plan.rates.count() == 2
    rate = plan.rates.get(network=book.movistar)
    table = {f"price_{r.pk}": str(r.price) for r in plan.rates.all()} | {f"end_date_{rate.pk}": ""}
    table[f"price_{rate.pk}"] = "0.03"
    assert ap_client.post(rates_url, {"action": "save_rates", **table}).status_code == 302
    rate.refresh_from_db()
    assert (rate.price, rate.end_date) == (D("0.03"), None)
    add = {"action": "add_rate", "country": book.sweden.pk, "network": book.telia.pk, "price": "0.05"}
    assert ap_client.post(rates_url, add).status_code == 302
    duplicate = ap_client.post(rates_url, add)
    assert duplicate.status_code == 400
    export = ap_client.get(reverse("adminpanel:rate_plan_export", args=[plan.pk])).content.decode()
    assert "Spain,Movistar,214,07,0.03000," in export

    assign_url = reverse("adminpanel:rate_plan_assign", args=[plan.pk])
    assert ap_client.post(assign_url, {"partners": [tenant.end_user.pk], "subscribe": "on"}).status_code == 302
    assert Subscription.objects.get(partner=tenant.end_user, kind="plan").rate_plan == plan
    assert "Partners on this plan" in ap_client.get(rates_url).content.decode()


def test_reseller_plan_is_seen_only_by_assigned_resellers_and_derived(
    ap_client: Client, tenant: Tenant, sibling: Sibling, book: Book
) -> None:
    wholesale = make_plan(
        tenant.owner,
        name="Wholesale",
        is_reseller_plan=True,
        audience=Audience.ASSIGNED,
        rates={(book.spain, None): "0.01"},
    )
    services.rate_plan_assign(plan=wholesale, partners=[tenant.reseller], by=tenant.owner_user)
    listed = ap_client.get(reverse("adminpanel:rate_plan_list"))
    assert wholesale in listed.context["object_list"]
    assert 'data-testid="derive"' in listed.content.decode()
    sibling_client = signed_in(sibling.reseller_user)
    assert wholesale not in sibling_client.get(reverse("adminpanel:rate_plan_list")).context["object_list"]
    assert sibling_client.get(reverse("adminpanel:rate_plan_rates", args=[wholesale.pk])).status_code == 404

    response = ap_client.post(
        reverse("adminpanel:rate_plan_derive", args=[wholesale.pk]), {"name": "Retail", "markup_percent": "50"}
    )
    retail = RatePlan.objects.get(name="Retail")
    assert response["Location"] == reverse("adminpanel:rate_plan_rates", args=[retail.pk])
    assert retail.rates.get().price == D("0.015")
    # the reseller cannot change the owner's plan
    assert ap_client.get(reverse("adminpanel:rate_plan_assign", args=[wholesale.pk])).status_code == 302


# Subscriptions and money ---------------------------------------------------------------------------------------


def test_unsubscribe_a_pack_from_the_subscription_list(ap_client: Client, tenant: Tenant, book: Book) -> None:
    fund(tenant.end_user, "10")
    pack = make_pack(tenant.reseller, book.spain, price=D("4"), message_count=4)
    subscription = services.pack_purchase(partner=tenant.end_user, pack=pack, by=tenant.end_user_user)
    listed = ap_client.get(reverse("adminpanel:subscription_list"), {"kind": "pack"})
    assert list(listed.context["object_list"]) == [subscription]
    ap_client.post(reverse("adminpanel:subscription_end", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.UNSUBSCRIBED
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.balance == D("10")  # nothing was used: the whole price came back


def test_record_payment_and_correction(ap_client: Client, tenant: Tenant, sibling: Sibling) -> None:
    url = reverse("adminpanel:payment_create")
    assert (
        ap_client.post(url, {"partner": tenant.end_user.pk, "amount": "150.00", "description": "Wire"}).status_code
        == 302
    )
    refused = ap_client.post(url, {"partner": tenant.end_user.pk, "amount": "-200"})
    assert refused.status_code == 400
    assert "Not enough money" in refused.content.decode()
    outside = ap_client.post(url, {"partner": sibling.end_user.pk, "amount": "5"})
    assert outside.status_code == 400
    assert list(Transaction.objects.values_list("partner", "amount")) == [(tenant.end_user.pk, D("150"))]


def test_finance_list_filters_and_scoping(
    ap_client: Client, tenant: Tenant, sibling: Sibling, book: Book, spain_plan: RatePlan
) -> None:
    fund(tenant.end_user, "10")
    fund(sibling.end_user, "10")
    services.charge_batch(partner=tenant.end_user, channel="sms", items=[("21407", 1)], reference="campaign:7")
    rows = ap_client.get(reverse("adminpanel:transaction_list")).context["object_list"]
    assert {entry.partner_id for entry in rows} == {tenant.end_user.pk}
    campaigns = ap_client.get(reverse("adminpanel:transaction_list"), {"type": "campaign"}).context["object_list"]
    [campaign] = campaigns
    detail = ap_client.get(reverse("adminpanel:transaction_detail", args=[campaign.pk]))
    assert "21407" in detail.content.decode() and 'data-testid="rerate"' in detail.content.decode()
    spain_plan.rates.filter(network=book.movistar).update(price=D("0.01"))
    response = ap_client.post(reverse("adminpanel:transaction_rerate", args=[campaign.pk]))
    rerating = Transaction.objects.get(type="rerating")
    assert response["Location"] == reverse("adminpanel:transaction_detail", args=[rerating.pk])
    assert rerating.amount == D("0.01")


def test_confirm_a_top_up(ap_client: Client, owner_client: Client, tenant: Tenant) -> None:
    top_up = services.top_up_request(partner=tenant.end_user, amount=D("30"), method="bank_transfer", by=None)
    owner_client.post(reverse("adminpanel:top_up_confirm", args=[top_up.pk]))  # not the direct parent
    top_up.refresh_from_db()
    assert top_up.status == TopUpRequest.Status.PENDING
    assert 'data-testid="confirm-top-up"' in ap_client.get(reverse("adminpanel:top_up_list")).content.decode()
    shared = ap_client.get(reverse("adminpanel:approval_detail", args=[top_up.approval_id])).content.decode()
    assert 'data-testid="top-up-subject"' in shared and "30.00 EUR" in shared
    ap_client.post(reverse("adminpanel:top_up_confirm", args=[top_up.pk]))
    top_up.refresh_from_db()
    assert top_up.status == TopUpRequest.Status.CONFIRMED
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.balance == D("30")


def test_approve_a_rate_plan_request_with_a_plan(ap_client: Client, tenant: Tenant, book: Book) -> None:
    plan = make_plan(tenant.reseller, rates={(book.spain, None): "0.01"})
    plan_request = services.rate_plan_request_open(partner=tenant.end_user, by=tenant.end_user_user, comment="Hi")
    page = ap_client.get(reverse("adminpanel:rate_plan_request_list"))
    assert list(page.context["object_list"]) == [plan_request]
    ap_client.post(reverse("adminpanel:rate_plan_request_approve", args=[plan_request.pk]), {"plan": plan.pk})
    assert Subscription.objects.get(partner=tenant.end_user).rate_plan == plan


# Query counts --------------------------------------------------------------------------------------------------


def test_list_pages_keep_their_query_count(
    owner_client: Client, tenant: Tenant, book: Book, django_assert_max_num_queries: Any
) -> None:
    fund(tenant.end_user, "1000")
    for index in range(12):
        company = make_partner(tenant.reseller, name=f"Company {index}")
        plan = make_plan(tenant.reseller, name=f"P{index}", rates={(book.spain, None): "0.01"})
        pack = make_pack(tenant.reseller, book.spain, name=f"K{index}", networks=[book.movistar])
        services.plan_subscribe(partner=company, plan=plan, by=tenant.reseller_user)
        services.pack_purchase(partner=tenant.end_user, pack=pack, by=None)
        services.top_up_request(partner=company, amount=Decimal("5"), method="bank_transfer", by=None)
        services.rate_plan_request_open(partner=company, by=None, comment=f"#{index}")
    for name in (
        "adminpanel:network_list",
        "adminpanel:pack_list",
        "adminpanel:rate_plan_list",
        "adminpanel:subscription_list",
        "adminpanel:transaction_list",
        "adminpanel:top_up_list",
        "adminpanel:rate_plan_request_list",
    ):
        with django_assert_max_num_queries(15):
            assert owner_client.get(reverse(name), {"per_page": 100}).status_code == 200, name

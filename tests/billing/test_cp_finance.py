"""The Campaign Portal's Finance page: quick and more filters, the ledger table, Show Details and Export Details."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from billing import services
from billing.exports import safe_cell
from billing.models import RatePlan, Transaction
from tests.billing.conftest import Book, D, fund, make_pack
from tests.conftest import HOST_B, signed_in
from tests.factories import Tenant

FINANCE = reverse("billing:finance")
HTMX = {"HX-Request": "true"}


def _campaign(tenant: Tenant, description: str = "Spring sale", reference: str = "campaign:1") -> Transaction:
    """A Campaign transaction: one message from a pack, then Movistar ×2 and Vodafone (all networks) on the plan."""
    services.charge_batch(
        partner=tenant.end_user,
        channel="sms",
        items=[("21407", 1), ("21407", 2), ("21401", 1), ("21407", 1)],
        reference=reference,
        description=description,
        by=tenant.end_user_user,
    )
    return Transaction.objects.get(partner=tenant.end_user, reference=reference)


def _ids(response: Any) -> list[int]:
    return [entry.pk for entry in response.context["transactions"]]


def test_menu_leads_to_finance(cp_client: Client) -> None:
    html = cp_client.get(FINANCE).content.decode()
    assert '<h1 class="h3 mb-4">Finance</h1>' in html
    assert f'nav-link active" href="{FINANCE}"' in html


def test_table_shows_id_amount_messages_date_type_initiator_and_description(
    cp_client: Client, tenant: Tenant, book: Book, spain_plan: RatePlan
) -> None:
    tenant.end_user_user.date_format = "DD.MM.YYYY"
    tenant.end_user_user.time_zone = "Europe/Madrid"
    tenant.end_user_user.save()
    with time_machine.travel(datetime(2026, 3, 2, 9, 30, tzinfo=UTC), tick=False):
        fund(tenant.end_user, "50")
        pack = make_pack(tenant.reseller, book.spain, name="One", message_count=1, price=D("4"))
        services.pack_purchase(partner=tenant.end_user, pack=pack, by=tenant.end_user_user)
        campaign = _campaign(tenant)
    html = cp_client.get(FINANCE).content.decode()
    row = html[html.index(f"<td>{campaign.pk}</td>") :]
    row = row[: row.index("</tr>")]
    for text in ("−0.07", ">1<", "02.03.2026 10:30", "Campaign", tenant.end_user_user.email, "Spring sale"):
        assert text in row, text
    assert reverse("billing:transaction_detail", args=[campaign.pk]) in row
    assert "−4.00" in html and "Pack Purchase" in html and "Pack bought: One" in html
    assert "+50.00" in html and "System" in html  # the test funds have no initiator


def test_operations_by_a_partner_above_name_the_administrator(cp_client: Client, tenant: Tenant, book: Book) -> None:
    services.payment_record(partner=tenant.end_user, amount=D("20"), by=tenant.reseller_user, description="Invoice 7")
    html = cp_client.get(FINANCE).content.decode()
    assert "Administrator" in html and tenant.reseller_user.email not in html


def test_quick_filter_by_operation_type(cp_client: Client, tenant: Tenant, book: Book, spain_plan: RatePlan) -> None:
    fund(tenant.end_user, "50")
    campaign = _campaign(tenant)
    assert _ids(cp_client.get(FINANCE, {"type": "campaign"})) == [campaign.pk]
    assert len(_ids(cp_client.get(FINANCE, {"type": "payment"}))) == 1
    assert _ids(cp_client.get(FINANCE, {"type": "rerating"})) == []
    assert len(_ids(cp_client.get(FINANCE, {"type": "bogus"}))) == 2  # an unknown type is ignored


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("today", ["today"]),
        ("7d", ["today", "5 days ago"]),
        ("30d", ["today", "5 days ago", "20 days ago"]),
        ("", None),
    ],
)
def test_quick_filter_by_period(cp_client: Client, tenant: Tenant, period: str, expected: list[str] | None) -> None:
    now = datetime(2026, 5, 31, 12, 0, tzinfo=UTC)
    for days, label in ((40, "40 days ago"), (20, "20 days ago"), (5, "5 days ago"), (0, "today")):
        with time_machine.travel(now.timestamp() - days * 86400, tick=False):
            services.balance_change(partner=tenant.end_user, amount=D("1"), type="payment", by=None, description=label)
    with time_machine.travel(now, tick=False):
        response = cp_client.get(FINANCE, {"period": period})
    descriptions = [entry.description for entry in response.context["transactions"]]
    assert descriptions == (expected or ["today", "5 days ago", "20 days ago", "40 days ago"])


def test_custom_period_direction_and_description(cp_client: Client, tenant: Tenant) -> None:
    for day, amount, text in ((1, "10", "Invoice A"), (10, "-3", "Fix B"), (20, "7", "Invoice C")):
        with time_machine.travel(datetime(2026, 4, day, 12, tzinfo=UTC), tick=False):
            services.balance_change(
                partner=tenant.end_user, amount=D(amount), type="payment", by=None, description=text
            )

    def found(**query: str) -> list[str]:
        return [entry.description for entry in cp_client.get(FINANCE, query).context["transactions"]]

    assert found(period="custom", date_from="2026-04-05", date_to="2026-04-30") == ["Invoice C", "Fix B"]
    assert found(date_from="2026-04-05") == ["Invoice C", "Fix B"]  # dates alone mean a custom period
    assert found(direction="in") == ["Invoice C", "Invoice A"]
    assert found(direction="out") == ["Fix B"]
    assert found(q="invoice", date_to="2026-04-15") == ["Invoice A"]
    # a period that ends before it starts is reported, and the dates are not applied
    response = cp_client.get(FINANCE, {"date_from": "2026-04-30", "date_to": "2026-04-01"})
    assert "The period must start before it ends." in response.content.decode()
    assert len(response.context["transactions"]) == 3


def test_pagination_keeps_the_filters(cp_client: Client, tenant: Tenant) -> None:
    for number in range(30):
        services.balance_change(
            partner=tenant.end_user, amount=D("1"), type="payment", by=None, description=f"n{number}"
        )
    first = cp_client.get(FINANCE, {"type": "payment"})
    assert len(first.context["transactions"]) == 25
    assert "?type=payment&amp;page=2" in first.content.decode()
    assert len(cp_client.get(FINANCE, {"type": "payment", "page": "2"}).context["transactions"]) == 5


def test_finance_does_not_query_per_row(
    cp_client: Client, tenant: Tenant, book: Book, spain_plan: RatePlan, django_assert_max_num_queries: Any
) -> None:
    cp_client.get(FINANCE)
    fund(tenant.end_user, "500")
    for number in range(10):
        _campaign(tenant, reference=f"campaign:{number}")
        services.payment_record(partner=tenant.end_user, amount=D("1"), by=tenant.reseller_user)
        services.top_up_request(partner=tenant.end_user, amount=D("1"), method="bank_transfer", by=None)
    with django_assert_max_num_queries(11):
        response = cp_client.get(FINANCE)
    assert len(response.context["transactions"]) == 21


# Show Details / Export Details ---------------------------------------------------------------------------------


def test_show_details_lists_each_mccmnc(cp_client: Client, tenant: Tenant, book: Book, spain_plan: RatePlan) -> None:
    fund(tenant.end_user, "50")
    pack = make_pack(tenant.reseller, book.spain, message_count=1, price=D("0"))
    services.pack_purchase(partner=tenant.end_user, pack=pack, by=tenant.end_user_user)
    campaign = _campaign(tenant)
    response = cp_client.get(reverse("billing:transaction_detail", args=[campaign.pk]), headers=HTMX)
    assert [t.name for t in response.templates][0] == "billing/_transaction_detail.html"
    rows = [
        (d.country.name, d.network.name if d.network else None, d.mccmnc, d.from_pack, d.quantity, d.rate, d.total)
        for d in response.context["details"]
    ]
    assert rows == [
        ("Spain", book.vodafone_es.name, "21401", False, 1, D("0.01"), D("0.01")),
        ("Spain", book.movistar.name, "21407", False, 2, D("0.02"), D("0.06")),
        ("Spain", book.movistar.name, "21407", True, 1, D("0"), D("0")),
    ]
    html = response.content.decode()
    assert "−0.07 EUR" in html and "Plan_Spain" in html and "Pack" in html
    assert reverse("billing:transaction_export", args=[campaign.pk]) in html
    page = cp_client.get(reverse("billing:transaction_detail", args=[campaign.pk]))
    assert page.status_code == 200 and "Movistar" in page.content.decode()


def test_export_details_as_xlsx(cp_client: Client, tenant: Tenant, book: Book, spain_plan: RatePlan) -> None:
    fund(tenant.end_user, "50")
    campaign = _campaign(tenant, description='=HYPERLINK("https://evil.example","x")')
    response = cp_client.get(reverse("billing:transaction_export", args=[campaign.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f'filename="transaction-{campaign.pk}.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    head = {row[0]: row[1] for row in rows[:7]}
    assert head["Transaction"] == campaign.pk
    assert head["Operation type"] == "Campaign"
    assert head["Description"] == '\'=HYPERLINK("https://evil.example","x")'
    assert head["Amount"] == pytest.approx(-0.09)
    assert head["Initiator"] == tenant.end_user_user.email
    table = rows[
        rows.index(["Country", "Network", "MCCMNC", "Charged from", "Quantity", "Segments", "Rate", "Total"]) :
    ]
    assert table[1:] == [
        ["Spain", book.vodafone_es.name, "21401", "Plan_Spain", 1, 1, pytest.approx(0.01), pytest.approx(0.01)],
        ["Spain", book.movistar.name, "21407", "Plan_Spain", 3, 4, pytest.approx(0.02), pytest.approx(0.08)],
    ]


@pytest.mark.parametrize(
    ("value", "safe"),
    [("=1+1", "'=1+1"), ("+7 900", "'+7 900"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"), ("Plain", "Plain"), (-5, -5)],
)
def test_cells_that_look_like_formulas_are_quoted(value: Any, safe: Any) -> None:
    assert safe_cell(value) == safe


def test_another_tenants_transaction_is_404(cp_client: Client, tenant: Tenant, tenant_b: Tenant) -> None:
    foreign = services.balance_change(partner=tenant_b.end_user, amount=D("5"), type="payment", by=None)
    for name in ("billing:transaction_detail", "billing:transaction_export"):
        assert cp_client.get(reverse(name, args=[foreign.pk])).status_code == 404
        # the owner of the row gets it
        assert signed_in(tenant_b.end_user_user, HOST_B).get(reverse(name, args=[foreign.pk])).status_code == 200
    # nor does a reseller's own ledger row show in its end user's portal
    above = services.balance_change(partner=tenant.reseller, amount=D("5"), type="payment", by=None)
    assert cp_client.get(reverse("billing:transaction_detail", args=[above.pk])).status_code == 404
    assert above.pk not in _ids(cp_client.get(FINANCE)) and foreign.pk not in _ids(cp_client.get(FINANCE))

"""The header's Top Up window: amount and payment method; a bank transfer waits for the parent, the demo card pays."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client, override_settings
from django.urls import reverse

from billing import services
from billing.models import TopUpRequest, Transaction, TransactionType
from tenancy import approvals
from tests.billing.conftest import D, assert_ledger_matches
from tests.factories import Tenant

TOP_UP = reverse("billing:top_up")
FINANCE = reverse("billing:finance")
HTMX = {"HX-Request": "true"}


def _texts(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@override_settings(BILLING_DEMO_GATEWAY=True)
def test_every_portal_page_has_the_top_up_form_with_the_methods(cp_client: Client) -> None:
    html = cp_client.get(reverse("portal:dashboard")).content.decode()
    assert 'data-testid="top-up-form"' in html and f'hx-post="{TOP_UP}"' in html
    assert "Bank transfer" in html and "Demo card (instant)" in html
    assert 'name="next" value="/dashboard"' in html
    assert "No payment method" not in html


@override_settings(BILLING_DEMO_GATEWAY=False)
def test_the_demo_card_is_hidden_when_switched_off(cp_client: Client, tenant: Tenant) -> None:
    html = cp_client.get(reverse("portal:dashboard")).content.decode()
    assert "Bank transfer" in html and "Demo card" not in html
    response = cp_client.post(TOP_UP, {"amount": "10", "method": "demo"})
    assert response.status_code == 400
    assert not TopUpRequest.objects.exists() and not Transaction.objects.exists()


def test_bank_transfer_waits_for_the_parent_and_shows_in_finance(cp_client: Client, tenant: Tenant) -> None:
    response = cp_client.post(TOP_UP, {"amount": "25.50", "method": "bank_transfer", "next": "/purchase"})
    assert response.status_code == 302 and response["Location"] == "/purchase"
    assert "waiting for your provider" in _texts(response)[0]
    top_up = TopUpRequest.objects.get(partner=tenant.end_user)
    assert (top_up.amount, top_up.status, top_up.created_by) == (D("25.50"), "pending", tenant.end_user_user)
    assert list(approvals.approval_queue(partner=tenant.reseller, kind="top_up")) == [top_up.approval]
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.balance == 0 and not Transaction.objects.exists()

    page = cp_client.get(FINANCE).content.decode()
    assert 'data-testid="top-up-row"' in page and "Waiting for confirmation" in page and "25.50 EUR" in page

    services.top_up_confirm(top_up=top_up, by=tenant.reseller_user)
    page = cp_client.get(FINANCE).content.decode()
    assert ">Confirmed<" in page and "Balance Top Up" in page and "+25.50" in page
    assert_ledger_matches(tenant.end_user)


@override_settings(BILLING_DEMO_GATEWAY=True)
def test_demo_card_credits_at_once(cp_client: Client, tenant: Tenant) -> None:
    response = cp_client.post(TOP_UP, {"amount": "100", "method": "demo"})
    assert response["Location"] == FINANCE
    assert _texts(response) == ["100.00 EUR is added to your balance."]
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.balance == D("100")
    entry = Transaction.objects.get(partner=tenant.end_user)
    assert (entry.type, entry.amount, entry.initiator) == (TransactionType.TOP_UP, D("100"), tenant.end_user_user)
    assert_ledger_matches(tenant.end_user)


@override_settings(BILLING_DEMO_GATEWAY=True)
def test_htmx_top_up_redirects_back_to_the_page(cp_client: Client, tenant: Tenant) -> None:
    response = cp_client.post(TOP_UP, {"amount": "5", "method": "demo", "next": "/purchase?tab=plans"}, headers=HTMX)
    assert response.status_code == 204 and response["HX-Redirect"] == "/purchase?tab=plans"


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("", "This field is required."),
        ("0", "greater than or equal to 0.01"),
        ("-5", "greater than or equal to 0.01"),
        ("abc", "Enter a number."),
        ("1.005", "no more than 2 decimal places"),
        ("1000000.01", "less than or equal to 1000000"),
        ("NaN", "Enter a number."),
    ],
)
@override_settings(BILLING_DEMO_GATEWAY=True)
def test_a_bad_amount_is_refused_and_nothing_is_written(
    cp_client: Client, tenant: Tenant, amount: str, error: str
) -> None:
    response = cp_client.post(TOP_UP, {"amount": amount, "method": "demo"}, headers=HTMX)
    assert response.status_code == 200  # htmx swaps the form with its errors in
    assert [t.name for t in response.templates][0] == "billing/_top_up_form.html"
    assert error in response.content.decode()
    plain = cp_client.post(TOP_UP, {"amount": amount, "method": "bank_transfer"})
    assert plain.status_code == 400 and error in plain.content.decode()
    assert not TopUpRequest.objects.exists() and not Transaction.objects.exists()
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.balance == 0


def test_an_unknown_method_is_refused(cp_client: Client) -> None:
    response = cp_client.post(TOP_UP, {"amount": "10", "method": "paypal"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not TopUpRequest.objects.exists()


@override_settings(BILLING_DEMO_GATEWAY=True)
def test_next_never_leaves_the_site(cp_client: Client) -> None:
    response = cp_client.post(TOP_UP, {"amount": "1", "method": "demo", "next": "https://evil.example/"})
    assert response["Location"] == FINANCE


def test_the_top_up_page_works_without_javascript(cp_client: Client) -> None:
    response = cp_client.get(TOP_UP, {"next": "/purchase"})
    assert response.status_code == 200
    assert 'name="next" value="/purchase"' in response.content.decode()


def test_managers_top_up_through_their_own_parent_not_the_portal(ap_client: Client) -> None:
    assert ap_client.post(TOP_UP, {"amount": "10", "method": "bank_transfer"}).status_code == 302
    assert not TopUpRequest.objects.exists()

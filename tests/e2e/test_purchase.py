"""Buying a pack in a real browser: top up with the demo card, buy the pack, see it in Your Packs and in Finance."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from billing.models import BillingMode, Country, Pack, Subscription, Transaction, TransactionType
from tests.e2e.conftest import Shots, shown
from tests.factories import PASSWORD, Tenant, make_tenant

pytestmark = pytest.mark.e2e


@pytest.fixture
def shop_tenant(live_server: Any, transactional_db: None, settings: Any) -> Tenant:
    """Owner → reseller → end user on the live server's host (no 2FA); the reseller sells an SMS pack for Spain."""
    settings.BILLING_DEMO_GATEWAY = True
    host = urlsplit(live_server.url).hostname
    assert host
    tenant = make_tenant("Shop", host)
    Pack.objects.create(
        partner=tenant.reseller,
        name="Spain 100",
        price=Decimal("10.00"),
        channel="sms",
        country=Country.objects.get(iso_code="ES"),
        billing_mode=BillingMode.BY_DELIVERED,
        message_count=100,
    )
    return tenant


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_test_id("user-menu")).to_be_visible()


def test_top_up_buy_a_pack_and_find_it_in_finance(
    page: Page, live_server: Any, shop_tenant: Tenant, shot: Shots
) -> None:
    _sign_in(page, live_server.url, shop_tenant.end_user_user.email)

    # top up with the demo card from the header
    page.get_by_role("button", name="Top Up").first.click()
    window = page.get_by_test_id("top-up-modal")
    expect(window).to_be_visible()
    shown(window)
    window.get_by_label("Amount").fill("0")
    window.get_by_label("Demo card (instant)").check()
    window.get_by_test_id("top-up-submit").click()
    expect(window.get_by_test_id("amount-error")).to_be_visible()
    shot("top-up-bad-amount")
    window.get_by_label("Amount").fill("25")
    window.get_by_test_id("top-up-submit").click()
    expect(page.get_by_text("25.00 EUR is added to your balance.")).to_be_visible()
    expect(page.get_by_test_id("balance")).to_contain_text("25.00 EUR")
    shot("topped-up")

    # buy the pack from the Purchase page
    page.get_by_role("link", name="Purchase").click()
    expect(page.get_by_role("heading", name="Purchase", exact=True)).to_be_visible()
    expect(page.get_by_test_id("your-pack")).to_have_count(0)
    tile = page.get_by_test_id("pack-tile").filter(has_text="Spain 100")
    expect(tile).to_contain_text("10.00 EUR")
    shot("catalog")
    # Buy Now opens the order in a window once htmx and Bootstrap have run (before, it opens the order's page).
    page.wait_for_load_state("load")
    tile.get_by_test_id("buy-now").click()
    shown(page.get_by_test_id("billing-modal"))
    order = page.get_by_test_id("pack-order")
    expect(order).to_be_visible()
    expect(order.get_by_test_id("order-price")).to_have_text("10.00 EUR")
    shot("order")
    order.get_by_test_id("confirm-buy").click()
    expect(page.get_by_text("Spain 100 is yours")).to_be_visible()
    mine = page.get_by_test_id("your-pack").filter(has_text="Spain 100")
    expect(mine.get_by_test_id("messages-left")).to_have_text("100 of 100 messages left")
    expect(page.get_by_test_id("balance")).to_contain_text("15.00 EUR")
    shot("your-packs")

    # the list layout is remembered
    page.get_by_test_id("view-list").click()
    expect(page.get_by_test_id("pack-row")).to_have_count(1)
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_test_id("dashboard-subscription")).to_contain_text("Spain 100")
    shot("dashboard")
    page.get_by_test_id("add-subscription").click()
    expect(page.get_by_test_id("pack-row")).to_have_count(1)

    # the purchase and the top-up are in Finance
    page.get_by_role("link", name="Finance").click()
    purchase = page.get_by_test_id("transaction-row").filter(has_text="Pack Purchase")
    expect(purchase.get_by_test_id("transaction-amount")).to_have_text("−10.00")
    expect(purchase).to_contain_text("Spain 100")
    expect(purchase).to_contain_text(shop_tenant.end_user_user.email)
    top_up = page.get_by_test_id("transaction-row").filter(has_text="Balance Top Up")
    expect(top_up.get_by_test_id("transaction-amount")).to_have_text("+25.00")
    shot("finance")
    # billing.js applies the filter on change; select_option skips the click a user makes, so Playwright cannot wait
    # for the handler as it does for a button: wait until the page's scripts have run.
    page.wait_for_load_state("load")
    page.get_by_label("Operation type").select_option(label="Pack Purchase")
    expect(page).to_have_url(re.compile(r"type=pack_purchase"))
    expect(page.get_by_test_id("transaction-row")).to_have_count(1)
    shot("finance-filtered")

    entry = Transaction.objects.get(partner=shop_tenant.end_user, type=TransactionType.PACK_PURCHASE)
    assert entry.amount == Decimal("-10.00")
    assert Subscription.objects.get(partner=shop_tenant.end_user).messages_left == 100

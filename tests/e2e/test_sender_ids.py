"""A sender ID in a real browser: the end user asks, the reseller forwards, the owner confirms, the user sees it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import FilePayload, Page, expect

from senders.models import SenderID
from tests.e2e.conftest import Shots
from tests.factories import PASSWORD, PDF_BYTES, Tenant, make_tenant

pytestmark = pytest.mark.e2e


@pytest.fixture
def sid_tenant(live_server: Any, transactional_db: None) -> Tenant:
    """Owner → reseller → end user, with a portal (no 2FA) on the live server's host."""
    host = urlsplit(live_server.url).hostname
    assert host
    return make_tenant("Sky", host)


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_test_id("user-menu")).to_be_visible()


def _sign_out(page: Page) -> None:
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("sign-out").click()
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()


def test_request_forward_confirm_and_see_it_enabled(
    page: Page, live_server: Any, sid_tenant: Tenant, shot: Shots
) -> None:
    base = live_server.url

    # the end user asks for a sender ID
    _sign_in(page, base, sid_tenant.end_user_user.email)
    page.get_by_test_id("add-sender-id").click()
    expect(page.get_by_role("heading", name="Sender IDs")).to_be_visible()
    page.get_by_test_id("request-sender").click()
    expect(page.get_by_role("heading", name="Request Sender ID")).to_be_visible()
    whatsapp = page.get_by_test_id("whatsapp-fields")
    expect(whatsapp).to_be_hidden()
    page.get_by_label("Channel").select_option("whatsapp")
    expect(whatsapp).to_be_visible()
    expect(page.get_by_label("Facebook Business Manager ID")).to_be_visible()
    shot("whatsapp-variant")
    page.get_by_label("Channel").select_option("sms")
    expect(whatsapp).to_be_hidden()
    page.get_by_label("Sender ID").fill("SkyPro")
    page.get_by_label("Comment").fill("Our trading name since 2019.")
    certificate: FilePayload = {"name": "certificate.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
    page.get_by_label("Documents").set_input_files([certificate])
    shot("request-form")
    page.get_by_role("button", name="Create").click()
    row = page.get_by_test_id("sender-row").filter(has_text="SkyPro")
    expect(row.get_by_test_id("sender-status")).to_have_text("Waiting")
    expect(row.get_by_test_id("request-status")).to_have_text("new")
    shot("requested")
    _sign_out(page)

    # the reseller forwards it up
    _sign_in(page, base, sid_tenant.reseller_user.email)
    page.get_by_role("link", name="Sender ID Events").click()
    queue_row = page.get_by_test_id("queue-row").filter(has_text="SMS: SkyPro")
    expect(queue_row).to_be_visible()
    shot("reseller-queue")
    queue_row.get_by_test_id("review").click()
    expect(page.get_by_role("link", name="certificate.pdf")).to_be_visible()
    shot("reseller-review")
    page.get_by_test_id("decision-panel").get_by_test_id("forward").click()
    expect(page.get_by_text("is forwarded to Sky Owner")).to_be_visible()
    expect(page.get_by_test_id("queue-row")).to_have_count(0)
    _sign_out(page)

    # the system owner confirms it for six months
    _sign_in(page, base, sid_tenant.owner_user.email)
    page.get_by_role("link", name="Sender ID Events").click()
    page.get_by_test_id("queue-row").filter(has_text="SMS: SkyPro").get_by_test_id("review").click()
    page.get_by_label("Validity period").select_option(label="6 months")
    shot("owner-review")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("is approved")).to_be_visible()
    shot("owner-confirmed")
    _sign_out(page)

    # the end user sees it enabled, with the steps that led there
    _sign_in(page, base, sid_tenant.end_user_user.email)
    page.get_by_role("link", name="Sender IDs").first.click()
    row = page.get_by_test_id("sender-row").filter(has_text="SkyPro")
    expect(row.get_by_test_id("sender-status")).to_have_text("Enabled")
    expect(row.get_by_test_id("request-status")).to_have_text("confirmed")
    expect(row.get_by_test_id("days-left")).to_have_text(re.compile(r"^1[89]\d$"))
    shot("enabled")
    row.get_by_role("link", name="Details").click()
    expect(page.get_by_test_id("approval-step")).to_have_count(3)
    expect(page.get_by_test_id("approval-step").nth(1)).to_contain_text("Sky Reseller")
    shot("details")
    assert SenderID.objects.get(value="SkyPro").status == SenderID.Status.ENABLED

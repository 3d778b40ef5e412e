"""The campaign wizard in a real browser: an SMS campaign to "Spain VIP" with a variable, sent now, followed to
Completed in the list; then a Viber → SMS cascade. Screenshots of every stage."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from billing import services as billing_services
from billing.models import BillingChannel, Country
from campaigns import services
from campaigns.models import Campaign
from messaging import services as messaging
from messaging.models import Message
from tenancy.models import Channel
from tests.contacts.factories import make_contact, make_group
from tests.e2e.conftest import Shots
from tests.factories import PASSWORD, Tenant, make_sender_id, make_tenant
from tests.messaging.conftest import fund, make_plan, simulator

pytestmark = pytest.mark.e2e


@pytest.fixture
def sender_tenant(live_server: Any, transactional_db: None) -> Tenant:
    host = urlsplit(live_server.url).hostname
    assert host
    tenant = make_tenant("Wiz", host)
    spain = Country.objects.get(iso_code="ES")
    for product in (BillingChannel.SMS, BillingChannel.VIBER_TRANSACTION):
        plan = make_plan(tenant.reseller, product, {(spain, None): "0.01"})
        billing_services.plan_subscribe(partner=tenant.end_user, plan=plan, by=None)
    fund(tenant.end_user, "50")
    simulator(tenant.owner)
    group = make_group(tenant.end_user, "Spain VIP")
    for index, name in enumerate(["Ana", "Luis", "Marta"]):
        make_contact(tenant.end_user, groups=[group], phone=f"3461100000{index}", first_name=name)
    make_sender_id(tenant.end_user, value="ShopSMS", channel=Channel.SMS)
    make_sender_id(tenant.end_user, value="ShopViber", channel=Channel.VIBER)
    return tenant


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_test_id("user-menu")).to_be_visible()


def _run_engine() -> None:
    """What the workers and beat do: dispatch, simulated delivery reports, the completion check."""
    for _round in range(3):
        messaging.dispatch_batch()
        messaging.deliver_simulator_events(budget=1.0)
        messaging.process_timers()
    services.campaigns_check_completed()


def test_sms_campaign_then_viber_cascade(page: Page, live_server: Any, sender_tenant: Tenant, shot: Shots) -> None:
    base = live_server.url
    _sign_in(page, base, sender_tenant.end_user_user.email)
    page.get_by_role("link", name="Create Campaign").click()

    # Setup
    page.get_by_test_id("campaign-name-input").fill("VIP greeting")
    page.get_by_label("Sender ID").first.select_option("ShopSMS")
    page.locator("#id_sms_text").fill("Hola ")
    page.locator("[data-insert='{firstname}'][data-target='id_sms_text']").click()
    expect(page.locator("[data-preview-text=sms]")).to_contain_text("Hola {firstname}")
    expect(page.locator("[data-counter-for=id_sms_text]")).to_contain_text("Parts: 1 · GSM-7")
    shot("setup")
    page.get_by_test_id("next").click()

    # Recipients
    expect(page.get_by_test_id("group-list")).to_contain_text("Spain VIP (3)")
    page.get_by_label("Spain VIP (3)").check()
    shot("recipients")
    page.get_by_test_id("next").click()

    # Complete & Send
    expect(page.get_by_test_id("estimate-recipients")).to_have_text("3")
    shot("complete-and-send")
    page.get_by_test_id("create").click()
    page.get_by_test_id("confirm").click()
    row = page.get_by_test_id("campaign-row").filter(has_text="VIP greeting")
    expect(row).to_be_visible()
    campaign = Campaign.objects.get(name="VIP greeting")
    assert set(Message.objects.filter(campaign_id=campaign.pk).values_list("text", flat=True)) == {
        "Hola Ana", "Hola Luis", "Hola Marta"
    }  # fmt: skip
    _run_engine()
    page.reload()
    expect(row.get_by_test_id("campaign-status")).to_have_text("Completed")
    shot("completed")

    # A Viber → SMS cascade
    page.get_by_test_id("new-campaign").click()
    page.get_by_label("Viber", exact=True).check()
    page.locator("#id_sms_sender").select_option("ShopSMS")
    page.locator("#id_sms_text").fill("Hi by SMS")
    page.locator("#id_viber_sender").select_option("ShopViber")
    page.locator("#id_viber_text").fill("Hi {firstname} on Viber")
    shot("cascade-setup")
    page.get_by_test_id("next").click()
    page.get_by_label("Spain VIP (3)").check()
    page.get_by_test_id("next").click()
    cascade = page.get_by_test_id("cascade")
    expect(cascade.locator("[data-channel]").first).to_have_attribute("data-channel", "viber")
    expect(cascade.locator("[data-channel]").last).to_have_attribute("data-channel", "sms")
    shot("cascade-send")
    page.get_by_test_id("create").click()
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("campaign-row").first).to_be_visible()
    cascade_campaign = Campaign.objects.exclude(pk=campaign.pk).get()
    assert cascade_campaign.channels == ["viber", "sms"]
    assert set(Message.objects.filter(campaign_id=cascade_campaign.pk).values_list("channel", flat=True)) == {"viber"}
    shot("list")

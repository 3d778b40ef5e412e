"""The campaign wizard in a real browser: an SMS campaign to "Spain VIP" with a variable, sent now, followed to
Completed in the list; then a Viber → SMS cascade. Screenshots of every stage."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from billing import services as billing_services
from billing.models import BillingChannel, Country
from campaigns import services
from campaigns.models import Campaign, MessageTemplate, Moderation
from messaging import services as messaging
from messaging.models import Message
from tenancy.models import Channel
from tests.campaigns.factories import make_template
from tests.contacts.factories import make_contact, make_group
from tests.e2e.conftest import Shots, shown
from tests.factories import PASSWORD, Tenant, make_sender_id, make_short_domain, make_tenant
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
    shown(page.locator("#confirm-launch"))
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
    shown(page.locator("#confirm-launch"))
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("campaign-row").first).to_be_visible()
    cascade_campaign = Campaign.objects.exclude(pk=campaign.pk).get()
    assert cascade_campaign.channels == ["viber", "sms"]
    assert set(Message.objects.filter(campaign_id=cascade_campaign.pk).values_list("channel", flat=True)) == {"viber"}
    shot("list")


def test_date_format_short_link_columns_and_whatsapp_header(
    page: Page, live_server: Any, sender_tenant: Tenant, shot: Shots
) -> None:
    """A birthday SMS with a date format picked from the list and a shortened link, sent to contacts with birth
    dates; the list's short URL and column settings; a WhatsApp template's media header in the preview."""
    base = live_server.url
    tenant = sender_tenant
    domain = make_short_domain(tenant.owner, partners=[tenant.reseller], name="go.example.test")
    birthdays = make_group(tenant.end_user, "Birthdays")
    make_contact(
        tenant.end_user, groups=[birthdays], phone="34611000100", first_name="Eva", birth_date=date(1990, 5, 17)
    )
    _sign_in(page, base, tenant.end_user_user.email)
    page.goto(f"{base}/campaigns/new")
    page.get_by_test_id("campaign-name-input").fill("Birthday")
    page.locator("#id_sms_sender").select_option("ShopSMS")
    expect(page.get_by_test_id("short-link-box")).to_be_hidden()
    page.locator("#id_sms_text").fill("Eva, born ")
    page.locator("[data-insert='{dateofbirth}'][data-target='id_sms_text']").click()
    expect(page.locator("#id_sms_text")).to_have_value("Eva, born {dateofbirth|DD.MM.YYYY}")
    page.get_by_test_id("date-format-id_sms_text").click()
    page.locator("[data-date-format='MM/DD'][data-target='id_sms_text']").click()
    expect(page.locator("#id_sms_text")).to_have_value("Eva, born {dateofbirth|MM/DD}")
    expect(page.get_by_test_id("date-format-id_sms_text")).to_contain_text("MM/DD")
    expect(page.locator("[data-preview-text=sms]")).to_have_text(re.compile(r"^Eva, born \d\d/\d\d$"))
    page.locator("#id_sms_text").press("End")
    page.locator("#id_sms_text").press_sequentially(" https://shop.example.com/birthday-gift-for-you")
    expect(page.get_by_test_id("short-link-box")).to_be_visible()
    page.locator("#id_short_domain").select_option("go.example.test")
    expect(page.locator("[data-preview-text=sms]")).to_contain_text("https://go.example.test/")
    expect(page.locator("[data-preview-text=sms]")).not_to_contain_text("birthday-gift")
    shot("date-format-and-short-link")
    page.get_by_test_id("next").click()
    page.get_by_label("Birthdays (1)").check()
    page.get_by_test_id("next").click()
    page.get_by_test_id("create").click()
    shown(page.locator("#confirm-launch"))
    page.get_by_test_id("confirm").click()
    row = page.get_by_test_id("campaign-row").filter(has_text="Birthday")
    expect(row).to_be_visible()  # the launch is done: the database is read after it
    link = Campaign.objects.get(name="Birthday").short_link
    assert link is not None and link.domain == domain
    expect(row.get_by_test_id("short-url")).to_have_text(link.url)
    assert list(Message.objects.filter(recipient="34611000100").values_list("text", flat=True)) == [
        f"Eva, born 05/17 {link.url}"
    ]

    # Table Settings: hide the cost and move the status first.
    page.get_by_test_id("table-settings-button").click()
    shown(page.locator("#table-settings"))
    items = page.get_by_test_id("column-item")
    page.get_by_label("Cost", exact=True).uncheck()
    items.filter(has_text="Status").locator(".drag-handle").drag_to(items.first.locator(".drag-handle"))
    shot("campaign-table-settings")
    page.get_by_test_id("save-columns").click()
    headers = page.locator("[data-testid=campaign-table] thead th[data-column]")
    expect(headers.first).to_have_attribute("data-column", "status")
    expect(page.locator("th[data-column=cost]")).to_have_count(0)

    # A WhatsApp template with a video header and a location one.
    page.goto(f"{base}/campaigns/templates/new?channel=whatsapp")
    page.locator("#id_header_type").select_option("media")
    page.locator("#id_header_url").fill("https://cdn.example.test/clips/spring%20sale.mp4")
    video = page.locator("[data-wa-header=video]")
    expect(video).to_be_visible()
    expect(video).to_contain_text("spring sale.mp4")
    page.locator("#id_header_type").select_option("location")
    page.locator("#id_header_location").fill("Gran Via 1, Madrid")
    expect(page.locator("[data-wa-header=location]")).to_contain_text("Gran Via 1, Madrid")
    expect(video).to_be_hidden()
    shot("whatsapp-header-preview")

    # In the wizard, an approved WhatsApp template shows its image header and its parameters filled in.
    make_sender_id(tenant.end_user, value="ShopWA", channel=Channel.WHATSAPP)
    template = make_template(
        tenant.end_user, name="order_ready", channel=Channel.WHATSAPP, purpose="utility", language="en",
        text="Order {{1}} is ready, {{2}}.", header_type="media", header_url="https://cdn.example.test/img/order.png",
        footer="Shop team", buttons=[{"type": "quick_reply", "text": "Thanks"}],
    )  # fmt: skip
    MessageTemplate.objects.filter(pk=template.pk).update(moderation=Moderation.APPROVED)
    page.goto(f"{base}/campaigns/new")
    page.get_by_label("SMS", exact=True).uncheck()
    page.get_by_label("WhatsApp", exact=True).check()
    page.locator("#id_whatsapp_template").select_option(str(template.pk))
    page.locator("#id_whatsapp_params").fill("A-17, ")
    page.locator("[data-insert='{firstname}'][data-target='id_whatsapp_params']").click()
    preview = page.locator("[data-preview=whatsapp]")
    expect(preview.locator("[data-preview-text=whatsapp]")).to_have_text("Order A-17 is ready, {firstname}.")
    image = preview.locator("[data-wa-header=image]")
    expect(image).to_have_attribute("src", "https://cdn.example.test/img/order.png")
    expect(image).not_to_have_attribute("hidden", "")
    expect(preview.locator("[data-preview-footer=whatsapp]")).to_have_text("Shop team")
    expect(preview.locator("[data-preview-buttons=whatsapp]")).to_have_text("Thanks")
    shot("whatsapp-wizard-preview")

"""CP pages: list with actions per status, details, the wizard stages, campaign from file and templates."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign, MessageTemplate, Moderation, campaign_actions
from contacts.models import ContactField
from messaging.models import Message
from tenancy.models import Channel
from tests.campaigns.conftest import World, draft, sms_step
from tests.campaigns.factories import make_template
from tests.conftest import signed_in
from tests.contacts.factories import csv_upload, make_contact_field
from tests.factories import make_user


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_menu_and_dashboard_point_at_the_campaign_pages(cp_client: Client) -> None:
    dashboard = page(cp_client, "/dashboard")
    assert 'href="/campaigns/new"' in dashboard and 'href="/campaigns/from-file"' in dashboard
    assert 'href="/campaigns"' in dashboard


def test_wizard_creates_and_launches_a_campaign(
    world: World, cp_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    setup = page(cp_client, "/campaigns/new")
    assert "Campaign " in setup and "{firstname}" in setup
    response = cp_client.post(
        "/campaigns/new",
        {"name": "Spring sale", "channels": ["sms"], "sms_sender": "Shop", "sms_text": "Hi {first_name}",
         "placeholders": "keep"},
    )  # fmt: skip
    campaign = Campaign.objects.get(name="Spring sale")
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.pk}/recipients"
    # Complete & Send is not reachable before the recipients are chosen.
    assert cp_client.get(f"/campaigns/{campaign.pk}/send")["Location"] == f"/campaigns/{campaign.pk}/recipients"
    recipients = page(cp_client, f"/campaigns/{campaign.pk}/recipients")
    assert "VIP (3)" in recipients
    response = cp_client.post(f"/campaigns/{campaign.pk}/recipients", {"source": "groups", "groups": [world.group.pk]})
    assert response["Location"] == f"/campaigns/{campaign.pk}/send"
    send = page(cp_client, f"/campaigns/{campaign.pk}/send")
    assert 'data-testid="estimate-recipients">3<' in send
    with django_capture_on_commit_callbacks(execute=True):
        response = cp_client.post(
            f"/campaigns/{campaign.pk}/send", {"when": "now", "time_zone": "UTC", "launch": "1", "order": "sms"}
        )
    assert response.status_code == 302 and response["Location"] == "/campaigns"
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.IN_PROGRESS
    assert Message.objects.filter(campaign_id=campaign.pk).count() == 3
    listing = page(cp_client, "/campaigns")
    assert "Spring sale" in listing and "In progress" in listing


def test_setup_requires_text_and_sender(world: World, cp_client: Client) -> None:
    response = cp_client.post("/campaigns/new", {"channels": ["sms"], "placeholders": "keep"})
    assert response.status_code == 200
    assert "Write the message text." in response.content.decode() and not Campaign.objects.exists()


def test_recipients_take_one_source_and_manual_numbers(world: World, cp_client: Client) -> None:
    campaign = draft(world, source="")
    response = cp_client.post(f"/campaigns/{campaign.pk}/recipients", {"source": "groups"})
    assert "Choose at least one group." in response.content.decode()
    cp_client.post(
        f"/campaigns/{campaign.pk}/recipients",
        {"source": "manual", "manual_numbers": "34600000001\n34600000001, 34600000009", "stay": "1"},
    )
    campaign.refresh_from_db()
    assert campaign.source == "manual"
    body = page(cp_client, f"/campaigns/{campaign.pk}/recipients")
    assert "Total: 2 · invalid: 0 · duplicates: 1" in body


def test_schedule_in_the_past_is_refused(world: World, cp_client: Client) -> None:
    campaign = draft(world)
    past = timezone.now() - timedelta(days=1)
    response = cp_client.post(
        f"/campaigns/{campaign.pk}/send",
        {"when": "schedule", "date": past.date().isoformat(), "time": "10:00", "time_zone": "UTC", "launch": "1"},
    )
    assert response.status_code == 200 and "The scheduled time is in the past." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_schedule_converts_the_time_zone_to_utc(world: World, cp_client: Client) -> None:
    campaign = draft(world)
    day = (timezone.now() + timedelta(days=2)).date()
    cp_client.post(
        f"/campaigns/{campaign.pk}/send",
        {"when": "schedule", "date": day.isoformat(), "time": "17:40", "time_zone": "Europe/Madrid", "launch": "1"},
    )
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED and campaign.time_zone == "Europe/Madrid"
    assert campaign.send_at is not None and campaign.send_at.hour in (15, 16)


def test_cascade_order_keeps_sms_last_and_sets_ttls(world: World, cp_client: Client) -> None:
    campaign = draft(world, steps=[sms_step(), {"channel": "viber", "sender": "V", "text": "Hi", "ttl": 60}])
    assert campaign.channels == ["viber", "sms"]
    cp_client.post(
        f"/campaigns/{campaign.pk}/send", {"when": "now", "time_zone": "UTC", "order": "sms,viber", "ttl_viber": "30"}
    )
    campaign.refresh_from_db()
    assert campaign.channels == ["viber", "sms"] and campaign.steps[0]["ttl"] == 1800


@pytest.mark.parametrize(
    ("status", "actions"),
    [
        ("waiting", {"details", "cancel", "delete"}),
        ("scheduled", {"details", "start", "cancel", "delete"}),
        ("in_progress", {"details", "pause"}),
        ("paused", {"details", "resume", "cancel", "delete"}),
        ("completed", {"details", "repeat", "delete"}),
        ("failed", {"details", "repeat", "delete"}),
        ("canceled", {"details", "repeat", "delete"}),
    ],
)
def test_action_availability(status: str, actions: set[str]) -> None:
    assert set(campaign_actions(Campaign(status=status))) == actions


def test_list_actions_and_details(world: World, cp_client: Client, django_capture_on_commit_callbacks: Any) -> None:
    campaign = draft(world, name="Weekly", send_at=timezone.now() + timedelta(days=1))
    services.campaign_launch(campaign=campaign, by=None)
    listing = page(cp_client, "/campaigns")
    assert 'data-testid="action-start"' in listing and 'data-testid="action-pause"' not in listing
    details = page(cp_client, f"/campaigns/{campaign.pk}/")
    assert "Preliminary analytics" in details
    with django_capture_on_commit_callbacks(execute=True):
        cp_client.post(f"/campaigns/{campaign.pk}/start")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.IN_PROGRESS
    cp_client.post(f"/campaigns/{campaign.pk}/delete")  # not offered while running
    campaign.refresh_from_db()
    assert not campaign.is_deleted
    cp_client.post(f"/campaigns/{campaign.pk}/pause")
    response = cp_client.post(f"/campaigns/{campaign.pk}/cancel")
    assert response.status_code == 302
    response = cp_client.post(f"/campaigns/{campaign.pk}/repeat")
    copy = Campaign.objects.exclude(pk=campaign.pk).get()
    assert response["Location"] == f"/campaigns/{copy.pk}/setup" and copy.status == Campaign.Status.DRAFT
    details = page(cp_client, f"/campaigns/{campaign.pk}/")
    assert "Messages by status" in details


def test_declined_campaign_shows_the_reason(world: World, cp_client: Client) -> None:
    campaign = draft(world)
    Campaign.objects.filter(pk=campaign.pk).update(
        status="canceled", moderation=Moderation.DECLINED, decline_reason="Not allowed"
    )
    details = page(cp_client, f"/campaigns/{campaign.pk}/")
    assert "Reason for Decline" in details and "Not allowed" in details


def test_campaign_from_file(world: World, cp_client: Client, django_capture_on_commit_callbacks: Any) -> None:
    form = page(cp_client, "/campaigns/from-file")
    assert "WhatsApp" not in form.split('name="channel"')[1].split("</select>")[0]
    upload = csv_upload([["Phone", "Message"], ["34600000001", "Hello one"], ["34600000002", "Hello two"],
                         ["34600000002", "again"], ["bad", "x"]])  # fmt: skip
    response = cp_client.post(
        "/campaigns/from-file", {"name": "File run", "channel": "sms", "sender": "sms:Shop", "file": upload}
    )
    campaign = Campaign.objects.get(name="File run")
    assert response["Location"] == f"/campaigns/{campaign.pk}/from-file"
    assert campaign.file_mapping == ["phone", "text"]
    body = page(cp_client, f"/campaigns/{campaign.pk}/from-file")
    assert "Hello one" in body and 'data-testid="file-details"' in body
    bad = cp_client.post(f"/campaigns/{campaign.pk}/from-file", {"column_0": "text", "column_1": "text",
                                                                 "when": "now", "time_zone": "UTC"})  # fmt: skip
    assert "Choose the column with the destination number." in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = cp_client.post(
            f"/campaigns/{campaign.pk}/from-file",
            {"column_0": "phone", "column_1": "text", "when": "now", "time_zone": "UTC", "launch": "1"},
        )
    assert response["Location"] == "/campaigns"
    texts = dict(Message.objects.filter(campaign_id=campaign.pk).values_list("recipient", "text"))
    assert texts == {"34600000001": "Hello one", "34600000002": "Hello two"}


def test_sample_files(world: World, cp_client: Client) -> None:
    response = cp_client.get("/campaigns/sample/sms.csv")
    assert response.status_code == 200 and b"phone" in response.content
    assert cp_client.get("/campaigns/sample/other.csv").status_code == 404


def test_templates_pages(world: World, cp_client: Client) -> None:
    assert "No templates yet." in page(cp_client, "/campaigns/templates/")
    response = cp_client.post(
        "/campaigns/templates/new?channel=sms",
        {"channel": "sms", "name": "Welcome", "sender": world.sender.pk, "text": "Welcome {first_name}"},
    )
    assert response.status_code == 302
    template = MessageTemplate.objects.get(name="Welcome")
    assert template.moderation == Moderation.NOT_REQUIRED
    tiles = page(cp_client, "/campaigns/templates/?channel=sms")
    assert "Welcome" in tiles and f"/campaigns/new?template={template.pk}" in tiles
    setup = page(cp_client, f"/campaigns/new?template={template.pk}")
    assert "Welcome {first_name}" in setup
    duplicate = cp_client.post("/campaigns/templates/new", {"channel": "sms", "name": "welcome", "text": "x"})
    assert "already have a template" in duplicate.content.decode()
    wa = cp_client.post(
        "/campaigns/templates/new",
        {"channel": "whatsapp", "name": "order", "text": "Order {{1}}", "purpose": "utility", "language": "en",
         "button_type": ["url", ""], "button_text": ["Track", ""], "button_value": ["https://x.test", ""]},
    )  # fmt: skip
    assert wa.status_code == 302
    order = MessageTemplate.objects.get(name="order")
    assert order.moderation == Moderation.PENDING and order.buttons == [
        {"type": "url", "text": "Track", "value": "https://x.test"}
    ]
    setup = page(cp_client, "/campaigns/new")
    assert f'value="{order.pk}"' not in setup  # only approved templates are offered
    cp_client.post(f"/campaigns/templates/{template.pk}/delete")
    assert not MessageTemplate.objects.filter(pk=template.pk).exists()


def test_rename_keeps_the_stage(world: World, cp_client: Client) -> None:
    campaign = draft(world)
    response = cp_client.post(f"/campaigns/{campaign.pk}/rename", {"name": "New name", "stage": "recipients"})
    assert response["Location"] == f"/campaigns/{campaign.pk}/recipients"
    campaign.refresh_from_db()
    assert campaign.name == "New name"


def test_list_page_query_count(world: World, cp_client: Client, django_assert_max_num_queries: Any) -> None:
    for index in range(5):
        campaign = draft(world, name=f"C{index}", send_at=timezone.now() + timedelta(days=1))
        services.campaign_launch(campaign=campaign, by=None)
    with django_assert_max_num_queries(20):
        page(cp_client, "/campaigns")


def test_channel_constants() -> None:
    assert Channel.SMS == "sms"


def test_list_columns_follow_the_table_settings(world: World, cp_client: Client) -> None:
    campaign = draft(world, name="Columns")
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.COMPLETED)
    listing = page(cp_client, "/campaigns")
    assert 'data-testid="table-settings-button"' in listing
    default = re.findall(r'<th scope="col"[^>]* data-column="(\w+)"', listing)
    assert default == ["name", "updated", "template", "status", "progress", "short_url", "recipients", "cost"]
    order = ["cost", "status", "name", "updated", "template", "progress", "short_url", "recipients"]
    response = cp_client.post(
        "/contacts/table-settings",
        {"table": "campaigns", "column": order, "visible": ["cost", "status"], "next": "/campaigns"},
    )
    assert response["Location"] == "/campaigns"
    listing = page(cp_client, "/campaigns")
    # The campaign name cannot be hidden; the rest follows the user's choice and order.
    assert re.findall(r'<th scope="col"[^>]* data-column="(\w+)"', listing) == ["cost", "status", "name"]
    assert "Short URL" not in listing.split('id="table-settings"')[0]
    other = signed_in(make_user(world.tenant.end_user))
    assert len(re.findall(r'<th scope="col"[^>]* data-column=', page(other, "/campaigns"))) == 8


def test_date_format_markers_are_checked(world: World, cp_client: Client) -> None:
    make_contact_field(world.tenant.end_user, name="Renewal", data_type=ContactField.DataType.DATE)
    setup = page(cp_client, "/campaigns/new")
    assert 'data-testid="date-format-id_sms_text"' in setup and 'data-date-format="MM/DD/YYYY"' in setup
    assert 'data-insert="{renewal}" data-target="id_sms_text" title="Renewal" data-date-variable' in setup
    data = {"channels": ["sms"], "sms_sender": "Shop", "placeholders": "keep"}
    for text, error in [
        ("Born {dateofbirth|DD.MM.YYYYY}", "“DD.MM.YYYYY” is not a date format; choose one from the Date format list."),
        ("Hi {first_name|DD.MM.YYYY}", "{first_name} is not a date, so it cannot have a date format."),
    ]:
        response = cp_client.post("/campaigns/new", {**data, "sms_text": text})
        assert response.status_code == 200 and error in response.content.decode()
    assert not Campaign.objects.exists()
    response = cp_client.post("/campaigns/new", {**data, "sms_text": "Renew by {renewal|DD/MM} {dateofbirth|YY}"})
    assert response.status_code == 200  # "YY" alone is not in the list
    response = cp_client.post("/campaigns/new", {**data, "sms_text": "Renew by {renewal|DD/MM}, {dateofbirth|DD.MM}"})
    assert response.status_code == 302
    template = cp_client.post(
        "/campaigns/templates/new", {"channel": "sms", "name": "Dates", "text": "On {renewal|YYYY.MM.DDD}"}
    )
    assert "is not a date format" in template.content.decode() and not MessageTemplate.objects.exists()


def test_whatsapp_header_reaches_the_previews(world: World, cp_client: Client) -> None:
    template = make_template(
        world.tenant.end_user, name="promo", channel=Channel.WHATSAPP, purpose="marketing", language="en",
        header_type="media", header_url="https://cdn.example.test/clips/promo.mp4", footer="Shop team",
        buttons=[{"type": "url", "text": "Open", "value": "https://shop.example.test"}],
    )  # fmt: skip
    MessageTemplate.objects.filter(pk=template.pk).update(moderation=Moderation.APPROVED)
    setup = page(cp_client, "/campaigns/new")
    data = json.loads(re.search(r'<script id="template-data" type="application/json">(.*?)</script>', setup)[1])  # type: ignore[index]
    assert data[str(template.pk)] | {"text": ""} == data[str(template.pk)] | {
        "header_type": "media", "header_url": "https://cdn.example.test/clips/promo.mp4", "header_location": "",
        "footer": "Shop team", "buttons": ["Open"], "text": "",
    }  # fmt: skip
    for html in (setup, page(cp_client, f"/campaigns/templates/{template.pk}/")):
        assert 'data-preview-header="whatsapp"' in html and 'data-wa-header="location"' in html

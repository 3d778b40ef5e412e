"""Date format markers and the short link in campaign texts: rendering, the estimate, launch and expansion."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from campaigns import services, shortlinks
from campaigns.models import Campaign
from campaigns.placeholders import DATE_FORMATS, marker_errors
from contacts.models import Contact, ContactField
from messaging.models import Message
from shortener.models import ShortLink
from tests.campaigns.conftest import World, draft, sms_step
from tests.contacts.factories import make_contact_field
from tests.factories import make_short_domain

BIRTHDAY = {"dateofbirth": "1990-05-07", "firstname": "Ana"}


SHOWN = [
    ("DD.MM.YYYY", "07.05.1990"),
    ("DD/MM/YYYY", "07/05/1990"),
    ("DD-MM-YYYY", "07-05-1990"),
    ("MM/DD/YYYY", "05/07/1990"),
    ("YYYY-MM-DD", "1990-05-07"),
    ("YYYY.MM.DD", "1990.05.07"),
    ("DD.MM.YY", "07.05.90"),
    ("DD.MM", "07.05"),
    ("DD/MM", "07/05"),
    ("MM/DD", "05/07"),
]


@pytest.mark.parametrize(("marker", "shown"), SHOWN)
def test_each_date_format_renders(marker: str, shown: str) -> None:
    text = f"{{first_name}}, born {{dateofbirth|{marker}}}; also {{birth_date|{marker}}}"
    assert services.render(text, BIRTHDAY, Campaign.Placeholders.KEEP) == f"Ana, born {shown}; also {shown}"


def test_every_format_of_the_list_is_tested() -> None:
    assert [marker for marker, _shown in SHOWN] == list(DATE_FORMATS)


def test_dates_without_a_marker_or_values_that_are_not_dates_stay_as_they_are() -> None:
    values = {**BIRTHDAY, "code": "A-17"}
    assert services.render("{dateofbirth}", values, Campaign.Placeholders.KEEP) == "1990-05-07"
    assert services.render("{code|DD.MM.YYYY}", values, Campaign.Placeholders.KEEP) == "A-17"


@pytest.mark.parametrize(
    ("mode", "result"),
    [
        (Campaign.Placeholders.KEEP, "Born {dateofbirth|DD.MM}"),
        (Campaign.Placeholders.STRIP, "Born "),
    ],
)
def test_a_missing_date_follows_the_placeholder_mode(mode: str, result: str) -> None:
    assert services.render("Born {dateofbirth|DD.MM}", {"firstname": "Ana"}, mode) == result


def test_a_missing_date_skips_the_recipient_in_reject_mode() -> None:
    with pytest.raises(services.MissingValue):
        services.render("Born {dateofbirth|DD.MM}", {}, Campaign.Placeholders.REJECT)


def test_a_marked_date_counts_as_one_variable_in_the_estimate() -> None:
    assert services.estimate_text("Hi {dateofbirth|DD.MM.YYYY}!") == "Hi xxxxxxxxxx!"
    assert services.estimate_parts("sms", "{dateofbirth|DD.MM.YYYY}" * 16) == 1


def test_marker_errors() -> None:
    dates = {"dateofbirth", "renewal"}
    assert marker_errors("{dateofbirth|DD.MM} {renewal|YYYY-MM-DD} {first_name}", dates) == []
    assert len(marker_errors("{renewal|DD.MM.YYYYY} {first_name|DD.MM}", dates)) == 2


def test_expansion_sends_contact_dates_in_the_chosen_format(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    field = make_contact_field(world.tenant.end_user, name="Renewal", data_type=ContactField.DataType.DATE)
    ana = Contact.objects.get(first_name="Ana")
    ana.birth_date = date(1990, 5, 7)
    ana.custom_values = {field.variable: "2026-12-31"}
    ana.save()
    text = "{first_name}: born {dateofbirth|DD/MM}, renew by {renewal|DD.MM.YYYY}"
    campaign = draft(world, steps=[sms_step(text)], placeholders=Campaign.Placeholders.REJECT)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_launch(campaign=campaign, by=None)
    assert list(Message.objects.filter(campaign_id=campaign.pk).values_list("text", flat=True)) == [
        "Ana: born 07/05, renew by 31.12.2026"
    ]


def test_launch_sends_the_short_link_in_every_channel(world: World, django_capture_on_commit_callbacks: Any) -> None:
    domain = make_short_domain(world.tenant.owner, partners=[world.tenant.end_user], name="go.example.test")
    original = "https://shop.example.com/spring/" + "x" * 140
    campaign = draft(world, steps=[sms_step(f"Hello {{first_name}}: {original}")])
    assert services.campaign_estimate(campaign).parts == 2
    shortlinks.campaign_set_short_link(campaign=campaign, domain=domain, by=None)
    link = campaign.short_link
    assert link is not None and link.original_url == original
    assert services.campaign_estimate(campaign).parts == 1  # the short link is what is sent and counted
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_launch(campaign=campaign, by=None)
    texts = set(Message.objects.filter(campaign_id=campaign.pk).values_list("text", flat=True))
    assert texts == {f"Hello Ana: {link.url}", f"Hello Luis: {link.url}", f"Hello {{first_name}}: {link.url}"}
    campaign.refresh_from_db()
    assert campaign.steps[0]["text"] == f"Hello {{first_name}}: {original}"  # kept for editing

    copy = services.campaign_copy(campaign=campaign, by=None)
    assert copy.short_link is not None and copy.short_link != link
    assert (copy.short_link.domain, copy.short_link.original_url) == (domain, link.original_url)
    assert ShortLink.objects.count() == 2


def test_launch_refuses_a_short_domain_taken_away(world: World) -> None:
    domain = make_short_domain(world.tenant.owner, partners=[world.tenant.end_user], name="go.example.test")
    campaign = draft(world, steps=[sms_step("See https://shop.example.com/spring")])
    shortlinks.campaign_set_short_link(campaign=campaign, domain=domain, by=None)
    domain.partners.clear()
    with pytest.raises(ValidationError) as error:
        services.campaign_launch(campaign=campaign, by=None)
    assert error.value.code == "short_domain"
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert services.campaign_copy(campaign=campaign, by=None).short_link is None


@pytest.mark.parametrize(
    ("action", "sentence"),
    [
        ("pause", "Only a campaign in progress can be paused."),
        ("resume", "Only a paused campaign can be resumed."),
        ("cancel", "Only a waiting, scheduled or paused campaign can be canceled."),
        ("start", "Only a scheduled campaign can be started now."),
    ],
)
def test_refused_actions_say_so_in_a_whole_sentence(world: World, action: str, sentence: str) -> None:
    campaign = draft(world)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.COMPLETED)
    campaign.refresh_from_db()
    service = {
        "pause": services.campaign_pause,
        "resume": services.campaign_resume,
        "cancel": services.campaign_cancel,
        "start": services.campaign_start_now,
    }[action]
    with pytest.raises(ValidationError) as error:
        service(campaign=campaign, by=None)
    assert error.value.messages == [sentence]


def test_a_running_campaign_cannot_be_deleted(world: World) -> None:
    campaign = draft(world)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.IN_PROGRESS)
    campaign.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        services.campaign_delete(campaign=campaign, by=None)
    assert error.value.messages == ["A campaign in progress cannot be deleted; pause it first."]

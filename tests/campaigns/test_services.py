"""Campaign lifecycle: launch validation, expansion into messages, scheduling, premoderation, controls, completion."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign, MessageTemplate, Moderation
from contacts import services as contact_services
from contacts.models import Contact
from messaging import services as messaging
from messaging.models import Message
from tenancy import approvals
from tenancy.models import Channel
from tests.campaigns.conftest import World, draft, sms_step


def launch(campaign: Campaign, world: World, capture: Any) -> Campaign:
    with capture(execute=True):
        services.campaign_launch(campaign=campaign, by=world.tenant.end_user_user)
    campaign.refresh_from_db()
    return campaign


def test_launch_now_expands_recipients_with_variables(world: World, django_capture_on_commit_callbacks: Any) -> None:
    campaign = launch(draft(world, placeholders=Campaign.Placeholders.STRIP), world, django_capture_on_commit_callbacks)
    assert campaign.status == Campaign.Status.IN_PROGRESS
    assert campaign.expanded is False or campaign.messages_written == 3
    texts = dict(Message.objects.filter(campaign_id=campaign.pk).values_list("recipient", "text"))
    assert texts == {"34600000001": "Hello Ana!", "34600000002": "Hello Luis!", "34600000003": "Hello !"}
    assert set(Message.objects.values_list("sender", "label")) == {("Shop", campaign.name[:100])}


def test_placeholder_modes_keep_and_reject(world: World, django_capture_on_commit_callbacks: Any) -> None:
    keep = launch(draft(world), world, django_capture_on_commit_callbacks)
    assert Message.objects.get(campaign_id=keep.pk, recipient="34600000003").text == "Hello {first_name}!"
    reject = launch(draft(world, placeholders=Campaign.Placeholders.REJECT), world, django_capture_on_commit_callbacks)
    assert Message.objects.filter(campaign_id=reject.pk).count() == 2
    assert reject.skipped_placeholders == 1


def test_stop_list_and_duplicates_are_dropped(world: World, django_capture_on_commit_callbacks: Any) -> None:
    blocked = Contact.objects.get(phone="34600000002")
    contact_services.stop_list_block(
        partner=world.tenant.end_user,
        contacts=Contact.objects.filter(pk=blocked.pk),
        sender_ids=[world.sender],
        by=None,
    )
    campaign = launch(
        draft(
            world,
            source=Campaign.Source.MANUAL,
            manual_numbers="34600000001, +34 600 000 001\n34600000002\n34600000004\nnot-a-number",
        ),
        world,
        django_capture_on_commit_callbacks,
    )
    recipients = set(Message.objects.filter(campaign_id=campaign.pk).values_list("recipient", flat=True))
    assert recipients == {"34600000001", "34600000004"}
    assert (campaign.skipped_duplicates, campaign.skipped_stop_list, campaign.skipped_invalid) == (1, 1, 1)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"steps": []}, "no_channels"),
        ({"steps": [sms_step(sender="Nobody")]}, "sender_not_enabled"),
        ({"steps": [sms_step(text="  ")]}, "empty_text"),
        ({"source": Campaign.Source.MANUAL, "manual_numbers": ""}, "no_recipients"),
        ({"source": Campaign.Source.MANUAL, "manual_numbers": "4915112345678"}, "no_tariff"),
        ({"steps": [{"channel": Channel.VIBER, "sender": "Shop", "text": "Hi"}, sms_step()]}, "ttl"),
    ],
)
def test_launch_refuses_what_cannot_be_sent(world: World, fields: dict[str, Any], code: str) -> None:
    campaign = draft(world, **fields)
    with pytest.raises(ValidationError) as error:
        services.campaign_launch(campaign=campaign, by=None)
    codes = {e.code for e in error.value.error_list} if hasattr(error.value, "error_list") else {error.value.code}
    assert code in codes or error.value.code == code
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_launch_refuses_when_balance_is_short(world: World) -> None:
    partner = world.tenant.end_user
    partner.balance = partner.balance.__class__("0.01")
    partner.save(update_fields=["balance"])
    with pytest.raises(ValidationError) as error:
        services.campaign_launch(campaign=draft(world), by=None)
    assert error.value.code == "insufficient_funds"


def test_launch_refuses_past_schedule_and_unapproved_template(world: World) -> None:
    past = draft(world, send_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(ValidationError):
        services.campaign_launch(campaign=past, by=None)
    template = MessageTemplate(partner=world.tenant.end_user, name="Promo", channel=Channel.SMS, text="Hi")
    world.tenant.end_user.premoderate_templates = True
    world.tenant.end_user.save(update_fields=["premoderate_templates"])
    services.template_save(template=template, by=world.tenant.end_user_user)
    assert template.moderation == Moderation.PENDING
    campaign = draft(world, steps=[sms_step(template_id=template.pk)])
    with pytest.raises(ValidationError) as error:
        services.campaign_launch(campaign=campaign, by=None)
    assert error.value.code == "template_pending"


def test_cascade_steps_put_sms_last() -> None:
    steps = services.order_steps([{"channel": "sms"}, {"channel": "viber"}, {"channel": "whatsapp"}])
    assert [step["channel"] for step in steps] == ["viber", "whatsapp", "sms"]


def test_scheduled_campaign_starts_when_due(world: World, django_capture_on_commit_callbacks: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        campaign = launch(draft(world, send_at=start + timedelta(hours=2)), world, django_capture_on_commit_callbacks)
        assert campaign.status == Campaign.Status.SCHEDULED
        assert services.campaigns_start_due() == 0
    with time_machine.travel(start + timedelta(hours=2, seconds=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.campaigns_start_due() == 1
            assert services.campaigns_start_due() == 0
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.IN_PROGRESS
    assert Message.objects.filter(campaign_id=campaign.pk).count() == 3


def _premoderated(world: World) -> None:
    world.tenant.end_user.premoderate_campaigns = True
    world.tenant.end_user.save(update_fields=["premoderate_campaigns"])


def test_premoderation_approve_starts_the_campaign(world: World, django_capture_on_commit_callbacks: Any) -> None:
    _premoderated(world)
    campaign = launch(draft(world), world, django_capture_on_commit_callbacks)
    assert (campaign.status, campaign.moderation) == (Campaign.Status.WAITING, Moderation.PENDING)
    assert campaign.approval is not None and campaign.approval.current_partner == world.tenant.reseller
    with django_capture_on_commit_callbacks(execute=True):
        approvals.approval_approve(approval=campaign.approval, by=world.tenant.reseller_user)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.moderation) == (Campaign.Status.IN_PROGRESS, Moderation.APPROVED)
    assert Message.objects.filter(campaign_id=campaign.pk).count() == 3


def test_premoderation_decline_cancels_with_reason(world: World, django_capture_on_commit_callbacks: Any) -> None:
    _premoderated(world)
    campaign = launch(draft(world, notify_emails="ops@example.test"), world, django_capture_on_commit_callbacks)
    assert campaign.approval is not None
    with django_capture_on_commit_callbacks(execute=True):
        approvals.approval_decline(approval=campaign.approval, by=world.tenant.reseller_user, reason="No promo texts")
    campaign.refresh_from_db()
    assert (campaign.status, campaign.moderation, campaign.decline_reason) == (
        Campaign.Status.CANCELED,
        Moderation.DECLINED,
        "No promo texts",
    )
    assert [message.to for message in mail.outbox] == [["ops@example.test"], ["ops@example.test"]]
    assert "Canceled" in mail.outbox[-1].subject


def test_template_premoderation(world: World) -> None:
    template = MessageTemplate(
        partner=world.tenant.end_user, name="Order", channel=Channel.WHATSAPP, text="Order {1}", purpose="utility",
        language="en",
    )  # fmt: skip
    services.template_save(template=template, by=world.tenant.end_user_user)
    assert template.moderation == Moderation.PENDING  # WhatsApp templates always need approval
    assert not services.usable_templates(partner=world.tenant.end_user).exists()
    assert template.approval is not None
    approvals.approval_decline(approval=template.approval, by=world.tenant.reseller_user, reason="Wrong category")
    template.refresh_from_db()
    assert (template.moderation, template.decline_reason) == (Moderation.DECLINED, "Wrong category")
    services.template_save(template=template, by=world.tenant.end_user_user)
    assert template.approval is not None
    approvals.approval_approve(approval=template.approval, by=world.tenant.reseller_user)
    assert list(services.usable_templates(partner=world.tenant.end_user)) == [template]


def test_template_names_are_unique_per_channel(world: World) -> None:
    partner = world.tenant.end_user
    services.template_save(template=MessageTemplate(partner=partner, name="A", channel="sms", text="x"), by=None)
    with pytest.raises(ValidationError):
        services.template_save(template=MessageTemplate(partner=partner, name="a", channel="sms", text="y"), by=None)
    services.template_save(template=MessageTemplate(partner=partner, name="A", channel="viber", text="x"), by=None)


def test_pause_resume_cancel_and_delete_rules(world: World, django_capture_on_commit_callbacks: Any) -> None:
    campaign = launch(draft(world), world, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError):
        services.campaign_delete(campaign=campaign, by=None)  # running
    with pytest.raises(ValidationError):
        services.campaign_cancel(campaign=campaign, by=None)  # only paused / scheduled / waiting
    services.campaign_pause(campaign=campaign, by=None)
    assert campaign.status == Campaign.Status.PAUSED
    assert Message.objects.filter(campaign_id=campaign.pk, due_at__isnull=True).count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_resume(campaign=campaign, by=None)
    assert campaign.status == Campaign.Status.IN_PROGRESS
    services.campaign_pause(campaign=campaign, by=None)
    services.campaign_cancel(campaign=campaign, by=None)
    assert campaign.status == Campaign.Status.CANCELED
    assert set(Message.objects.filter(campaign_id=campaign.pk).values_list("status", flat=True)) == {"failed"}
    services.campaign_delete(campaign=campaign, by=None)
    assert not Campaign.objects.live().filter(pk=campaign.pk).exists()


def test_campaign_completes_when_every_message_is_final(world: World, django_capture_on_commit_callbacks: Any) -> None:
    campaign = launch(draft(world, notify_emails="a@example.test"), world, django_capture_on_commit_callbacks)
    assert services.campaigns_check_completed() == 0
    messaging.dispatch_batch()
    messaging.deliver_simulator_events(budget=1.0)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.campaigns_check_completed() == 1
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.COMPLETED
    assert services.messaging_counters(campaign)["delivered_messages"] == 3
    assert "Completed" in mail.outbox[-1].subject


def test_copy_makes_a_draft_with_the_same_parameters(world: World, django_capture_on_commit_callbacks: Any) -> None:
    campaign = launch(draft(world), world, django_capture_on_commit_callbacks)
    copy = services.campaign_copy(campaign=campaign, by=None)
    assert copy.status == Campaign.Status.DRAFT and copy.steps == campaign.steps
    assert list(copy.groups.all()) == [world.group]


def test_estimate_counts_destinations_and_cost(world: World) -> None:
    estimate = services.campaign_estimate(draft(world))
    assert (estimate.recipients, estimate.from_plan, estimate.uncovered) == (3, 3, 0)
    assert estimate.cost == Decimal("0.03")
    assert services.estimate_parts("sms", "{first_name}" * 16) == 1
    assert services.estimate_parts("sms", "{first_name}" * 17) == 2


def test_a_group_of_a_running_campaign_cannot_be_deleted(world: World) -> None:
    from contacts.services.groups import group_in_use

    assert group_in_use(world.group) == []
    services.campaign_launch(campaign=draft(world, name="Weekly", send_at=timezone.now() + timedelta(days=1)), by=None)
    assert group_in_use(world.group) == ["Campaigns still send to this group: Weekly."]


def test_text_without_variables_is_shared_and_still_respects_the_stop_list(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    blocked = Contact.objects.get(phone="34600000002")
    contact_services.stop_list_block(
        partner=world.tenant.end_user, contacts=Contact.objects.filter(pk=blocked.pk), sender_ids=None, by=None
    )
    campaign = launch(draft(world, steps=[sms_step(text="Sale today")]), world, django_capture_on_commit_callbacks)
    rows = set(Message.objects.filter(campaign_id=campaign.pk).values_list("recipient", "text"))
    assert rows == {("34600000001", "Sale today"), ("34600000003", "Sale today")}

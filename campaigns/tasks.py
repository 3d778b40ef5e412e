"""Celery tasks of campaigns: thin and idempotent (every state change in the services is conditional)."""

from __future__ import annotations

import zoneinfo

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from campaigns import expansion, services
from campaigns.models import Campaign


@shared_task(acks_late=True, ignore_result=True)
def expand_recipients(campaign_id: int) -> None:
    if expansion.campaign_expand(campaign_id=campaign_id):
        expand_recipients.delay(campaign_id)  # more remains: go on in a fresh task


@shared_task(acks_late=True, ignore_result=True)
def start_due_campaigns() -> int:
    """The durable sweeper: due scheduled campaigns start, stalled expansions go on, finished ones complete."""
    started = services.campaigns_start_due()
    for campaign_id in services.campaigns_stalled():
        expand_recipients.delay(campaign_id)
    services.campaigns_check_completed()
    return started


@shared_task(acks_late=True, ignore_result=True)
def check_completed() -> int:
    return services.campaigns_check_completed()


@shared_task(acks_late=True, ignore_result=True)
def notify_status(campaign_id: int, status: str) -> None:
    campaign = Campaign.objects.select_related("created_by").filter(pk=campaign_id).first()
    if campaign is None or not campaign.notify_list:
        return
    language = campaign.created_by.language if campaign.created_by else settings.LANGUAGE_CODE
    zone = zoneinfo.ZoneInfo(campaign.time_zone or "UTC")
    with translation.override(language):
        context = {
            "campaign": campaign,
            "status": Campaign.Status(status).label,
            "updated": campaign.updated_at.astimezone(zone),
        }
        subject = render_to_string("emails/campaign_status_subject.txt", context).strip()
        body = render_to_string("emails/campaign_status.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, campaign.notify_list)

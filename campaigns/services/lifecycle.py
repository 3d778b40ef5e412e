"""Status changes of a campaign after its launch: start, pause, resume, cancel, delete, the sweepers that start
and complete campaigns, and the groups that running campaigns still use."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from contacts.models import Group
from messaging import services as messaging
from tenancy.models import ApprovalRequest, User


def _notify(campaign: Campaign) -> None:
    if not campaign.notify_list:
        return
    from campaigns.tasks import notify_status

    campaign_id, status = campaign.pk, campaign.status
    transaction.on_commit(lambda: notify_status.delay(campaign_id, status))


def _move(campaign: Campaign, old: Iterable[str], new: str, **changes: Any) -> bool:
    now = timezone.now()
    updated = Campaign.objects.filter(pk=campaign.pk, status__in=list(old)).update(
        status=new, updated_at=now, **changes
    )
    if updated:
        campaign.refresh_from_db()
        _notify(campaign)
    return bool(updated)


def _start(campaign: Campaign, old: Iterable[str]) -> bool:
    """Move to IN_PROGRESS and expand the recipients after commit."""
    if not _move(campaign, old, Campaign.Status.IN_PROGRESS, started_at=timezone.now()):
        return False
    from campaigns.tasks import expand_recipients

    campaign_id = campaign.pk
    transaction.on_commit(lambda: expand_recipients.delay(campaign_id))
    return True


def _refuse(action: str) -> ValidationError:
    """Why ``action`` is not possible now: one whole sentence per action, so that translators see it whole."""
    sentences = {
        "pause": _("Only a campaign in progress can be paused."),
        "resume": _("Only a paused campaign can be resumed."),
        "cancel": _("Only a waiting, scheduled or paused campaign can be canceled."),
        "start": _("Only a scheduled campaign can be started now."),
        "delete": _("A campaign in progress cannot be deleted; pause it first."),
    }
    return ValidationError(sentences[action], code=f"cannot_{action}")


@transaction.atomic
def campaign_pause(*, campaign: Campaign, by: User | None) -> Campaign:
    if not _move(campaign, [Campaign.Status.IN_PROGRESS], Campaign.Status.PAUSED):
        raise _refuse("pause")
    messaging.campaign_pause(campaign_id=campaign.pk, partner=campaign.partner)
    return campaign


@transaction.atomic
def campaign_resume(*, campaign: Campaign, by: User | None) -> Campaign:
    if not _start(campaign, [Campaign.Status.PAUSED]):
        raise _refuse("resume")
    messaging.campaign_resume(campaign_id=campaign.pk, partner=campaign.partner)
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, by: User | None) -> Campaign:
    old = [Campaign.Status.PAUSED, Campaign.Status.SCHEDULED, Campaign.Status.WAITING]
    approval_id = campaign.approval_id if campaign.status == Campaign.Status.WAITING else None
    if not _move(campaign, old, Campaign.Status.CANCELED, finished_at=timezone.now()):
        raise _refuse("cancel")
    if approval_id:
        ApprovalRequest.objects.filter(pk=approval_id, status=ApprovalRequest.Status.PENDING).update(
            status=ApprovalRequest.Status.CANCELED, current_partner=None, decided_at=timezone.now()
        )
    messaging.campaign_cancel(campaign_id=campaign.pk, partner=campaign.partner)
    return campaign


@transaction.atomic
def campaign_start_now(*, campaign: Campaign, by: User | None) -> Campaign:
    """Start a scheduled campaign at once (the Start action)."""
    if not _start(campaign, [Campaign.Status.SCHEDULED]):
        raise _refuse("start")
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: Campaign, by: User | None) -> None:
    """Hide the campaign (its messages keep their rows); a running campaign is paused or canceled first."""
    if campaign.status == Campaign.Status.IN_PROGRESS:
        raise _refuse("delete")
    if campaign.status in (Campaign.Status.WAITING, Campaign.Status.SCHEDULED, Campaign.Status.PAUSED):
        campaign_cancel(campaign=campaign, by=by)
    Campaign.objects.filter(pk=campaign.pk).update(is_deleted=True, updated_at=timezone.now())


def campaigns_start_due(*, now: datetime | None = None) -> int:
    """Start every scheduled campaign whose time has come (the periodic sweeper)."""
    now = now or timezone.now()
    started = 0
    for campaign in Campaign.objects.filter(status=Campaign.Status.SCHEDULED, send_at__lte=now, is_deleted=False):
        with transaction.atomic():
            started += _start(campaign, [Campaign.Status.SCHEDULED])
    return started


def campaigns_check_completed() -> int:
    """Complete the running campaigns whose every message is final (or past its wait limit)."""
    done = 0
    running = Campaign.objects.filter(status=Campaign.Status.IN_PROGRESS, expanded=True)
    for campaign in running.select_related("partner"):
        counters = messaging_counters(campaign)
        if counters["pending"] == 0:
            with transaction.atomic():
                done += _move(campaign, [Campaign.Status.IN_PROGRESS], Campaign.Status.COMPLETED,
                              finished_at=timezone.now())  # fmt: skip
    return done


def campaigns_stalled(*, now: datetime | None = None, after_seconds: int = 120) -> list[int]:
    """Running campaigns whose expansion has not moved for a while (a lost task): to be expanded again."""
    now = now or timezone.now()
    return list(
        Campaign.objects.filter(
            status=Campaign.Status.IN_PROGRESS,
            expanded=False,
            updated_at__lt=now - timedelta(seconds=after_seconds),
        ).values_list("pk", flat=True)
    )


def messaging_counters(campaign: Campaign) -> dict[str, int]:
    from messaging.selectors import campaign_counters

    counters = campaign_counters(campaign_id=campaign.pk, partner=campaign.partner)
    counters["pending"] = sum(counters[f"{name}_messages"] for name in ("prepared", "billed", "sent"))
    return counters


def group_use_reason(group: Group) -> str | None:
    """Why a contact group cannot be deleted: a campaign that has not finished sends to it."""
    active = [Campaign.Status.WAITING, Campaign.Status.SCHEDULED, Campaign.Status.IN_PROGRESS, Campaign.Status.PAUSED]
    names = list(
        Campaign.objects.filter(groups=group, status__in=active, is_deleted=False).values_list("name", flat=True)[:3]
    )
    if not names:
        return None
    return _("Campaigns still send to this group: %(names)s.") % {"names": ", ".join(names)}

"""Launch of a draft campaign and its premoderation: on to WAITING, SCHEDULED or IN_PROGRESS."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import CAMPAIGN_KIND, Campaign, Moderation
from campaigns.services.contents import campaign_contents
from campaigns.services.drafts import _editable
from campaigns.services.estimate import _check_recipients, campaign_estimate
from campaigns.services.lifecycle import _move, _start
from shortener.models import ShortDomain
from tenancy import approvals
from tenancy.models import ApprovalRequest, User


def _go(campaign: Campaign, old: Iterable[str]) -> None:
    """Scheduled when its time is ahead, otherwise started now."""
    if campaign.send_at and campaign.send_at > timezone.now():
        _move(campaign, old, Campaign.Status.SCHEDULED)
    else:
        _start(campaign, old)


@transaction.atomic
def campaign_launch(*, campaign: Campaign, by: User | None) -> Campaign:
    """Validate a draft and send it on: WAITING (premoderation), SCHEDULED or IN_PROGRESS."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _editable(campaign)
    if campaign.send_at and campaign.send_at < timezone.now() - timedelta(minutes=1):
        raise ValidationError({"send_at": _("The scheduled time is in the past.")}, code="past")
    campaign_contents(campaign)
    link = campaign.short_link
    if link is not None and not ShortDomain.objects.usable_by(campaign.partner).filter(pk=link.domain_id).exists():
        raise ValidationError(
            _("The short domain %(domain)s is no longer available: choose another one on Setup.")
            % {"domain": link.domain.name},
            code="short_domain",
        )
    _check_recipients(campaign, campaign_estimate(campaign))
    if campaign.partner.premoderate_campaigns:
        approval = approvals.approval_open(
            partner=campaign.partner,
            by=by,
            kind=CAMPAIGN_KIND,
            title=_("Campaign “%(name)s”") % {"name": campaign.name},
            route=ApprovalRequest.Route.PARENT,
        )
        _move(
            campaign,
            [Campaign.Status.DRAFT],
            Campaign.Status.WAITING,
            moderation=Moderation.PENDING,
            approval=approval,
            decline_reason="",
        )
        return campaign
    _go(campaign, [Campaign.Status.DRAFT])
    return campaign


class CampaignApprovalHandler:
    def on_forwarded(self, approval: ApprovalRequest, *, by: User) -> None:
        return None

    def on_approved(self, approval: ApprovalRequest, *, by: User, payload: dict[str, Any]) -> None:
        for campaign in Campaign.objects.filter(approval=approval, status=Campaign.Status.WAITING):
            Campaign.objects.filter(pk=campaign.pk).update(moderation=Moderation.APPROVED)
            campaign.moderation = Moderation.APPROVED
            _go(campaign, [Campaign.Status.WAITING])

    def on_declined(self, approval: ApprovalRequest, *, by: User) -> None:
        for campaign in Campaign.objects.filter(approval=approval, status=Campaign.Status.WAITING):
            _move(
                campaign,
                [Campaign.Status.WAITING],
                Campaign.Status.CANCELED,
                moderation=Moderation.DECLINED,
                decline_reason=approval.reason,
                finished_at=timezone.now(),
            )

    def on_canceled(self, approval: ApprovalRequest, *, by: User) -> None:
        return None

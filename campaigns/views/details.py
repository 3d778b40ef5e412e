"""A campaign's details page and the actions on a campaign (pause, resume, cancel, start, delete, repeat)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView
from django.views.generic.detail import SingleObjectMixin

from campaigns import selectors, services
from campaigns.models import Campaign, campaign_actions
from campaigns.views.common import _errors
from tenancy.views import PartnerScopedMixin, caller_user


class CampaignDetailView(PartnerScopedMixin, DetailView):
    model = Campaign
    template_name = "campaigns/detail.html"

    def get_queryset(self) -> QuerySet[Campaign]:
        return super().get_queryset().filter(is_deleted=False).select_related("short_link__domain")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        campaign: Campaign = self.object
        progress = selectors.campaign_progress([campaign])[campaign.pk]
        total = progress.total or 0
        counts = [
            (label, (progress.by_status or {}).get(status, 0))
            for status, label in (
                ("prepared", _("Prepared")),
                ("billed", _("Billed")),
                ("sent", _("Sent")),
                ("delivered", _("Delivered")),
                ("seen", _("Seen")),
                ("undelivered", _("Undelivered")),
                ("failed", _("Failed")),
            )
        ]
        stats = [(label, count, round(100 * count / total, 1) if total else 0) for label, count in counts]
        preliminary = campaign.status in (Campaign.Status.SCHEDULED, Campaign.Status.WAITING, Campaign.Status.DRAFT)
        estimate = services.campaign_estimate(campaign) if preliminary else None
        return super().get_context_data(
            progress=progress,
            stats=stats,
            estimate=estimate,
            actions=campaign_actions(campaign),
            premoderation=campaign.partner.premoderate_campaigns,
            **kwargs,
        )


class CampaignActionView(PartnerScopedMixin, SingleObjectMixin, View):
    model = Campaign
    action = ""
    http_method_names = ["post"]

    def get_queryset(self) -> QuerySet[Campaign]:
        return super().get_queryset().filter(is_deleted=False)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        campaign: Campaign = self.get_object()
        if self.action not in campaign_actions(campaign):
            messages.error(request, _("This action is not available for the campaign in its current status."))
            return redirect("campaigns:list")
        user = caller_user(request)
        try:
            if self.action == "repeat":
                copy = services.campaign_copy(campaign=campaign, by=user)
                return redirect("campaigns:setup", pk=copy.pk)
            service = {
                "pause": services.campaign_pause,
                "resume": services.campaign_resume,
                "cancel": services.campaign_cancel,
                "start": services.campaign_start_now,
                "delete": services.campaign_delete,
            }[self.action]
            service(campaign=campaign, by=user)
        except ValidationError as error:
            _errors(request, error)
            return redirect("campaigns:list")
        done = {
            "pause": _("The campaign is paused."),
            "resume": _("The campaign goes on."),
            "cancel": _("The campaign is canceled."),
            "start": _("The campaign starts now."),
            "delete": _("The campaign is deleted."),
        }
        messages.success(request, done[self.action])
        return redirect("campaigns:list")

"""The Campaign Wizard: its stages, Recipients and Complete & Send, and renaming a campaign (Setup is in
``setup``)."""

from __future__ import annotations

import zoneinfo
from functools import cached_property
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView
from django.views.generic.detail import SingleObjectMixin

from campaigns import services
from campaigns.forms import RecipientsForm, SendForm
from campaigns.models import Campaign
from campaigns.views.common import _errors
from senders.services import active_sender_ids
from tenancy.models import Channel
from tenancy.views import CampaignPortalMixin, PartnerScopedMixin, caller_partner, caller_user

STAGES = (("setup", _("Setup")), ("recipients", _("Recipients")), ("send", _("Complete & Send")))


class WizardMixin(CampaignPortalMixin):
    model = Campaign
    stage = ""
    request: HttpRequest
    kwargs: dict[str, Any]

    @cached_property
    def campaign(self) -> Campaign | None:
        pk = self.kwargs.get("pk")
        if pk is None:
            return None
        campaign = (
            Campaign.objects.for_partner(caller_partner(self.request))
            .filter(pk=pk, status=Campaign.Status.DRAFT, is_deleted=False)
            .select_related("short_link__domain")
            .first()
        )
        if campaign is None:
            raise Http404
        return campaign

    def draft(self) -> Campaign:
        if self.campaign is None:
            raise Http404
        return self.campaign

    def wizard_context(self) -> dict[str, Any]:
        campaign = self.campaign
        partner = caller_partner(self.request)
        stages = []
        for key, label in STAGES:
            enabled = campaign is not None and (key != "send" or bool(campaign.source))
            url = reverse(f"campaigns:{key}", args=[campaign.pk]) if campaign is not None and enabled else ""
            stages.append({"key": key, "label": label, "url": url, "active": key == self.stage})
        no_senders = [
            Channel(channel).label
            for channel in partner.allowed_channels or []
            if not active_sender_ids(partner=partner, channel=channel).exists()
        ]
        return {
            "campaign": campaign,
            "stages": stages,
            "stage": self.stage,
            "campaign_name": campaign.name
            if campaign
            else services.default_name(time_zone=caller_user(self.request).time_zone),
            "no_senders": no_senders,
            "premoderation": partner.premoderate_campaigns,
        }

    def next_stage(self, campaign: Campaign, default: str) -> HttpResponse:
        target = self.request.POST.get("go", default)
        if target not in dict(STAGES) or (target == "send" and not campaign.source):
            target = default
        return redirect(f"campaigns:{target}", pk=campaign.pk)


class RecipientsView(WizardMixin, FormView):
    template_name = "campaigns/wizard_recipients.html"
    form_class = RecipientsForm
    stage = "recipients"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "partner": caller_partner(self.request), "campaign": self.campaign}

    def get_initial(self) -> dict[str, Any]:
        campaign = self.draft()
        return {
            "source": campaign.source or Campaign.Source.GROUPS,
            "groups": list(campaign.groups.values_list("pk", flat=True)),
            "manual_numbers": campaign.manual_numbers,
            "default_country": campaign.default_country_id,
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        campaign = self.draft()
        form = kwargs.get("form") or self.get_form()
        groups = [{"name": g.name, "count": g.contact_count} for g in form.group_list]
        estimate = (
            services.campaign_estimate(campaign)
            if campaign.source in (Campaign.Source.MANUAL, Campaign.Source.FILE)
            else None
        )
        chart = None
        if estimate is not None:
            chart = {
                "labels": [_("Correct"), _("Invalid"), _("Duplicates")],
                "values": [estimate.recipients, estimate.invalid, estimate.duplicates],
            }
        return super().get_context_data(
            group_chart={"labels": [g["name"] for g in groups], "values": [g["count"] for g in groups]},
            source_chart=chart,
            estimate=estimate,
            **self.wizard_context(),
            **kwargs,
        )

    def form_valid(self, form: RecipientsForm) -> HttpResponse:
        campaign = self.draft()
        data = form.cleaned_data
        try:
            if data["source"] == Campaign.Source.FILE and data.get("file"):
                services.campaign_set_file(campaign=campaign, upload=data["file"])
                if "phone" not in campaign.file_mapping:
                    raise ValidationError({"file": _("No column of the file holds phone numbers.")})
            services.campaign_update(
                campaign=campaign,
                by=caller_user(self.request),
                source=data["source"],
                groups=list(data.get("groups") or []),
                manual_numbers=data.get("manual_numbers") or "",
                default_country=data.get("default_country"),
            )
        except ValidationError as error:
            _errors(self.request, error, form)
            return self.form_invalid(form)
        if data["source"] != Campaign.Source.GROUPS and "stay" in self.request.POST:
            return redirect("campaigns:recipients", pk=campaign.pk)
        return self.next_stage(campaign, "send")


class SendView(WizardMixin, FormView):
    template_name = "campaigns/wizard_send.html"
    form_class = SendForm
    stage = "send"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = super().dispatch(request, *args, **kwargs)
        return response

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.campaign is not None and not self.campaign.source:
            return redirect("campaigns:recipients", pk=self.campaign.pk)
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "campaign": self.draft()}

    def get_initial(self) -> dict[str, Any]:
        campaign = self.draft()
        zone = campaign.time_zone if campaign.send_at else caller_user(self.request).time_zone
        initial: dict[str, Any] = {
            "when": "schedule" if campaign.send_at else "now",
            "time_zone": zone,
            "notify_emails": campaign.notify_emails,
            "order": ",".join(campaign.channels),
        }
        if campaign.send_at:
            local = campaign.send_at.astimezone(zoneinfo.ZoneInfo(zone))
            initial.update(date=local.date(), time=local.time().replace(second=0, microsecond=0))
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        campaign = self.draft()
        estimate = services.campaign_estimate(campaign)
        return super().get_context_data(
            estimate=estimate,
            steps=[(step, Channel(step["channel"]).label) for step in campaign.steps],
            now_utc=timezone.now(),
            **self.wizard_context(),
            **kwargs,
        )

    def form_valid(self, form: SendForm) -> HttpResponse:
        campaign = self.draft()
        data = form.cleaned_data
        user = caller_user(self.request)
        try:
            services.campaign_update(
                campaign=campaign,
                by=user,
                steps=form.steps(),
                send_at=data["send_at"],
                time_zone=data["time_zone"],
                notify_emails=data.get("notify_emails") or "",
            )
            if "launch" not in self.request.POST:
                return redirect("campaigns:send", pk=campaign.pk)
            services.campaign_launch(campaign=campaign, by=user)
        except ValidationError as error:
            _errors(self.request, error, form)
            return self.form_invalid(form)
        campaign.refresh_from_db()
        texts: dict[str, str] = {
            Campaign.Status.WAITING: _("The campaign waits for approval by your partner."),
            Campaign.Status.SCHEDULED: _("The campaign is scheduled."),
        }
        messages.success(self.request, texts.get(campaign.status, _("The campaign is started.")))
        return redirect("campaigns:list")


class RenameView(PartnerScopedMixin, SingleObjectMixin, View):
    model = Campaign
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        campaign: Campaign = self.get_object()
        try:
            services.campaign_rename(campaign=campaign, name=request.POST.get("name", ""), by=caller_user(request))
        except ValidationError as error:
            _errors(request, error)
        target = request.POST.get("stage", "setup")
        if campaign.status == Campaign.Status.DRAFT and target in dict(STAGES):
            if campaign.origin == Campaign.Origin.FILE:
                return redirect("campaigns:from_file_map", pk=campaign.pk)
            return redirect(f"campaigns:{target}", pk=campaign.pk)
        return redirect("campaigns:detail", pk=campaign.pk)

"""Campaign from File: the upload, the column mapping and the sample files."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from campaigns import services
from campaigns.forms import FileCampaignForm, MappingForm, SendForm
from campaigns.models import Campaign
from campaigns.views.common import _errors
from campaigns.views.wizard import WizardMixin
from tenancy.models import Channel
from tenancy.views import CampaignPortalMixin, caller_partner, caller_user

SAMPLES = {
    "recipients": (
        ["phone", "first name", "last name"],
        [["34600000001", "Ana", "García"], ["34600000002", "Luis", "Pérez"]],
    ),
    "sms": (["phone", "message"], [["34600000001", "Hello Ana, your order is ready"], ["34600000002", "Hello"]]),
    "viber": (["phone", "message"], [["34600000001", "Your order is on its way"], ["34600000002", "Hello"]]),
}


class SampleView(CampaignPortalMixin, View):
    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        if kind not in SAMPLES:
            raise Http404
        header, rows = SAMPLES[kind]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="campaign_sample_{kind}.csv"'
        return response


class FileCampaignView(CampaignPortalMixin, FormView):
    template_name = "campaigns/from_file.html"
    form_class = FileCampaignForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "partner": caller_partner(self.request)}

    def get_initial(self) -> dict[str, Any]:
        return {"name": services.default_name(time_zone=caller_user(self.request).time_zone), "channel": Channel.SMS}

    def form_valid(self, form: FileCampaignForm) -> HttpResponse:
        data = form.cleaned_data
        step: dict[str, Any] = {"channel": data["channel"], "sender": data["sender_value"], "text": "-"}
        if data["channel"] == Channel.SMS:
            step["flash"] = bool(data.get("flash"))
        if data["channel"] == Channel.VIBER:
            step["purpose"] = data.get("viber_purpose") or "transaction"
        try:
            campaign = services.campaign_create(
                partner=caller_partner(self.request),
                by=caller_user(self.request),
                name=data["name"],
                steps=[step],
                accept_mo=bool(data.get("accept_mo")),
                source=Campaign.Source.FILE,
                origin=Campaign.Origin.FILE,
            )
            services.campaign_set_file(campaign=campaign, upload=data["file"])
        except ValidationError as error:
            _errors(self.request, error, form)
            return self.form_invalid(form)
        return redirect("campaigns:from_file_map", pk=campaign.pk)


class FileCampaignMapView(WizardMixin, TemplateView):
    """The uploaded file: column captions, a preview of its first lines, schedule, details, Create → Confirm."""

    template_name = "campaigns/from_file_map.html"

    def forms(self, data: Any = None) -> tuple[MappingForm, SendForm]:
        campaign = self.draft()
        preview = services.file_preview(campaign, count=4)
        columns = max((len(row) for row in preview), default=0)
        mapping_form = MappingForm(data, columns=columns, initial_mapping=list(campaign.file_mapping or []))
        send_form = SendForm(
            data,
            campaign=campaign,
            initial={
                "when": "now",
                "time_zone": caller_user(self.request).time_zone,
                "order": ",".join(campaign.channels),
            },
        )
        return mapping_form, send_form

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        campaign = self.draft()
        if "mapping_form" not in kwargs:
            kwargs["mapping_form"], kwargs["send_form"] = self.forms()
        preview = services.file_preview(campaign, count=4)
        if campaign.file_has_header and preview:
            preview = preview[1:]
        details = None
        if "phone" in (campaign.file_mapping or []) and "text" in (campaign.file_mapping or []):
            details = services.campaign_estimate(campaign)
        premoderation = caller_partner(self.request).premoderate_campaigns
        return super().get_context_data(
            campaign=campaign, preview=preview[:3], details=details, premoderation=premoderation, **kwargs
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        campaign = self.draft()
        if campaign.origin != Campaign.Origin.FILE:
            raise Http404
        if "file" in request.FILES:
            try:
                services.campaign_set_file(campaign=campaign, upload=request.FILES["file"])
            except ValidationError as error:
                _errors(request, error)
            return redirect("campaigns:from_file_map", pk=campaign.pk)
        mapping_form, send_form = self.forms(request.POST)
        if not (mapping_form.is_valid() and send_form.is_valid()):
            return self.render_to_response(self.get_context_data(mapping_form=mapping_form, send_form=send_form))
        try:
            services.campaign_update(
                campaign=campaign,
                by=caller_user(request),
                file_mapping=mapping_form.mapping(),
                send_at=send_form.cleaned_data["send_at"],
                time_zone=send_form.cleaned_data["time_zone"],
                notify_emails=send_form.cleaned_data.get("notify_emails") or "",
            )
            if "launch" not in request.POST:
                return redirect("campaigns:from_file_map", pk=campaign.pk)
            services.campaign_launch(campaign=campaign, by=caller_user(request))
        except ValidationError as error:
            _errors(request, error)
            return self.render_to_response(self.get_context_data(mapping_form=mapping_form, send_form=send_form))
        messages.success(request, _("The campaign from the file is created."))
        return redirect("campaigns:list")

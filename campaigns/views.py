"""Campaign Portal pages: Campaigns List and details, the Campaign Wizard (Setup, Recipients, Complete & Send),
Campaign from File and Campaign Templates. Views validate with forms; campaigns.services changes state."""

from __future__ import annotations

import csv
import io
import json
import zoneinfo
from functools import cached_property
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView
from django.views.generic.detail import SingleObjectMixin

from campaigns import selectors, services, shortlinks
from campaigns.forms import (
    CampaignFilterForm,
    FileCampaignForm,
    MappingForm,
    RecipientsForm,
    SendForm,
    SetupForm,
    TemplateFilterForm,
    TemplateForm,
)
from campaigns.models import Campaign, MessageTemplate, Moderation, campaign_actions
from campaigns.placeholders import DATE_FORMATS, DEFAULT_DATE_FORMAT, date_variables
from campaigns.shortlinks import find_link
from contacts.models import TableSettings
from contacts.selectors import contact_variables
from senders.services import active_sender_ids
from shortener.models import ShortDomain, ShortLink
from tenancy.models import Channel, Partner, User
from tenancy.views import CampaignPortalMixin, PartnerScopedMixin

STAGES = (("setup", _("Setup")), ("recipients", _("Recipients")), ("send", _("Complete & Send")))


def _partner(request: HttpRequest) -> Partner:
    partner: Partner = request.partner  # type: ignore[attr-defined]
    return partner


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def variable_context(partner: Partner) -> dict[str, Any]:
    """What the variables bar of a message text needs: the variables, which of them are dates, the date formats."""
    return {
        "variables": contact_variables(partner),
        "date_placeholders": {"{" + name + "}" for name in date_variables(partner)},
        "date_formats": list(DATE_FORMATS),
        "default_date_format": DEFAULT_DATE_FORMAT,
    }


def short_link_data(partner: Partner, link: ShortLink | None) -> dict[str, Any]:
    """What the preview needs to show the short link: the usable domains and the link already made, if any."""
    current = {"domain": str(link.domain_id), "original": link.original_url, "url": link.url} if link else None
    return {
        "domains": {str(domain.pk): domain.name for domain in ShortDomain.objects.usable_by(partner)},
        "current": current,
    }


def _errors(request: HttpRequest, error: ValidationError, form: Any = None) -> None:
    if form is not None and hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for item in errors:
                form.add_error(field if field in form.fields else None, item.messages[0])
        return
    for text in error.messages:
        messages.error(request, text)


# Campaigns List and details ----------------------------------------------------------------------------------------


class CampaignListView(PartnerScopedMixin, ListView):
    model = Campaign
    template_name = "campaigns/list.html"
    paginate_by = 20

    @cached_property
    def filter_form(self) -> CampaignFilterForm:
        form = CampaignFilterForm(self.request.GET or None)
        form.is_valid()
        return form

    def get_queryset(self) -> QuerySet[Campaign]:
        filters = getattr(self.filter_form, "cleaned_data", {})
        return selectors.campaign_list(partner=_partner(self.request), filters=filters)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = list(context["object_list"])
        progress = selectors.campaign_progress(page)
        rows = [(campaign, progress[campaign.pk], campaign_actions(campaign)) for campaign in page]
        params = self.request.GET.copy()
        params.pop("page", None)
        drafts = Campaign.objects.for_partner(_partner(self.request)).filter(
            status=Campaign.Status.DRAFT, is_deleted=False
        )
        columns = selectors.campaign_columns(user=_user(self.request))
        return {
            **context,
            "rows": rows,
            "all_columns": columns,
            "columns": [column.key for column in columns if column.visible],
            "table": TableSettings.Table.CAMPAIGNS,
            "filter_form": self.filter_form,
            "query_string": params.urlencode(),
            "drafts": drafts.order_by("-updated_at")[:5],
            "premoderation": _partner(self.request).premoderate_campaigns,
        }


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
        user = _user(request)
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


# The wizard ---------------------------------------------------------------------------------------------------------


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
            Campaign.objects.for_partner(_partner(self.request))
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
        partner = _partner(self.request)
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
            else services.default_name(time_zone=_user(self.request).time_zone),
            "no_senders": no_senders,
            "premoderation": partner.premoderate_campaigns,
        }

    def next_stage(self, campaign: Campaign, default: str) -> HttpResponse:
        target = self.request.POST.get("go", default)
        if target not in dict(STAGES) or (target == "send" and not campaign.source):
            target = default
        return redirect(f"campaigns:{target}", pk=campaign.pk)


class SetupView(WizardMixin, FormView):
    template_name = "campaigns/wizard_setup.html"
    form_class = SetupForm
    stage = "setup"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "partner": _partner(self.request)}

    def get_initial(self) -> dict[str, Any]:
        if self.campaign is not None:
            return SetupForm.initial_from(self.campaign)
        initial: dict[str, Any] = {"placeholders": Campaign.Placeholders.KEEP}
        template_id = self.request.GET.get("template", "")
        template = (
            services.usable_templates(partner=_partner(self.request)).filter(pk=template_id).first()
            if template_id.isdigit()
            else None
        )
        if template is not None:
            channel = template.channel
            initial.update({"channels": [channel], f"{channel}_template": template.pk})
            if template.sender is not None:
                initial[f"{channel}_sender"] = template.sender.value
            if template.short_domain_id:
                initial["short_domain"] = template.short_domain_id
            if channel != Channel.WHATSAPP:
                initial[f"{channel}_text"] = template.text
            if channel == Channel.SMS:
                initial["sms_flash"] = template.flash
            if channel == Channel.VIBER:
                initial.update(
                    viber_image_url=template.image_url,
                    viber_button_caption=template.button_caption,
                    viber_button_url=template.button_url,
                    viber_purpose=template.purpose,
                )
        else:
            initial["channels"] = (
                [Channel.SMS] if Channel.SMS in (_partner(self.request).allowed_channels or []) else []
            )
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        partner = _partner(self.request)
        templates = list(services.usable_templates(partner=partner).select_related("sender"))
        fixed_links = shortlinks.template_short_links(partner=partner, templates=templates)
        template_data = {
            str(t.pk): {
                "text": t.text,
                "sender": t.sender.value if t.sender else "",
                "image_url": t.image_url,
                "button_caption": t.button_caption,
                "button_url": t.button_url,
                "purpose": t.purpose,
                "footer": t.footer,
                "header": t.header_text,
                "header_type": t.header_type,
                "header_url": t.header_url,
                "header_location": t.header_location,
                "buttons": [button.get("text", "") for button in t.buttons or []],
                "short_domain": str(t.short_domain_id or ""),
                "short_link": {"url": fixed_links[t.pk].url, "original": fixed_links[t.pk].original_url}
                if t.pk in fixed_links
                else None,
            }  # fmt: skip
            for t in templates
        }
        form = kwargs.setdefault("form", self.get_form())
        whatsapp = str(form["whatsapp_template"].value() or "")
        chosen = Channel.WHATSAPP in (form["channels"].value() or [])
        return super().get_context_data(
            **variable_context(partner),
            template_data=template_data,
            short_links=short_link_data(partner, self.campaign.short_link if self.campaign is not None else None),
            whatsapp_short_link=template_data.get(whatsapp, {}).get("short_link") if chosen else None,
            **self.wizard_context(),
            **kwargs,
        )

    def form_valid(self, form: SetupForm) -> HttpResponse:
        partner, user = _partner(self.request), _user(self.request)
        name = (self.request.POST.get("name") or "").strip()
        fields: dict[str, Any] = {
            "steps": form.steps(self.campaign.steps if self.campaign else None),
            "accept_mo": bool(form.cleaned_data.get("accept_mo")),
            "placeholders": form.cleaned_data["placeholders"],
        }
        if name:
            fields["name"] = name
        try:
            with transaction.atomic():
                if self.campaign is None:
                    campaign = services.campaign_create(partner=partner, by=user, **fields)
                else:
                    campaign = services.campaign_update(campaign=self.campaign, by=user, **fields)
                if "short_domain" in form.fields:
                    shortlinks.campaign_set_short_link(
                        campaign=campaign, domain=form.cleaned_data.get("short_domain"), by=user
                    )
                if "save_template" in self.request.POST:
                    self._save_template(form, campaign)
        except ValidationError as error:
            _errors(self.request, error, form)
            return self.form_invalid(form)
        if "save_template" in self.request.POST:
            return redirect("campaigns:setup", pk=campaign.pk)
        return self.next_stage(campaign, "recipients")

    def _save_template(self, form: SetupForm, campaign: Campaign) -> None:
        name = form.cleaned_data.get("save_as", "").strip()
        step = next((s for s in campaign.steps if s["channel"] != Channel.WHATSAPP), None)
        if step is None or not name:
            raise ValidationError({"save_as": _("Give the template a name (SMS or Viber content is saved).")})
        sender = (
            active_sender_ids(partner=campaign.partner, channel=step["channel"]).filter(value=step["sender"]).first()
        )
        template = MessageTemplate(
            partner=campaign.partner,
            name=name,
            channel=step["channel"],
            sender=sender,
            text=step.get("text", ""),
            flash=step.get("flash", False),
            image_url=step.get("image_url", ""),
            button_caption=step.get("button_caption", ""),
            button_url=step.get("button_url", ""),
            purpose=step.get("purpose", ""),
            short_domain=campaign.short_link.domain
            if campaign.short_link and find_link(step.get("text", ""))
            else None,
        )
        services.template_save(template=template, by=_user(self.request))
        messages.success(self.request, _("The template “%(name)s” is saved.") % {"name": name})


class RecipientsView(WizardMixin, FormView):
    template_name = "campaigns/wizard_recipients.html"
    form_class = RecipientsForm
    stage = "recipients"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "partner": _partner(self.request), "campaign": self.campaign}

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
                by=_user(self.request),
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
        zone = campaign.time_zone if campaign.send_at else _user(self.request).time_zone
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
        user = _user(self.request)
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
            services.campaign_rename(campaign=campaign, name=request.POST.get("name", ""), by=_user(request))
        except ValidationError as error:
            _errors(request, error)
        target = request.POST.get("stage", "setup")
        if campaign.status == Campaign.Status.DRAFT and target in dict(STAGES):
            if campaign.origin == Campaign.Origin.FILE:
                return redirect("campaigns:from_file_map", pk=campaign.pk)
            return redirect(f"campaigns:{target}", pk=campaign.pk)
        return redirect("campaigns:detail", pk=campaign.pk)


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


# Campaign from File --------------------------------------------------------------------------------------------------


class FileCampaignView(CampaignPortalMixin, FormView):
    template_name = "campaigns/from_file.html"
    form_class = FileCampaignForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "partner": _partner(self.request)}

    def get_initial(self) -> dict[str, Any]:
        return {"name": services.default_name(time_zone=_user(self.request).time_zone), "channel": Channel.SMS}

    def form_valid(self, form: FileCampaignForm) -> HttpResponse:
        data = form.cleaned_data
        step: dict[str, Any] = {"channel": data["channel"], "sender": data["sender_value"], "text": "-"}
        if data["channel"] == Channel.SMS:
            step["flash"] = bool(data.get("flash"))
        if data["channel"] == Channel.VIBER:
            step["purpose"] = data.get("viber_purpose") or "transaction"
        try:
            campaign = services.campaign_create(
                partner=_partner(self.request),
                by=_user(self.request),
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
            initial={"when": "now", "time_zone": _user(self.request).time_zone, "order": ",".join(campaign.channels)},
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
        premoderation = _partner(self.request).premoderate_campaigns
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
                by=_user(request),
                file_mapping=mapping_form.mapping(),
                send_at=send_form.cleaned_data["send_at"],
                time_zone=send_form.cleaned_data["time_zone"],
                notify_emails=send_form.cleaned_data.get("notify_emails") or "",
            )
            if "launch" not in request.POST:
                return redirect("campaigns:from_file_map", pk=campaign.pk)
            services.campaign_launch(campaign=campaign, by=_user(request))
        except ValidationError as error:
            _errors(request, error)
            return self.render_to_response(self.get_context_data(mapping_form=mapping_form, send_form=send_form))
        messages.success(request, _("The campaign from the file is created."))
        return redirect("campaigns:list")


# Campaign Templates ----------------------------------------------------------------------------------------------


class TemplateListView(PartnerScopedMixin, ListView):
    model = MessageTemplate
    template_name = "campaigns/templates.html"
    paginate_by = 24

    @cached_property
    def filter_form(self) -> TemplateFilterForm:
        form = TemplateFilterForm(self.request.GET or None)
        form.is_valid()
        return form

    def get_queryset(self) -> QuerySet[MessageTemplate]:
        queryset = super().get_queryset().select_related("sender")
        filters = getattr(self.filter_form, "cleaned_data", {})
        if filters.get("channel"):
            queryset = queryset.filter(channel=filters["channel"])
        if filters.get("moderation"):
            queryset = queryset.filter(moderation=filters["moderation"])
        return queryset.order_by("-updated_at", "-pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(filter_form=self.filter_form, **kwargs)


class TemplateFormView(PartnerScopedMixin, FormView):
    model = MessageTemplate
    template_name = "campaigns/template_form.html"
    form_class = TemplateForm

    @cached_property
    def instance(self) -> MessageTemplate:
        pk = self.kwargs.get("pk")
        if pk is None:
            channel = self.request.GET.get("channel", Channel.SMS)
            return MessageTemplate(
                partner=_partner(self.request), channel=channel if channel in Channel.values else Channel.SMS
            )
        template = self.get_queryset().filter(pk=pk).first()
        if template is None:
            raise Http404
        return template

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "partner": _partner(self.request), "instance": self.instance}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = kwargs.get("form") or self.get_form()
        rows = form.button_rows or []
        return super().get_context_data(
            template=self.instance,
            button_rows=rows + [{"type": "", "text": "", "value": ""}] * max(0, 3 - len(rows)),
            **variable_context(_partner(self.request)),
            short_links=short_link_data(_partner(self.request), None),
            needs_request=self.instance.channel == Channel.WHATSAPP or _partner(self.request).premoderate_templates,
            **kwargs,
        )

    def form_valid(self, form: TemplateForm) -> HttpResponse:
        template: MessageTemplate = form.save(commit=False)
        template.partner = _partner(self.request)
        template.buttons = form.buttons_from(self.request.POST)
        try:
            services.template_save(template=template, by=_user(self.request))
        except ValidationError as error:
            _errors(self.request, error, form)
            return self.form_invalid(form)
        if template.moderation == Moderation.PENDING:
            messages.success(self.request, _("The template is sent for approval."))
        else:
            messages.success(self.request, _("The template is saved."))
        return redirect("campaigns:templates")


class TemplateDeleteView(PartnerScopedMixin, SingleObjectMixin, View):
    model = MessageTemplate
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        template = self.get_object()
        services.template_delete(template=template, by=_user(request))
        messages.success(request, _("The template is deleted."))
        return redirect("campaigns:templates")


def json_data(value: Any) -> str:
    return json.dumps(value)

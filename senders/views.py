"""Campaign Portal: the Sender IDs page, the request form, details, unsubscribe / cancel and file downloads."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView
from django.views.generic.detail import SingleObjectMixin

from senders import selectors, services
from senders.forms import SenderFilterForm, SenderIDRequestForm
from senders.models import SenderID, SenderIDDocument, SenderIDRequest
from tenancy.forms import custom_values
from tenancy.models import Channel, CustomField
from tenancy.services import custom_fields_for
from tenancy.views import (
    BadRequestOnInvalidMixin,
    CampaignPortalMixin,
    ObjectActionMixin,
    PartnerScopedMixin,
    apply_service_error,
    caller_partner,
    caller_user,
)

LOGO_TYPES = {"png": "image/png", "jpg": "image/jpeg"}


def serve_document(document: SenderIDDocument) -> FileResponse:
    """The PDF as a download; the caller has already checked that the user may see it."""
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    return FileResponse(handle, as_attachment=True, filename=document.name, content_type="application/pdf")


def serve_logo(sender_request: SenderIDRequest) -> FileResponse:
    name = sender_request.wa_logo.name or ""
    content_type = LOGO_TYPES.get(name.rsplit(".", 1)[-1].lower())
    if not name or content_type is None:
        raise Http404
    try:
        handle = sender_request.wa_logo.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    return FileResponse(handle, content_type=content_type)


class SenderListView(PartnerScopedMixin, ListView):
    model = SenderID
    template_name = "senders/list.html"
    paginate_by = 20

    @cached_property
    def filter_form(self) -> SenderFilterForm:
        form = SenderFilterForm(self.request.GET or None)
        form.is_valid()
        return form

    def get_queryset(self) -> QuerySet[SenderID]:
        filters = getattr(self.filter_form, "cleaned_data", {})
        return selectors.sender_list(queryset=super().get_queryset(), filters=filters).order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        params = self.request.GET.copy()
        params.pop("page", None)
        return super().get_context_data(filter_form=self.filter_form, query_string=params.urlencode(), **kwargs)


class SenderRequestCreateView(BadRequestOnInvalidMixin, CampaignPortalMixin, FormView):
    template_name = "senders/request_form.html"
    form_class = SenderIDRequestForm

    @cached_property
    def custom_fields(self) -> list[CustomField]:
        return custom_fields_for(partner=caller_partner(self.request), form=CustomField.Form.SENDER_ID_REQUEST)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {
            **super().get_form_kwargs(),
            "partner": caller_partner(self.request),
            "custom_fields": self.custom_fields,
        }

    def get_initial(self) -> dict[str, Any]:
        channel = self.request.GET.get("channel")
        return {"channel": channel} if channel in Channel.values else {}

    def form_valid(self, form: SenderIDRequestForm) -> HttpResponse:
        data = form.cleaned_data
        whatsapp = None
        if data["channel"] == Channel.WHATSAPP:
            whatsapp = services.WhatsAppDetails(
                business_manager_id=data["fb_business_manager_id"],
                phone=data["wa_phone"],
                description=data["wa_description"],
                address=data["wa_address"],
                email=data["wa_email"],
                website=data["wa_website"],
                logo=data.get("wa_logo") or None,
            )
        try:
            sender_request = services.sender_request_create(
                partner=caller_partner(self.request),
                by=caller_user(self.request),
                value=data["value"],
                channel=data["channel"],
                comment=data["comment"],
                documents=data["documents"],
                whatsapp=whatsapp,
                custom_values=custom_values(form, self.custom_fields),
            )
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Your request for %(value)s is sent to your partner for approval.") % {"value": sender_request.value},
        )
        return redirect("senders:list")


class SenderDetailView(PartnerScopedMixin, DetailView):
    model = SenderID
    template_name = "senders/detail.html"
    context_object_name = "sender"

    def get_queryset(self) -> QuerySet[SenderID]:
        return super().get_queryset().select_related("latest_request")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        requests = selectors.requests_with_details(self.object.requests.all())
        cards = selectors.request_cards(requests=requests, viewer=caller_partner(self.request))
        return super().get_context_data(cards=cards, **kwargs)


class _SenderAction(ObjectActionMixin, PartnerScopedMixin, SingleObjectMixin, View):
    """A POST button on a sender ID of the signed-in partner, carried out by a service."""

    model = SenderID
    fallback_url = reverse_lazy("senders:list")


class SenderUnsubscribeView(_SenderAction):
    def act(self, sender: SenderID) -> str:
        services.sender_unsubscribe(sender=sender, by=caller_user(self.request))
        return _("You are unsubscribed from %(value)s; it is disabled.") % {"value": sender.value}


class SenderCancelView(_SenderAction):
    def act(self, sender: SenderID) -> str:
        pending = sender.requests.filter(status__in=SenderIDRequest.PENDING).select_related("approval").first()
        if pending is None:
            raise ValidationError(_("There is no waiting request to cancel."), code="not_pending")
        services.sender_request_cancel(sender_request=pending, by=caller_user(self.request))
        return _("Your request for %(value)s is canceled.") % {"value": sender.value}


class DocumentDownloadView(PartnerScopedMixin, SingleObjectMixin, View):
    model = SenderIDDocument

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return serve_document(self.get_object())


class LogoView(PartnerScopedMixin, SingleObjectMixin, View):
    model = SenderIDRequest

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return serve_logo(self.get_object())

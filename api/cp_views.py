"""Campaign Portal → API Connections: API keys, Callback Settings (MO routes) and the API methods help page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView, TemplateView
from django.views.generic.detail import SingleObjectMixin

from api import services
from api.forms import ApiKeyForm, CallbackSettingsForm, MoRouteForm
from api.models import ApiKey, MoRoute
from api.send_sms import MAX_RECIPIENTS
from tenancy.views import (
    BadRequestOnInvalidMixin,
    CampaignPortalMixin,
    ObjectFormMixin,
    PartnerScopedMixin,
    apply_service_error,
    caller_partner,
    caller_user,
)


class ApiKeyListView(PartnerScopedMixin, ListView):
    model = ApiKey
    template_name = "api/keys.html"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[ApiKey]:
        return ApiKey.objects.live().for_partner(caller_partner(self.request)).order_by("-created_at", "-pk")


class ApiKeyCreateView(BadRequestOnInvalidMixin, CampaignPortalMixin, FormView):
    template_name = "api/key_form.html"
    form_class = ApiKeyForm

    def form_valid(self, form: ApiKeyForm) -> HttpResponse:
        try:
            issued = services.api_key_create(
                partner=caller_partner(self.request),
                by=caller_user(self.request),
                name=form.cleaned_data["name"],
                expiration=form.cleaned_data["expiration"],
                callback_url=form.cleaned_data["callback_url"],
            )
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        # Rendered, not redirected: the secret must never travel in a URL or stay in the session.
        response = render(self.request, "api/key_created.html", {"issued": issued})
        response["Cache-Control"] = "no-store"
        return response


class _KeyAction(PartnerScopedMixin, SingleObjectMixin, View):
    model = ApiKey
    http_method_names = ["post"]

    def get_queryset(self) -> QuerySet[ApiKey]:
        return ApiKey.objects.live().for_partner(caller_partner(self.request))


class ApiKeyRefreshView(_KeyAction):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = services.api_key_refresh(api_key=self.get_object())
        messages.success(request, _("The key “%(name)s” is extended.") % {"name": key.name})
        return redirect("api_connections:keys")


class ApiKeyRemoveView(_KeyAction):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = self.get_object()
        services.api_key_remove(api_key=key)
        messages.success(request, _("The key “%(name)s” is removed.") % {"name": key.name})
        return redirect("api_connections:keys")


class CallbackSettingsView(BadRequestOnInvalidMixin, CampaignPortalMixin, FormView):
    template_name = "api/callbacks.html"
    form_class = CallbackSettingsForm

    def get_initial(self) -> dict[str, Any]:
        return {"default_mo_url": services.callback_settings_for(caller_partner(self.request)).default_mo_url}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        routes = MoRoute.objects.for_partner(caller_partner(self.request)).prefetch_related("sender_ids")
        return super().get_context_data(routes=routes, **kwargs)

    def form_valid(self, form: CallbackSettingsForm) -> HttpResponse:
        try:
            services.callback_settings_save(
                partner=caller_partner(self.request), default_mo_url=form.cleaned_data["default_mo_url"]
            )
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The default MO callback URL is saved."))
        return redirect("api_connections:callbacks")


class MoRouteFormView(BadRequestOnInvalidMixin, CampaignPortalMixin, FormView):
    """Add an MO route (no ``pk``) or edit one."""

    template_name = "api/route_form.html"
    form_class = MoRouteForm
    object: MoRoute | None = None

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "partner": caller_partner(self.request)}

    def get_initial(self) -> dict[str, Any]:
        if self.object is None:
            return {}
        return {"url": self.object.url, "sender_ids": list(self.object.sender_ids.all())}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(route=self.object, **kwargs)

    def form_valid(self, form: MoRouteForm) -> HttpResponse:
        try:
            services.mo_route_save(
                partner=caller_partner(self.request),
                url=form.cleaned_data["url"],
                sender_ids=form.cleaned_data["sender_ids"],
                route=self.object,
            )
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The MO route is saved."))
        return redirect("api_connections:callbacks")


class MoRouteEditView(PartnerScopedMixin, ObjectFormMixin, MoRouteFormView):
    model = MoRoute


class MoRouteDeleteView(PartnerScopedMixin, SingleObjectMixin, View):
    model = MoRoute
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        services.mo_route_delete(route=self.get_object())
        messages.success(request, _("The MO route is deleted."))
        return redirect("api_connections:callbacks")


class ApiMethodsView(CampaignPortalMixin, TemplateView):
    template_name = "api/methods.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        base = f"{self.request.scheme}://{self.request.get_host()}"
        return super().get_context_data(
            send_url=f"{base}/api/send_sms", base_url=base, max_recipients=MAX_RECIPIENTS, **kwargs
        )

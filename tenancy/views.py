"""Base views that do tenant scoping once: every CP and AP page builds on these mixins."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic.detail import SingleObjectMixin

from tenancy.models import Partner, Portal, User
from tenancy.services import partner_can_sign_in

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
    from rest_framework.request import Request


def home_url_name(partner: Partner) -> str:
    return "adminpanel:home" if partner.is_manager else "portal:dashboard"


def caller_partner(request: HttpRequest) -> Partner:
    """The signed-in partner that ``PartnerRequiredMixin`` put on the request."""
    partner: Partner = request.partner  # type: ignore[attr-defined]
    return partner


def caller_user(request: HttpRequest | Request) -> User:
    """The signed-in user of a page or an API call (the tenancy mixins and the API turn anonymous callers away)."""
    user: User = request.user  # type: ignore[assignment]
    return user


def apply_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the named field when the form has it, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def report_errors(request: HttpRequest, error: ValidationError) -> None:
    """Show a service's refusal as error messages (for actions with no form to show it on)."""
    for text in error.messages:
        messages.error(request, text)


def back_to(request: HttpRequest, fallback: StrOrPromise) -> HttpResponseRedirect:
    """Return to the page the action was posted from (``next``, e.g. a filtered list) when it is on this site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return HttpResponseRedirect(target)
    return redirect(fallback)


def has_second_factor(request: HttpRequest) -> bool:
    """True when the portal does not ask for 2FA or the session passed its one-time code."""
    portal: Portal = request.portal  # type: ignore[attr-defined]
    return not portal.require_2fa or bool(request.user.is_verified())  # type: ignore[union-attr]


class BadRequestOnInvalidMixin:
    """Form views that show an invalid form again with status 400."""

    def form_invalid(self, form: Any) -> HttpResponse:
        response: HttpResponse = super().form_invalid(form)  # type: ignore[misc]
        response.status_code = 400
        return response


class ObjectFormMixin(SingleObjectMixin):  # type: ignore[type-arg]
    """A form about one row: ``self.object`` is loaded through the view's (scoped) queryset before GET and POST."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)  # type: ignore[misc]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)  # type: ignore[misc]


class ObjectActionMixin:
    """A POST button on one row, carried out by a service in ``act``; its refusal or success shows as a message.

    The caller then goes back to the page it came from (``fallback_url`` when that is not on this site).
    """

    http_method_names: Sequence[str] = ["post"]
    fallback_url: StrOrPromise = ""
    request: HttpRequest

    def act(self, obj: Any) -> str:
        """Carry out the action through a service and return the success message."""
        raise NotImplementedError

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()  # type: ignore[attr-defined]
        try:
            text = self.act(self.object)
        except ValidationError as error:
            report_errors(request, error)
        else:
            messages.success(request, text)
        return back_to(request, self.fallback_url)


class PartnerRequiredMixin(AccessMixin):
    """Signed in (with 2FA when the portal asks for it), active, and inside the portal's partner tree.

    Sets ``request.partner``.
    """

    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated or user.partner is None:
            return self.handle_no_permission()
        portal: Portal = request.portal  # type: ignore[attr-defined]
        allowed = user.is_active and has_second_factor(request) and user.partner.is_within(portal.partner)
        if not allowed or not partner_can_sign_in(user.partner):
            logout(request)
            return self.handle_no_permission()
        request.partner = user.partner  # type: ignore[attr-defined]
        redirect_to = self.wrong_side(user.partner)
        if redirect_to:
            return redirect(redirect_to)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def wrong_side(self, partner: Partner) -> str | None:
        return None


class CampaignPortalMixin(PartnerRequiredMixin):
    """Pages of the Campaign Portal, for end users only."""

    def wrong_side(self, partner: Partner) -> str | None:
        return None if not partner.is_manager else home_url_name(partner)


class AdminPanelMixin(PartnerRequiredMixin):
    """Pages of the Admin Panel, for owners and resellers only."""

    def wrong_side(self, partner: Partner) -> str | None:
        return None if partner.is_manager else home_url_name(partner)


class PartnerScopedMixin(CampaignPortalMixin):
    """CP object views: rows of the signed-in partner only (``for_partner``)."""

    model: type[Model]

    def get_queryset(self) -> QuerySet[Any]:
        return self.model.objects.for_partner(caller_partner(self.request))  # type: ignore[attr-defined]


class SubtreeScopedMixin(AdminPanelMixin):
    """AP object views: rows of the partner's own subtree (``visible_to``)."""

    model: type[Model]

    def get_queryset(self) -> QuerySet[Any]:
        return self.model.objects.visible_to(caller_partner(self.request))  # type: ignore[attr-defined]

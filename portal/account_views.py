"""The user menu: Account Settings (My Account, Security), theme and language switches."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView
from django_otp import login as otp_login

from portal.forms import MyAccountForm
from tenancy import otp, services
from tenancy.forms import add_custom_fields, custom_values
from tenancy.models import CustomField, User
from tenancy.views import PartnerRequiredMixin, caller_partner, caller_user


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next") or request.headers.get("referer") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    return redirect(target)


class MyAccountView(PartnerRequiredMixin, FormView):
    template_name = "portal/account/my_account.html"
    form_class = MyAccountForm

    def custom_fields(self) -> list[CustomField]:
        return services.custom_fields_for(partner=caller_partner(self.request), form=CustomField.Form.REGISTRATION)

    def get_form(self, form_class: Any = None) -> MyAccountForm:
        form = MyAccountForm(instance=self.request.user, **self.get_form_kwargs())
        add_custom_fields(form, self.custom_fields(), caller_user(self.request).profile_fields)
        return form

    def form_valid(self, form: MyAccountForm) -> HttpResponse:
        data = form.cleaned_data
        services.user_update_profile(
            user=caller_user(self.request),
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_format=data["date_format"],
            time_zone=data["time_zone"],
            profile_fields=custom_values(form, self.custom_fields()),
        )
        messages.success(self.request, _("Your account settings are saved."))
        return redirect("portal:account")


class SecurityView(PartnerRequiredMixin, View):
    template_name = "portal/account/security.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(request, PasswordChangeForm(request.user))

    def post(self, request: HttpRequest) -> HttpResponse:
        user = caller_user(request)
        if request.POST.get("action") == "reset_2fa":
            device = services.totp_provision(user=user, portal=request.portal)  # type: ignore[attr-defined]
            otp_login(request, device)
            messages.success(request, _("A new authenticator secret was created and e-mailed to you."))
            uri = otp.provisioning_uri(device, request.portal)  # type: ignore[attr-defined]
            return self.render(
                request,
                PasswordChangeForm(user),
                new_secret=otp.secret_text(device),
                qr_data_uri=otp.qr_svg_data_uri(uri),
            )
        form = PasswordChangeForm(user, request.POST)
        if not form.is_valid():
            return self.render(request, form, status=400)
        form.save()
        update_session_auth_hash(request, form.user)
        messages.success(request, _("Your password is changed."))
        return redirect("portal:account_security")

    def render(self, request: HttpRequest, form: PasswordChangeForm, status: int = 200, **extra: Any) -> HttpResponse:
        context = {"form": form, "has_2fa": services.totp_device(caller_user(request)) is not None, **extra}
        return render(request, self.template_name, context, status=status)


class ThemeToggleView(PartnerRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        user = caller_user(request)
        theme = User.Theme.LIGHT if user.theme == User.Theme.DARK else User.Theme.DARK
        services.user_update_profile(user=user, theme=theme)
        return _back(request)


class LanguageView(PartnerRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        language = request.POST.get("language", "")
        if language in dict(settings.LANGUAGES):
            services.user_update_profile(user=caller_user(request), language=language)
        response = _back(request)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
        return response

"""Sign in (with the TOTP step), sign up with e-mail confirmation, password reset. Shared by CP and AP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, TemplateView
from django_otp import login as otp_login

from portal.forms import OneTimeCodeForm, SignInForm, SignUpForm
from tenancy import services
from tenancy.forms import custom_values
from tenancy.models import CustomField, Partner, Portal, User
from tenancy.tokens import decode_uid, email_confirmation_token
from tenancy.views import has_second_factor, home_url_name

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PENDING_USER_KEY = "otp_pending_user"
PENDING_NEXT_KEY = "otp_pending_next"
BACKEND = "django.contrib.auth.backends.ModelBackend"
WRONG_CREDENTIALS = gettext_lazy("The e-mail or password is not correct.")


def _portal(request: HttpRequest) -> Portal:
    return request.portal  # type: ignore[attr-defined,no-any-return]


def _safe_next(request: HttpRequest, candidate: str | None) -> str | None:
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return None


def _finish_sign_in(request: HttpRequest, user: User, next_url: str | None) -> HttpResponse:
    login(request, user, backend=BACKEND)
    return redirect(next_url or reverse(home_url_name(cast(Partner, user.partner))))


class SignInView(FormView):
    template_name = "portal/auth/sign_in.html"
    form_class = SignInForm

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.partner is not None and has_second_factor(request):
            return redirect(home_url_name(user.partner))
        return super().get(request, *args, **kwargs)

    def form_valid(self, form: SignInForm) -> HttpResponse:
        request, portal = self.request, _portal(self.request)
        user = authenticate(request, email=form.cleaned_data["email"], password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return render(request, "portal/auth/locked_out.html", status=429)
        refusal = self._refusal(user, portal) if isinstance(user, User) else WRONG_CREDENTIALS
        if refusal is not None or not isinstance(user, User):
            form.add_error(None, refusal or WRONG_CREDENTIALS)
            return self.form_invalid(form)
        next_url = _safe_next(request, request.GET.get("next"))
        if not portal.require_2fa:
            return _finish_sign_in(request, user, next_url)
        if services.totp_device(user) is None:
            services.totp_provision(user=user, portal=portal)
            messages.info(request, _("We have e-mailed you a new authenticator secret. Add it to your app first."))
        request.session[PENDING_USER_KEY] = user.pk
        request.session[PENDING_NEXT_KEY] = next_url
        return redirect("portal:sign_in_otp")

    @staticmethod
    def _refusal(user: User, portal: Portal) -> StrOrPromise | None:
        if user.partner is None or not user.partner.is_within(portal.partner):
            return WRONG_CREDENTIALS
        if not user.email_confirmed:
            return _("Please confirm your e-mail address first: follow the link we sent you.")
        if not services.partner_can_sign_in(user.partner):
            return _("This account is disabled. Contact your provider.")
        return None


class OneTimeCodeView(FormView):
    template_name = "portal/auth/sign_in_otp.html"
    form_class = OneTimeCodeForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = User.objects.filter(pk=request.session.get(PENDING_USER_KEY, 0), is_active=True).first()
        if user is None:
            return redirect("portal:sign_in")
        self.user = user
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: OneTimeCodeForm) -> HttpResponse:
        device = services.totp_device(self.user)
        if device is None:
            return redirect("portal:sign_in")
        allowed, _details = device.verify_is_allowed()
        if not allowed:
            form.add_error("token", _("Too many wrong codes. Wait a little and try again."))
            return self.form_invalid(form)
        if not device.verify_token(form.cleaned_data["token"]):
            form.add_error("token", _("This code is not valid. Check your authenticator app and try again."))
            return self.form_invalid(form)
        self.request.session.pop(PENDING_USER_KEY, None)
        next_url = self.request.session.pop(PENDING_NEXT_KEY, None)
        response = _finish_sign_in(self.request, self.user, next_url)
        otp_login(self.request, device)
        return response


class SignUpView(FormView):
    template_name = "portal/auth/sign_up.html"
    form_class = SignUpForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not _portal(request).allow_self_registration:
            raise Http404(_("This portal does not accept new registrations."))
        return super().dispatch(request, *args, **kwargs)

    def custom_fields(self) -> list[CustomField]:
        return services.custom_fields_for(partner=_portal(self.request).partner, form=CustomField.Form.REGISTRATION)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(portal=_portal(self.request), custom_fields=self.custom_fields())
        return kwargs

    def get_initial(self) -> dict[str, Any]:
        return {"language": self.request.LANGUAGE_CODE}  # type: ignore[attr-defined]

    def form_valid(self, form: SignUpForm) -> HttpResponse:
        data = form.cleaned_data
        request = self.request

        def confirm_url(uid: str, token: str) -> str:
            return request.build_absolute_uri(reverse("portal:sign_up_confirm", args=[uid, token]))

        try:
            services.sign_up(
                portal=_portal(request),
                first_name=data["first_name"],
                last_name=data["last_name"],
                company_name=data["company_name"],
                email=data["email"],
                password=data["password1"],
                language=data["language"],
                profile_fields=custom_values(form, self.custom_fields()),
                confirm_url=confirm_url,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        return render(request, "portal/auth/sign_up_done.html", {"email": data["email"]})


class SignUpConfirmView(View):
    def get(self, request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
        portal = _portal(request)
        user_id = decode_uid(uidb64)
        user = User.objects.filter(pk=user_id, partner__path__startswith=portal.partner.path).first()
        if user is None or not email_confirmation_token.check_token(user, token):
            return render(request, "portal/auth/sign_up_invalid_link.html", status=400)
        services.sign_up_confirm(user=user, portal=portal)
        messages.success(request, _("Your e-mail is confirmed. You can sign in now."))
        return redirect("portal:sign_in")


class SignUpDoneView(TemplateView):
    template_name = "portal/auth/sign_up_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "portal/auth/password_reset.html"
    email_template_name = "emails/password_reset.txt"
    subject_template_name = "emails/password_reset_subject.txt"
    success_url = reverse_lazy("portal:password_reset_done")

    @property
    def extra_email_context(self) -> dict[str, Any]:  # type: ignore[override]
        return {"brand": _portal(self.request).brand_name}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/auth/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "portal/auth/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/auth/password_reset_complete.html"

from __future__ import annotations

from typing import Any, cast

from captcha.fields import CaptchaField, CaptchaTextInput
from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tenancy.forms import add_custom_fields
from tenancy.models import CustomField, Portal, User


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(attrs={"autofocus": True}))
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()


class OneTimeCodeForm(forms.Form):
    token = forms.CharField(
        label=_("One-time code"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class SignUpForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    company_name = forms.CharField(label=_("Company name"), max_length=200)
    email = forms.EmailField(label=_("E-mail"))
    password1 = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("Confirm password"), strip=False, widget=forms.PasswordInput)
    captcha = CaptchaField(
        label=_("Type the characters you see"), widget=CaptchaTextInput(attrs={"class": "form-control mt-2"})
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    def __init__(self, *args: Any, portal: Portal, custom_fields: list[CustomField], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.portal = portal
        cast(forms.ChoiceField, self.fields["language"]).choices = [
            (code, name) for code, name in settings.LANGUAGES if code in portal.language_codes
        ]
        if portal.consent_text:
            self.fields["consent"] = forms.BooleanField(label=portal.consent_text, required=True)
        if portal.terms_of_service or portal.privacy_policy:
            self.fields["accept_terms"] = forms.BooleanField(
                label=_("I accept the Terms of Service and the Privacy Policy"), required=True
            )
        add_custom_fields(self, custom_fields)

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("An account with this e-mail already exists."), code="duplicate")
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords do not match."))
        elif first:
            probe = User(email=data.get("email", ""), first_name=data.get("first_name", ""))
            try:
                validate_password(first, probe)
            except ValidationError as error:
                self.add_error("password1", error)
        return data


class MyAccountForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "date_format", "time_zone"]

"""Forms of the Sender IDs pages; the services repeat every check that matters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from senders.models import VALIDITY_CHOICES, SenderID
from senders.validators import (
    DOCUMENTS_MAX_COUNT,
    NAME_MAX_LENGTH,
    logo_extension,
    normalize_phone,
    normalize_sender_value,
    validate_business_manager_id,
    validate_documents,
    validate_sender_value,
)
from tenancy.forms import add_custom_fields
from tenancy.models import Channel, CustomField, Partner

WHATSAPP_FIELDS = (
    "fb_business_manager_id",
    "wa_phone",
    "wa_logo",
    "wa_description",
    "wa_address",
    "wa_email",
    "wa_website",
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "application/pdf,.pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class SenderFilterForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices])
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *SenderID.Status.choices]
    )


class SenderIDRequestForm(forms.Form):
    value = forms.CharField(label=_("Sender ID"), max_length=NAME_MAX_LENGTH)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Anything the partner approving the request should know."),
    )
    documents = MultipleFileField(
        label=_("Documents"),
        required=False,
        help_text=_("PDF files of up to 10 MB each, at most %(count)d; for example proof that you own the name.")
        % {"count": DOCUMENTS_MAX_COUNT},
    )
    fb_business_manager_id = forms.CharField(
        label=_("Facebook Business Manager ID"),
        required=False,
        max_length=20,
        help_text=_("The ID of your company's account in Facebook Business Manager."),
    )
    wa_phone = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=24,
        help_text=_("The number WhatsApp will be registered on, in international format."),
    )
    wa_logo = forms.FileField(
        label=_("Company logo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
        help_text=_("Shown to WhatsApp users as your profile picture: PNG or JPEG, up to 5 MB."),
    )
    wa_description = forms.CharField(
        label=_("About the business"), required=False, max_length=512, widget=forms.Textarea(attrs={"rows": 2})
    )
    wa_address = forms.CharField(label=_("Address"), required=False, max_length=256)
    wa_email = forms.EmailField(label=_("E-mail"), required=False, help_text=_("Shown in your WhatsApp profile."))
    wa_website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    def __init__(self, *args: Any, partner: Partner, custom_fields: list[CustomField], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = set(partner.allowed_channels)
        channel_field: forms.ChoiceField = self.fields["channel"]  # type: ignore[assignment]
        channel_field.choices = [(code, label) for code, label in Channel.choices if code in allowed]
        self.fields["value"].widget.attrs["autocomplete"] = "off"
        for name in ("fb_business_manager_id", "wa_phone"):
            self.fields[name].whatsapp_required = True  # type: ignore[attr-defined]  # marked as required on screen
        add_custom_fields(self, custom_fields)
        self.custom_field_names = [name for name in self.fields if name.startswith("cf_")]

    @property
    def is_whatsapp(self) -> bool:
        return (self["channel"].value() or "") == Channel.WHATSAPP

    def system_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("value", "channel", "comment", "documents")]

    def whatsapp_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in WHATSAPP_FIELDS]

    def extra_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.custom_field_names]

    def clean_value(self) -> str:
        return normalize_sender_value(self.cleaned_data.get("value", ""))

    def clean_documents(self) -> list[Any]:
        files: list[Any] = self.cleaned_data.get("documents") or []
        validate_documents(files)
        return files

    def _apply(self, error: ValidationError) -> None:
        for field, errors in error.error_dict.items():
            self.add_error(field, errors)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        channel, value = data.get("channel"), data.get("value")
        if channel and value:
            try:
                validate_sender_value(channel=channel, value=value)
            except ValidationError as error:
                self._apply(error)
        if channel == Channel.WHATSAPP:
            self._clean_whatsapp(data)
        return data

    def _clean_whatsapp(self, data: dict[str, Any]) -> None:
        required = [
            ("fb_business_manager_id", _("Enter the Facebook Business Manager ID.")),
            ("wa_phone", _("Enter the phone number for WhatsApp.")),
        ]
        for name, message in required:
            if not str(data.get(name) or "").strip() and name not in self.errors:
                self.add_error(name, message)
        checks = [
            ("fb_business_manager_id", lambda v: validate_business_manager_id(v.strip())),
            ("wa_phone", normalize_phone),
            ("wa_logo", logo_extension),
        ]
        for name, check in checks:
            if data.get(name) and name not in self.errors:
                try:
                    check(data[name])
                except ValidationError as error:
                    self._apply(error)


class ValidityForm(forms.Form):
    """The validity period the system owner grants (on confirmation or when changing it)."""

    validity_months = forms.TypedChoiceField(
        label=_("Validity period"), choices=VALIDITY_CHOICES, coerce=int, initial=12
    )

"""Admin Panel forms: they validate input; the views hand the cleaned data to the tenancy services."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Max, QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from tenancy.models import Channel, CustomField, Partner, Portal, User

PER_PAGE_CHOICES = [(20, "20"), (50, "50"), (100, "100")]
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}
HOST_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


class PartnerChoiceField(forms.ModelChoiceField):
    """Partners of the caller's subtree, indented by their depth below the caller."""

    def __init__(self, *args: Any, root: Partner | None = None, **kwargs: Any) -> None:
        self.root_depth = root.depth if root is not None else 1
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Partner) -> str:
        indent = "\u2014 " * max(obj.depth - self.root_depth, 0)
        return f"{indent}{obj.name}"


class PartnerMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Partners with their kind, indented by their depth below `root_depth`, the depth shown flush left."""

    root_depth = 1

    def label_from_instance(self, obj: Partner) -> str:
        indent = "\u2014 " * max(obj.depth - self.root_depth, 0)
        return f"{indent}{obj.name} ({obj.get_kind_display()})"


def manager_partners(partner: Partner) -> QuerySet[Partner]:
    """The caller's own partner and the active owners/resellers below it: who may own partners and portals."""
    return Partner.objects.visible_to(partner).managers().filter(is_active=True)


def split_hosts(value: str) -> list[str]:
    return [name.strip().lower() for name in re.split(r"[\s,]+", value) if name.strip()]


# Filter bars ---------------------------------------------------------------------------------------------------


class ListFilterForm(forms.Form):
    """Filter bar fields every list page shares; all optional, invalid values are ignored."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    per_page = forms.TypedChoiceField(
        label=_("Per page"), choices=PER_PAGE_CHOICES, coerce=int, required=False, empty_value=None
    )


STATUS_CHOICES = [("", _("Any status")), ("active", _("Active")), ("disabled", _("Disabled"))]


class PartnerFilterForm(ListFilterForm):
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("Any kind")), (Partner.Kind.RESELLER, _("Reseller")), (Partner.Kind.END_USER, _("End User"))],
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    field_order = ["q", "kind", "status", "per_page"]

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("Partner name")


class UserFilterForm(ListFilterForm):
    partner = PartnerChoiceField(label=_("Partner"), queryset=Partner.objects.none(), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    field_order = ["q", "partner", "status", "per_page"]

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: PartnerChoiceField = self.fields["partner"]  # type: ignore[assignment]
        field.queryset = Partner.objects.visible_to(partner)
        field.root_depth = partner.depth
        field.empty_label = _("Any partner")  # type: ignore[assignment]
        self.fields["q"].widget.attrs["placeholder"] = _("E-mail or name")


class PortalFilterForm(ListFilterForm):
    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("Brand or host name")


class CustomFieldFilterForm(ListFilterForm):
    form = forms.ChoiceField(label=_("Form"), required=False, choices=[("", _("Any form")), *CustomField.Form.choices])
    field_order = ["q", "form", "per_page"]

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("Label or key")


# Partners ------------------------------------------------------------------------------------------------------


class PartnerOptionsForm(forms.ModelForm):
    """The options a parent sets for a partner below it."""

    allowed_channels = forms.MultipleChoiceField(
        label=_("Allowed channels"),
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one channel.")},
    )

    class Meta:
        model = Partner
        fields = [
            "name",
            "premoderate_campaigns",
            "premoderate_templates",
            "mo_enabled",
            "flash_enabled",
            "allowed_channels",
            "credit_limit",
            "currency",
            "support_email",
        ]
        widgets = {"currency": forms.TextInput(attrs={"maxlength": 3, "style": "text-transform:uppercase"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].help_text = _("ISO 4217 code, e.g. EUR or USD.")

    def clean_currency(self) -> str:
        return str(self.cleaned_data.get("currency", "")).strip().upper()

    def parent_partner(self) -> Partner | None:
        return Partner.objects.get_parent(self.instance) if self.instance.pk else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        parent = self.parent_partner()
        channels = data.get("allowed_channels")
        if parent is not None and channels:
            missing = [Channel(code).label for code in channels if code not in parent.allowed_channels]
            if missing:
                self.add_error(
                    "allowed_channels",
                    _("The parent partner may not use: %(channels)s.") % {"channels": ", ".join(map(str, missing))},
                )
        return data


class PartnerCreateForm(PartnerOptionsForm):
    parent = PartnerChoiceField(label=_("Parent partner"), queryset=Partner.objects.none())
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(Partner.Kind.END_USER, _("End User")), (Partner.Kind.RESELLER, _("Reseller"))]
    )
    field_order = ["parent", "kind", "name"]

    def __init__(self, *args: Any, caller: Partner, **kwargs: Any) -> None:
        defaults = {"parent": caller.pk, "currency": caller.currency, "allowed_channels": list(caller.allowed_channels)}
        kwargs["initial"] = {**defaults, **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        field: PartnerChoiceField = self.fields["parent"]  # type: ignore[assignment]
        field.queryset = manager_partners(caller)
        field.root_depth = caller.depth

    def parent_partner(self) -> Partner | None:
        parent: Partner | None = self.cleaned_data.get("parent")
        return parent


# Users ---------------------------------------------------------------------------------------------------------


class UserCreateForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    partner = PartnerChoiceField(label=_("Partner"), queryset=Partner.objects.none())

    def __init__(self, *args: Any, caller: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: PartnerChoiceField = self.fields["partner"]  # type: ignore[assignment]
        field.queryset = Partner.objects.visible_to(caller).filter(is_active=True)
        field.root_depth = caller.depth
        self.fields["email"].help_text = _("A generated password is e-mailed to this address.")

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("A user with this e-mail already exists."), code="duplicate")
        return email


# Portals -------------------------------------------------------------------------------------------------------


class ColorInput(forms.TextInput):
    input_type = "color"


class PortalForm(forms.ModelForm):
    partner = PartnerChoiceField(label=_("Partner"), queryset=Partner.objects.none())
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one language.")},
    )
    hosts = forms.CharField(
        label=_("Host names"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "sms.example.com"}),
        help_text=_("One per line or separated by commas, e.g. sms.example.com."),
    )

    class Meta:
        model = Portal
        fields = [
            "partner",
            "brand_name",
            "hosts",
            "logo",
            "primary_color",
            "languages",
            "allow_self_registration",
            "require_2fa",
            "support_email",
            "terms_of_service",
            "privacy_policy",
            "consent_text",
        ]
        widgets = {
            "primary_color": ColorInput(attrs={"class": "form-control form-control-color"}),
            "logo": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
            "terms_of_service": forms.Textarea(attrs={"rows": 4}),
            "privacy_policy": forms.Textarea(attrs={"rows": 4}),
            "consent_text": forms.Textarea(attrs={"rows": 2}),
        }

    field_order = Meta.fields

    def __init__(self, *args: Any, caller: Partner, current_host: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current_host = current_host
        field: PartnerChoiceField = self.fields["partner"]  # type: ignore[assignment]
        field.queryset = manager_partners(caller)
        field.root_depth = caller.depth
        self.fields["logo"].help_text = _("PNG, JPEG, GIF or WebP, at most 2 MB.")
        self.fields["require_2fa"].help_text = _(
            "Switching this on e-mails an authenticator secret to every user of the portal who has none."
        )
        if self.instance.pk:
            self.initial.setdefault("hosts", "\n".join(self.instance.host_names))
            self.initial["languages"] = self.instance.language_codes
        else:
            self.initial.setdefault("partner", caller.pk)
            self.initial.setdefault("languages", [code for code, _name in settings.LANGUAGES])

    def clean_logo(self) -> Any:
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "image"):  # a fresh upload, already opened by Pillow
            if logo.size > LOGO_MAX_BYTES:
                raise ValidationError(_("The logo must not be larger than 2 MB."), code="too_large")
            if (logo.image.format or "").upper() not in LOGO_FORMATS:
                raise ValidationError(_("Upload a PNG, JPEG, GIF or WebP image."), code="format")
        return logo

    def clean_primary_color(self) -> str:
        return str(self.cleaned_data.get("primary_color", "")).strip().lower()

    def clean_hosts(self) -> list[str]:
        names = split_hosts(self.cleaned_data.get("hosts", ""))
        bad = [name for name in names if not HOST_RE.match(name)]
        if bad:
            raise ValidationError(_("Not a valid host name: %(hosts)s") % {"hosts": ", ".join(bad)}, code="invalid")
        if not names:
            raise ValidationError(_("Give the portal at least one host name."), code="required")
        if self.current_host and self.current_host not in names:
            raise ValidationError(
                _("Keep %(host)s: you are signed in through it and would lose access.") % {"host": self.current_host},
                code="current_host",
            )
        return sorted(set(names))


# Form customization --------------------------------------------------------------------------------------------


class CustomFieldForm(forms.ModelForm):
    class Meta:
        model = CustomField
        fields = ["form", "label", "key", "data_type", "options", "required", "position"]
        widgets = {"options": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.partner = partner
        self.fields["key"].required = False
        self.fields["key"].help_text = _(
            "Latin letters, digits, underscores or hyphens. Left blank, it is made from the label."
        )
        if not self.instance.pk:
            top = CustomField.objects.for_partner(partner).aggregate(top=Max("position"))["top"]
            self.initial["position"] = 0 if top is None else top + 1

    def _taken(self, form: str, key: str) -> bool:
        return (
            CustomField.objects.for_partner(self.partner)
            .filter(form=form, key=key)
            .exclude(pk=self.instance.pk)
            .exists()
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        form, label, key = data.get("form"), data.get("label"), data.get("key")
        if form and label and not key and "key" not in self.errors:
            base = slugify(label).replace("-", "_")[:50] or "field"
            key, n = base, 2
            while self._taken(form, key):
                key, n = f"{base}_{n}", n + 1
            data["key"] = key
        elif form and key and self._taken(form, key):
            self.add_error("key", _("This key is already used on this form."))
        options = [line.strip() for line in str(data.get("options") or "").splitlines() if line.strip()]
        if data.get("data_type") == CustomField.DataType.LIST and not options:
            self.add_error("options", _("A list field needs at least one option."))
        return data

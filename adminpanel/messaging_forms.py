"""Admin Panel forms for vendors and routes (the system owner's delivery set-up)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from adminpanel.forms import ListFilterForm
from billing.models import Country, Network
from messaging.models import ConnectorType, Route, Vendor
from tenancy.models import Channel, Partner


class PrettyJSONField(forms.JSONField):
    def prepare_value(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        return json.dumps(value if value is not None else {}, indent=2, ensure_ascii=False)


class VendorForm(forms.ModelForm):
    settings = PrettyJSONField(
        label=_("Connector settings"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "class": "font-monospace"}),
        help_text=_("A JSON object; the keys depend on the connector (see the help below the form)."),
    )

    class Meta:
        model = Vendor
        fields = ["name", "code", "connector", "settings", "tps", "enabled"]

    def clean_settings(self) -> Any:
        value = self.cleaned_data.get("settings")
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise forms.ValidationError(_("The settings must be a JSON object."))
        return value


class VendorFilterForm(ListFilterForm):
    connector = forms.ChoiceField(
        label=_("Connector"), required=False, choices=[("", _("Any connector")), *ConnectorType.choices]
    )
    field_order = ["q", "connector", "per_page"]

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("Vendor name or code")


class RouteForm(forms.ModelForm):
    class Meta:
        model = Route
        fields = ["channel", "country", "network", "vendor", "priority", "enabled"]

    def __init__(self, *args: Any, owner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vendor"].queryset = Vendor.objects.filter(partner=owner).order_by("name")  # type: ignore[attr-defined]
        self.fields["country"].queryset = Country.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["network"].queryset = Network.objects.select_related("country").order_by(  # type: ignore[attr-defined]
            "country__name", "name"
        )
        self.fields["country"].empty_label = _("All countries")  # type: ignore[attr-defined]
        self.fields["network"].empty_label = _("All networks")  # type: ignore[attr-defined]


class RouteFilterForm(ListFilterForm):
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("Any channel")), *Channel.choices])
    field_order = ["q", "channel", "per_page"]

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("Country, network or vendor")

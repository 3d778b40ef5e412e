"""Admin Panel forms of the URL shortener: the system owner's short domains."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from adminpanel.forms import STATUS_CHOICES, ListFilterForm, PartnerMultipleChoiceField
from shortener.models import ShortDomain
from tenancy.models import Partner


class ShortDomainForm(forms.ModelForm):
    partners = PartnerMultipleChoiceField(
        label=_("Partners"),
        queryset=Partner.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("Partners that may shorten links with this domain; the partners below them may too."),
    )

    class Meta:
        model = ShortDomain
        fields = ["name", "is_active", "partners"]
        help_texts = {"name": _("A host name pointed at this platform, such as go.example.com.")}

    def __init__(self, *args: Any, owner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partners"].queryset = Partner.objects.visible_to(owner).order_by("path")  # type: ignore[attr-defined]


class ShortDomainFilterForm(ListFilterForm):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    field_order = ["q", "status", "per_page"]

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("Domain name")

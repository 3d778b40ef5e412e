"""Forms of the Campaign Portal's Purchase, Top Up and Finance pages; the services repeat every check that matters."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from billing.models import BillingChannel, TransactionType
from billing.services.requests import MAX_TOP_UP, PaymentGateway

TILE, LIST = "tile", "list"
PACKS, PLANS = "packs", "plans"


class CatalogFilterForm(forms.Form):
    """Search, filters, sort and layout of the Message Packs / Rate Plans tabs."""

    tab = forms.ChoiceField(
        required=False, choices=[(PACKS, _("Message Packs")), (PLANS, _("Rate Plans"))], widget=forms.HiddenInput
    )
    q = forms.CharField(label=_("Search by name"), required=False, max_length=100)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("All channels")), *BillingChannel.choices]
    )
    country = forms.TypedChoiceField(label=_("Country"), required=False, coerce=int, empty_value=None)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("newest", _("Newest first")),
            ("name", _("Name")),
            ("price", _("Price: lowest first")),
            ("-price", _("Price: highest first")),
        ],
    )
    view = forms.ChoiceField(required=False, choices=[(TILE, _("Tiles")), (LIST, _("List"))], widget=forms.HiddenInput)

    def __init__(self, *args: Any, countries: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        country: Any = self.fields["country"]
        country.choices = [("", _("All countries")), *countries]

    def filters(self) -> dict[str, Any]:
        """The valid part of the query (a bad value is simply ignored, as on any list page)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {key: data[key] for key in ("q", "channel", "country", "sort") if data.get(key)}


class TopUpForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"),
        min_value=Decimal("0.01"),
        max_value=MAX_TOP_UP,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
    )
    method = forms.ChoiceField(label=_("Payment method"), widget=forms.RadioSelect)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, gateways: list[PaymentGateway], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        method: Any = self.fields["method"]
        method.choices = [(gateway.code, gateway.label) for gateway in gateways]
        if len(gateways) == 1:
            self.initial.setdefault("method", gateways[0].code)


class RatePlanRequestForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any channel")), *BillingChannel.choices]
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Which countries and channels you plan to send to, and roughly how many messages a month."),
    )


class Period:
    TODAY = "today"
    WEEK = "7d"
    MONTH = "30d"
    CUSTOM = "custom"

    CHOICES = [
        ("", _("Any time")),
        (TODAY, _("Today")),
        (WEEK, _("Last 7 days")),
        (MONTH, _("Last 30 days")),
        (CUSTOM, _("Custom period")),
    ]
    DAYS_BACK = {TODAY: 0, WEEK: 6, MONTH: 29}


class FinanceFilterForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Operation type"),
        required=False,
        choices=[("", _("All operation types")), *TransactionType.choices],
        widget=forms.Select(attrs={"data-autosubmit": "1"}),
    )
    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=Period.CHOICES,
        widget=forms.Select(attrs={"data-autosubmit": "1"}),
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    direction = forms.ChoiceField(
        label=_("Direction"),
        required=False,
        choices=[("", _("Credits and debits")), ("in", _("Credits (+)")), ("out", _("Debits (−)"))],
    )
    q = forms.CharField(label=_("Description contains"), required=False, max_length=100)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise ValidationError(_("The period must start before it ends."), code="period")
        return data

    def filters(self, *, today: date) -> dict[str, Any]:
        """Selector filters: the quick period becomes a date range in the user's time zone."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        filters: dict[str, Any] = {key: data[key] for key in ("type", "direction", "q") if data.get(key)}
        period = data.get("period") or ""
        if period in Period.DAYS_BACK:
            filters["date_from"] = today - timedelta(days=Period.DAYS_BACK[period])
            filters["date_to"] = today
        elif not self.non_field_errors():
            filters.update({key: data[key] for key in ("date_from", "date_to") if data.get(key)})
        return filters

"""Admin Panel forms of the billing pages: the reference book, packs, rate plans, payments and requests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from adminpanel.forms import ListFilterForm, PartnerChoiceField, PartnerMultipleChoiceField
from billing.models import (
    BillingChannel,
    Country,
    Network,
    Pack,
    Rate,
    RatePlan,
    Subscription,
    TopUpRequest,
    TransactionType,
)
from tenancy.models import Partner

CSV_MAX_BYTES = 10 * 1024 * 1024


def partners_below(partner: Partner) -> QuerySet[Partner]:
    return Partner.objects.below(partner).filter(is_active=True)


class CountryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Country) -> str:
        return f"{obj.name} (+{obj.dial_code}, {obj.mcc})"


class NetworkMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Network) -> str:
        return f"{obj.country.name}: {obj.name} ({obj.mccmnc})"


class NetworkChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Network) -> str:
        return f"{obj.country.name}: {obj.name} ({obj.mccmnc})"


def csv_upload_field(label: Any) -> forms.FileField:
    return forms.FileField(
        label=label,
        validators=[FileExtensionValidator(["csv", "txt"])],
        help_text=_("A CSV file in UTF-8, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class CsvUploadForm(forms.Form):
    file = csv_upload_field(_("CSV file"))

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > CSV_MAX_BYTES:
            raise ValidationError(_("The file must not be larger than 10 MB."), code="too_large")
        data: bytes = upload.read()
        if b"\x00" in data[:4096]:
            raise ValidationError(_("This is not a text (CSV) file."), code="binary")
        return data


# Filter bars ---------------------------------------------------------------------------------------------------


class NetworkFilterForm(ListFilterForm):
    country = CountryChoiceField(label=_("Country"), queryset=Country.objects.all(), required=False)
    field_order = ["q", "country", "per_page"]

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].empty_label = _("Any country")  # type: ignore[attr-defined]
        self.fields["q"].widget.attrs["placeholder"] = _("Network, country, MCC or MCCMNC")


STATUS_CHOICES = [("", _("Any status")), ("active", _("Active")), ("disabled", _("Disabled"))]


class PackFilterForm(ListFilterForm):
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any channel")), *BillingChannel.choices]
    )
    country = CountryChoiceField(label=_("Country"), queryset=Country.objects.all(), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    field_order = ["q", "channel", "country", "status", "per_page"]

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].empty_label = _("Any country")  # type: ignore[attr-defined]
        self.fields["q"].widget.attrs["placeholder"] = _("Name")


class RatePlanFilterForm(ListFilterForm):
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any channel")), *BillingChannel.choices]
    )
    plan_kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("Any kind")), ("regular", _("Regular plans")), ("reseller", _("Reseller plans"))],
    )
    field_order = ["q", "channel", "plan_kind", "per_page"]

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("Name")


class SubscriptionFilterForm(ListFilterForm):
    partner = PartnerChoiceField(label=_("Partner"), queryset=Partner.objects.none(), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Packs and plans")), *Subscription.Kind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Subscription.Status.choices]
    )
    field_order = ["q", "partner", "kind", "status", "per_page"]

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: PartnerChoiceField = self.fields["partner"]  # type: ignore[assignment]
        field.queryset = Partner.objects.below(partner)
        field.root_depth = partner.depth
        field.empty_label = _("Any partner")  # type: ignore[assignment]
        self.fields["q"].widget.attrs["placeholder"] = _("Pack or plan name")


class TransactionFilterForm(ListFilterForm):
    partner = PartnerChoiceField(label=_("Partner"), queryset=Partner.objects.none(), required=False)
    type = forms.ChoiceField(
        label=_("Operation type"), required=False, choices=[("", _("All operation types")), *TransactionType.choices]
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    field_order = ["q", "partner", "type", "date_from", "date_to", "per_page"]

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: PartnerChoiceField = self.fields["partner"]  # type: ignore[assignment]
        field.queryset = Partner.objects.visible_to(partner)
        field.root_depth = partner.depth
        field.empty_label = _("Any partner")  # type: ignore[assignment]
        self.fields["q"].widget.attrs["placeholder"] = _("Description")


class TopUpFilterForm(ListFilterForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *TopUpRequest.Status.choices]
    )
    field_order = ["q", "status", "per_page"]

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("Partner")


# Reference book ------------------------------------------------------------------------------------------------


class CountryForm(forms.ModelForm):
    class Meta:
        model = Country
        fields = ["iso_code", "name", "dial_code", "mcc"]


class NetworkForm(forms.ModelForm):
    country = CountryChoiceField(label=_("Country"), queryset=Country.objects.all())

    class Meta:
        model = Network
        fields = ["country", "mcc", "mnc", "name", "carrier_names"]


class PrefixForm(forms.Form):
    digits = forms.CharField(
        label=_("Number prefix"),
        max_length=20,
        help_text=_("The first digits of the numbers, with the country code, e.g. 34600."),
    )


# Packs and plans -----------------------------------------------------------------------------------------------


class PackForm(forms.ModelForm):
    country = CountryChoiceField(label=_("Country"), queryset=Country.objects.all())
    networks = NetworkMultipleChoiceField(
        label=_("Networks"),
        queryset=Network.objects.select_related("country"),
        required=False,
        help_text=_("None chosen: every network of the country."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    assigned_partners = PartnerMultipleChoiceField(
        label=_("Assigned partners"),
        queryset=Partner.objects.none(),
        required=False,
        help_text=_("With “Assigned partners only”, only these partners see the pack."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        model = Pack
        fields = [
            "name",
            "price",
            "channel",
            "country",
            "networks",
            "billing_mode",
            "message_count",
            "validity_count",
            "validity_unit",
            "available_from",
            "available_until",
            "audience",
            "assigned_partners",
            "is_active",
        ]
        widgets = {
            "available_from": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "available_until": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }

    def __init__(self, *args: Any, caller: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: PartnerMultipleChoiceField = self.fields["assigned_partners"]  # type: ignore[assignment]
        field.queryset = partners_below(caller)
        field.root_depth = caller.depth + 1
        self.fields["validity_count"].help_text = _("How long a bought pack can be used; ignored with “No limit”.")
        self.fields["price"].help_text = _("In your currency (%(currency)s).") % {"currency": caller.currency}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        country, networks = data.get("country"), data.get("networks") or []
        wrong = [network.name for network in networks if country is not None and network.country_id != country.pk]
        if wrong:
            self.add_error("networks", _("Not networks of the chosen country: %s") % ", ".join(wrong))
        return data


class RatePlanForm(forms.ModelForm):
    assigned_partners = PartnerMultipleChoiceField(
        label=_("Assigned partners"),
        queryset=Partner.objects.none(),
        required=False,
        help_text=_("They see the plan even with “Assigned partners only”; a reseller plan is seen by them alone."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        model = RatePlan
        fields = [
            "name",
            "channel",
            "billing_mode",
            "description",
            "is_reseller_plan",
            "audience",
            "assigned_partners",
            "is_active",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, caller: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: PartnerMultipleChoiceField = self.fields["assigned_partners"]  # type: ignore[assignment]
        field.queryset = partners_below(caller)
        field.root_depth = caller.depth + 1


class RateForm(forms.ModelForm):
    country = CountryChoiceField(label=_("Country"), queryset=Country.objects.all())
    network = NetworkChoiceField(
        label=_("Network"),
        queryset=Network.objects.select_related("country"),
        required=False,
        empty_label=_("All networks"),
    )

    class Meta:
        model = Rate
        fields = ["country", "network", "price", "end_date"]
        widgets = {"end_date": forms.DateInput(attrs={"type": "date"})}


class RatesTableForm(forms.Form):
    """One price and end date input per rate of the plan."""

    def __init__(self, *args: Any, rates: list[Rate], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rates = rates
        for rate in rates:
            self.fields[f"price_{rate.pk}"] = forms.DecimalField(
                label=_("Cost per message"), max_digits=12, decimal_places=5, min_value=Decimal(0), initial=rate.price
            )
            self.fields[f"end_date_{rate.pk}"] = forms.DateField(
                label=_("End date"),
                required=False,
                initial=rate.end_date,
                widget=forms.DateInput(attrs={"type": "date"}),
            )

    def rows(self) -> list[tuple[Rate, forms.BoundField, forms.BoundField]]:
        return [(rate, self[f"price_{rate.pk}"], self[f"end_date_{rate.pk}"]) for rate in self.rates]

    def changes(self) -> dict[int, tuple[Decimal, date | None]]:
        return {
            rate.pk: (self.cleaned_data[f"price_{rate.pk}"], self.cleaned_data[f"end_date_{rate.pk}"])
            for rate in self.rates
        }


class AssignForm(forms.Form):
    partners = PartnerMultipleChoiceField(
        label=_("Partners"), queryset=Partner.objects.none(), widget=forms.SelectMultiple(attrs={"size": 8})
    )
    subscribe = forms.BooleanField(
        label=_("Also put them on this plan now (replaces their current plan for the channel)"), required=False
    )

    def __init__(self, *args: Any, caller: Partner, with_subscribe: bool, resellers_only: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field: PartnerMultipleChoiceField = self.fields["partners"]  # type: ignore[assignment]
        queryset = partners_below(caller)
        field.queryset = queryset.filter(kind=Partner.Kind.RESELLER) if resellers_only else queryset
        field.root_depth = caller.depth + 1
        if not with_subscribe:
            del self.fields["subscribe"]


class DeriveForm(forms.Form):
    name = forms.CharField(label=_("Name of your plan"), max_length=120)
    markup_percent = forms.DecimalField(
        label=_("Markup, %"), max_digits=7, decimal_places=2, min_value=Decimal(0), initial=Decimal(10)
    )
    is_reseller_plan = forms.BooleanField(label=_("Reseller plan (for the resellers below you)"), required=False)


# Money and requests --------------------------------------------------------------------------------------------


class PaymentForm(forms.Form):
    partner = PartnerChoiceField(label=_("Partner"), queryset=Partner.objects.none())
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=14,
        decimal_places=2,
        help_text=_("Positive: a payment received. Negative: a correction that takes money off the balance."),
    )
    description = forms.CharField(label=_("Description"), max_length=255, required=False)

    def __init__(self, *args: Any, caller: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: PartnerChoiceField = self.fields["partner"]  # type: ignore[assignment]
        field.queryset = Partner.objects.below(caller)
        field.root_depth = caller.depth

    def clean_amount(self) -> Decimal:
        amount: Decimal = self.cleaned_data["amount"]
        if not amount:
            raise ValidationError(_("The amount must not be zero."), code="zero")
        return amount


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RatePlanGrantForm(forms.Form):
    plan = forms.ModelChoiceField(
        label=_("Put the partner on"),
        queryset=RatePlan.objects.none(),
        required=False,
        empty_label=_("No plan now (I will assign one later)"),
    )

    def __init__(self, *args: Any, caller: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = RatePlan.objects.filter(  # type: ignore[attr-defined]
            partner=caller, is_active=True, is_reseller_plan=False
        )

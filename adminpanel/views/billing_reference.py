"""The E.212 / E.164 reference book: every AP user browses it; system owners edit it and load it from CSV.

The book is shared platform data, not owned by a tenant, so its pages address rows by their natural
keys (ISO code, MCC-MNC, prefix digits) rather than database ids.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from adminpanel.billing_forms import CountryForm, CsvUploadForm, NetworkFilterForm, NetworkForm, PrefixForm
from adminpanel.views.base import FilteredListView, SectionMixin, disable_form
from billing import services
from billing.models import Country, Network, NumberPrefix
from tenancy.models import Partner
from tenancy.views import AdminPanelMixin, BadRequestOnInvalidMixin, apply_service_error, caller_partner, report_errors

PREFIXES_SHOWN = 300


class ReferenceBookMixin(SectionMixin, AdminPanelMixin):
    section = "reference_book"
    request: HttpRequest

    @property
    def can_edit(self) -> bool:
        return caller_partner(self.request).kind == Partner.Kind.OWNER

    def require_editor(self) -> None:
        if not self.can_edit:
            raise PermissionDenied(_("Only the system owner edits the reference book."))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(can_edit=self.can_edit, **kwargs)  # type: ignore[misc,no-any-return]


class NetworkListView(ReferenceBookMixin, FilteredListView):
    model = Network
    template_name = "adminpanel/billing/network_list.html"
    filter_form_class = NetworkFilterForm
    search_fields = ("name", "country__name", "mcc", "country__iso_code")

    def get_queryset(self) -> QuerySet[Any]:
        search = (self.filters.get("q") or "").strip()
        if search.isdigit() and len(search) > 3:  # an MCCMNC
            return self.filter_queryset(Network.objects.filter(mcc=search[:3], mnc=search[3:]), self.filters)
        return super().get_queryset()

    def filter_queryset(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        if filters.get("country"):
            queryset = queryset.filter(country=filters["country"])
        return (
            queryset.select_related("country")
            .annotate(prefix_count=Count("prefixes"))
            .order_by("country__name", "mcc", "mnc")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            country_count=Country.objects.count(), prefix_total=NumberPrefix.objects.count(), **kwargs
        )


def _network(mcc: str, mnc: str) -> Network:
    return get_object_or_404(Network.objects.select_related("country"), mcc=mcc, mnc=mnc)


class NetworkEditView(BadRequestOnInvalidMixin, ReferenceBookMixin, FormView):
    """Edit a network (create one without ``mcc``/``mnc`` in the URL) and its number prefixes."""

    template_name = "adminpanel/billing/network_form.html"
    form_class = NetworkForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.network = _network(kwargs["mcc"], kwargs["mnc"]) if "mcc" in kwargs else None
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "instance": self.network}

    def get_form(self, form_class: Any = None) -> NetworkForm:
        form: NetworkForm = super().get_form(form_class)
        if not self.can_edit:
            disable_form(form)
        return form

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        prefixes = self.network.prefixes.order_by("prefix") if self.network else NumberPrefix.objects.none()
        return super().get_context_data(
            network=self.network,
            prefixes=list(prefixes[:PREFIXES_SHOWN]),
            prefix_count=prefixes.count(),
            prefixes_shown=PREFIXES_SHOWN,
            prefix_form=PrefixForm(),
            **kwargs,
        )

    def form_valid(self, form: NetworkForm) -> HttpResponse:
        self.require_editor()
        try:
            network = services.network_save(network=form.save(commit=False))
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Network %(name)s is saved.") % {"name": network.name})
        return redirect("adminpanel:network_edit", mcc=network.mcc, mnc=network.mnc)


class CountryEditView(BadRequestOnInvalidMixin, ReferenceBookMixin, FormView):
    template_name = "adminpanel/billing/country_form.html"
    form_class = CountryForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.country = get_object_or_404(Country, iso_code=kwargs["iso"].upper())
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "instance": self.country}

    def get_form(self, form_class: Any = None) -> CountryForm:
        form: CountryForm = super().get_form(form_class)
        form.fields["iso_code"].disabled = True
        if not self.can_edit:
            disable_form(form)
        return form

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        networks = self.country.networks.annotate(prefix_count=Count("prefixes")).order_by("mcc", "mnc")
        return super().get_context_data(country=self.country, networks=networks, **kwargs)

    def form_valid(self, form: CountryForm) -> HttpResponse:
        self.require_editor()
        try:
            services.country_save(country=form.save(commit=False))
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Country %(name)s is saved.") % {"name": self.country.name})
        return redirect("adminpanel:country_edit", iso=self.country.iso_code)


class PrefixAddView(ReferenceBookMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, mcc: str, mnc: str) -> HttpResponse:
        self.require_editor()
        network = _network(mcc, mnc)
        form = PrefixForm(request.POST)
        if form.is_valid():
            try:
                services.prefix_add(network=network, prefix=form.cleaned_data["digits"])
            except ValidationError as error:
                report_errors(request, error)
            else:
                messages.success(request, _("The prefix is added."))
        else:
            messages.error(request, _("Give the prefix digits."))
        return redirect("adminpanel:network_edit", mcc=mcc, mnc=mnc)


class PrefixDeleteView(ReferenceBookMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, prefix: str) -> HttpResponse:
        self.require_editor()
        number_prefix = NumberPrefix.objects.select_related("network").filter(prefix=prefix).first()
        if number_prefix is None:
            raise Http404
        services.prefix_delete(number_prefix=number_prefix)
        messages.success(request, _("Prefix +%(prefix)s is removed.") % {"prefix": prefix})
        network = number_prefix.network
        return redirect("adminpanel:network_edit", mcc=network.mcc, mnc=network.mnc)


class ReferenceBookUploadView(BadRequestOnInvalidMixin, ReferenceBookMixin, FormView):
    """Load countries and networks from CSV: every line is valid, or nothing changes."""

    template_name = "adminpanel/billing/book_upload.html"
    form_class = CsvUploadForm

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_editor()
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: CsvUploadForm) -> HttpResponse:
        try:
            rows = services.parse_book_csv(form.cleaned_data["file"])
            report = services.reference_book_load(rows=rows)
        except ValidationError as error:
            form.add_error("file", error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Loaded %(countries)d countries, %(networks)d networks and %(prefixes)d number prefixes.")
            % {"countries": report.countries, "networks": report.networks, "prefixes": report.prefixes},
        )
        return redirect(reverse("adminpanel:network_list"))


class ReferenceBookExportView(ReferenceBookMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse(services.reference_book_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="reference-book.csv"'
        return response

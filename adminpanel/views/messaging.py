"""Vendors, routes and the queue view: the system owner's delivery set-up (owners only).

Resellers see none of it: the list pages answer 403 and the pages of one vendor or route 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import CreateView, TemplateView, UpdateView
from django.views.generic.detail import SingleObjectMixin

from adminpanel.messaging_forms import RouteFilterForm, RouteForm, VendorFilterForm, VendorForm
from adminpanel.views.base import FilteredListView, SectionMixin, ServiceFormMixin
from messaging import selectors, services
from messaging.models import Route, Vendor
from tenancy.models import Partner
from tenancy.views import AdminPanelMixin, SubtreeScopedMixin, caller_partner, caller_user


class OwnerGate(View):
    """Placed after the tenancy mixins: ``request.partner`` is known; only system owners go on."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if caller_partner(request).kind != Partner.Kind.OWNER:
            if "pk" in kwargs:
                raise Http404
            raise PermissionDenied(_("Only the system owner manages vendors and routes."))
        return super().dispatch(request, *args, **kwargs)


# Vendors ----------------------------------------------------------------------------------------------------------


class VendorListView(FilteredListView, OwnerGate):
    model = Vendor
    section = "vendors"
    template_name = "adminpanel/messaging/vendor_list.html"
    filter_form_class = VendorFilterForm
    search_fields = ("name", "code")

    def filter_queryset(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        if filters.get("connector"):
            queryset = queryset.filter(connector=filters["connector"])
        return queryset.annotate(route_count=Count("routes", filter=Q(routes__enabled=True))).order_by("name", "pk")


class VendorCreateView(SectionMixin, AdminPanelMixin, ServiceFormMixin, CreateView, OwnerGate):
    model = Vendor
    section = "vendors"
    template_name = "adminpanel/messaging/vendor_form.html"
    form_class = VendorForm
    success_url = reverse_lazy("adminpanel:vendor_list")
    success_message = gettext_lazy("Vendor %(object)s is saved.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "instance": Vendor(partner=caller_partner(self.request))}

    def perform(self, form: VendorForm) -> Vendor:
        return services.vendor_save(vendor=form.save(commit=False), by=caller_user(self.request))


class VendorEditView(SectionMixin, SubtreeScopedMixin, ServiceFormMixin, UpdateView, OwnerGate):
    model = Vendor
    section = "vendors"
    template_name = "adminpanel/messaging/vendor_form.html"
    form_class = VendorForm
    success_url = reverse_lazy("adminpanel:vendor_list")
    success_message = gettext_lazy("Vendor %(object)s is saved.")

    def get_queryset(self) -> QuerySet[Any]:
        return Vendor.objects.filter(partner=caller_partner(self.request))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        dlr_url = self.request.build_absolute_uri(f"/hooks/vendors/{self.object.code}/dlr")
        mo_url = self.request.build_absolute_uri(f"/hooks/vendors/{self.object.code}/mo")
        return super().get_context_data(dlr_url=dlr_url, mo_url=mo_url, **kwargs)

    def perform(self, form: VendorForm) -> Vendor:
        return services.vendor_save(vendor=form.save(commit=False), by=caller_user(self.request))


class VendorTokenView(SubtreeScopedMixin, SingleObjectMixin, OwnerGate):
    """POST: a new delivery report token for the vendor."""

    model = Vendor
    http_method_names = ["post"]

    def get_queryset(self) -> QuerySet[Any]:
        return Vendor.objects.filter(partner=caller_partner(self.request))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        vendor = self.get_object()
        services.vendor_new_token(vendor=vendor, by=caller_user(request))
        messages.success(request, _("The vendor has a new delivery report token; give it to the vendor."))
        return redirect("adminpanel:vendor_edit", pk=vendor.pk)


# Routes -----------------------------------------------------------------------------------------------------------


class RouteListView(FilteredListView, OwnerGate):
    model = Route
    section = "routes"
    template_name = "adminpanel/messaging/route_list.html"
    filter_form_class = RouteFilterForm
    search_fields = ("country__name", "network__name", "vendor__name")

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().filter(partner=caller_partner(self.request))

    def filter_queryset(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        if filters.get("channel"):
            queryset = queryset.filter(channel=filters["channel"])
        return queryset.select_related("country", "network", "vendor")


class RouteFormMixin(SectionMixin, ServiceFormMixin):
    section = "routes"
    success_message = gettext_lazy("Route %(object)s is saved.")
    request: HttpRequest

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().get_form_kwargs()  # type: ignore[misc]
        return {**kwargs, "owner": caller_partner(self.request)}

    def perform(self, form: RouteForm) -> Route:
        try:
            route = form.save(commit=False)
        except ValueError as error:
            raise ValidationError(str(error)) from error
        return services.route_save(route=route, by=caller_user(self.request))


class RouteCreateView(RouteFormMixin, AdminPanelMixin, CreateView, OwnerGate):
    model = Route
    template_name = "adminpanel/messaging/route_form.html"
    form_class = RouteForm
    success_url = reverse_lazy("adminpanel:route_list")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "instance": Route(partner=caller_partner(self.request))}


class RouteEditView(RouteFormMixin, SubtreeScopedMixin, UpdateView, OwnerGate):
    model = Route
    template_name = "adminpanel/messaging/route_form.html"
    form_class = RouteForm
    success_url = reverse_lazy("adminpanel:route_list")

    def get_queryset(self) -> QuerySet[Any]:
        return Route.objects.filter(partner=caller_partner(self.request))


class RouteDeleteView(SubtreeScopedMixin, SingleObjectMixin, OwnerGate):
    model = Route
    http_method_names = ["post"]

    def get_queryset(self) -> QuerySet[Any]:
        return Route.objects.filter(partner=caller_partner(self.request))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        route = self.get_object()
        services.route_delete(route=route, by=caller_user(request))
        messages.success(request, _("The route is deleted."))
        return redirect("adminpanel:route_list")


# Queues -----------------------------------------------------------------------------------------------------------


class QueueView(SectionMixin, AdminPanelMixin, TemplateView, OwnerGate):
    section = "queues"
    template_name = "adminpanel/messaging/queues.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        overview = selectors.queue_overview(owner=caller_partner(self.request))
        return super().get_context_data(overview=overview, windows=selectors.WINDOWS, **kwargs)

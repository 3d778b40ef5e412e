"""White-label portals of the caller's subtree: list, create, edit (settings and host names)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy
from django.views.generic import CreateView, UpdateView

from adminpanel.forms import PortalFilterForm, PortalForm
from adminpanel.views.base import FilteredListView, SectionMixin, ServiceFormMixin
from tenancy import services
from tenancy.models import Portal
from tenancy.views import AdminPanelMixin, SubtreeScopedMixin, caller_partner, caller_user


class PortalListView(FilteredListView):
    model = Portal
    section = "portals"
    template_name = "adminpanel/portal_list.html"
    filter_form_class = PortalFilterForm
    search_fields = ("brand_name", "hosts__name")

    def filter_queryset(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        if filters.get("q"):
            queryset = queryset.distinct()
        return queryset.select_related("partner").prefetch_related("hosts").order_by("brand_name", "pk")


class PortalFormMixin(SectionMixin, ServiceFormMixin):
    section = "portals"
    success_message = gettext_lazy("Portal %(object)s is saved.")
    object: Portal | None

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().get_form_kwargs()  # type: ignore[misc]
        kwargs["caller"] = caller_partner(self.request)
        current = self.request.portal  # type: ignore[attr-defined]
        if self.object is not None and current is not None and self.object.pk == current.pk:
            kwargs["current_host"] = self.request.get_host().rsplit(":", 1)[0].strip("[]").lower()
        return kwargs

    def perform(self, form: PortalForm) -> Portal:
        portal: Portal = form.save(commit=False)
        return services.portal_save(
            portal=portal,
            hosts=form.cleaned_data["hosts"],
            by=caller_user(self.request),
            logo_cleared=form.cleaned_data.get("logo") is False,
        )


class PortalCreateView(PortalFormMixin, AdminPanelMixin, CreateView):
    model = Portal
    template_name = "adminpanel/portal_form.html"
    form_class = PortalForm
    success_url = reverse_lazy("adminpanel:portal_list")


class PortalEditView(PortalFormMixin, SubtreeScopedMixin, UpdateView):
    model = Portal
    template_name = "adminpanel/portal_form.html"
    form_class = PortalForm
    success_url = reverse_lazy("adminpanel:portal_list")

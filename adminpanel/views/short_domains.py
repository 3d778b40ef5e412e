"""URL Shortener: the system owner's short domains and the partners that may use them (owners only)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy
from django.views.generic import CreateView, UpdateView

from adminpanel.shortener_forms import ShortDomainFilterForm, ShortDomainForm
from adminpanel.views.base import FilteredListView, SectionMixin, ServiceFormMixin
from adminpanel.views.messaging import OwnerGate
from shortener.models import ShortDomain
from shortener.services import short_domain_save
from tenancy.views import AdminPanelMixin, SubtreeScopedMixin, caller_partner, caller_user


class ShortDomainListView(FilteredListView, OwnerGate):
    model = ShortDomain
    section = "short_domains"
    template_name = "adminpanel/short_domain_list.html"
    filter_form_class = ShortDomainFilterForm
    search_fields = ("name",)

    def filter_queryset(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        queryset = queryset.filter(partner=caller_partner(self.request))
        if filters.get("status"):
            queryset = queryset.filter(is_active=filters["status"] == "active")
        return queryset.annotate(
            partner_count=Count("partners", distinct=True), link_count=Count("links", distinct=True)
        ).order_by("name")


class ShortDomainFormMixin(SectionMixin, ServiceFormMixin):
    section = "short_domains"
    success_message = gettext_lazy("Short domain %(object)s is saved.")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().get_form_kwargs()  # type: ignore[misc]
        kwargs["owner"] = caller_partner(self.request)
        return kwargs

    def perform(self, form: ShortDomainForm) -> ShortDomain:
        domain: ShortDomain = form.save(commit=False)
        return short_domain_save(domain=domain, partners=form.cleaned_data["partners"], by=caller_user(self.request))


class ShortDomainCreateView(ShortDomainFormMixin, AdminPanelMixin, CreateView, OwnerGate):
    model = ShortDomain
    template_name = "adminpanel/short_domain_form.html"
    form_class = ShortDomainForm
    success_url = reverse_lazy("adminpanel:short_domain_list")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "instance": ShortDomain(partner=caller_partner(self.request))}


class ShortDomainEditView(ShortDomainFormMixin, SubtreeScopedMixin, UpdateView, OwnerGate):
    model = ShortDomain
    template_name = "adminpanel/short_domain_form.html"
    form_class = ShortDomainForm
    success_url = reverse_lazy("adminpanel:short_domain_list")

    def get_queryset(self) -> QuerySet[Any]:
        return ShortDomain.objects.filter(partner=caller_partner(self.request))

"""Form Customization: the caller's own extra fields of the registration and sender ID request forms.

The caller sees the fields of its whole subtree (to know what its resellers ask for) and those
inherited from the partners above it, but changes only its own.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import CreateView, DetailView, UpdateView

from adminpanel.forms import CustomFieldFilterForm, CustomFieldForm
from adminpanel.views.base import FilteredListView, OwnRowEditMixin, SectionMixin, ServiceFormMixin
from tenancy import services
from tenancy.models import CustomField
from tenancy.views import AdminPanelMixin, SubtreeScopedMixin, caller_partner, caller_user, report_errors


class CustomFieldListView(FilteredListView):
    model = CustomField
    section = "custom_fields"
    template_name = "adminpanel/custom_field_list.html"
    filter_form_class = CustomFieldFilterForm
    search_fields = ("label", "key")

    def filter_queryset(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        if filters.get("form"):
            queryset = queryset.filter(form=filters["form"])
        return queryset.select_related("partner").order_by("partner__path", "form", "position", "pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        partner = caller_partner(self.request)
        inherited = (
            CustomField.objects.filter(partner__in=partner.chain())
            .exclude(partner=partner)
            .select_related("partner")
            .order_by("partner__depth", "form", "position", "pk")
        )
        if self.filters.get("form"):
            inherited = inherited.filter(form=self.filters["form"])
        return super().get_context_data(inherited=list(inherited), **kwargs)


class CustomFieldFormMixin(SectionMixin, ServiceFormMixin):
    section = "custom_fields"
    success_message = gettext_lazy("Field %(object)s is saved.")

    def perform(self, form: CustomFieldForm) -> CustomField:
        return services.custom_field_save(field=form.save(commit=False), by=caller_user(self.request))


class CustomFieldCreateView(CustomFieldFormMixin, AdminPanelMixin, CreateView):
    model = CustomField
    template_name = "adminpanel/custom_field_form.html"
    form_class = CustomFieldForm
    success_url = reverse_lazy("adminpanel:custom_field_list")

    def get_form_kwargs(self) -> dict[str, Any]:
        partner = caller_partner(self.request)
        return {**super().get_form_kwargs(), "instance": CustomField(partner=partner), "partner": partner}


class CustomFieldEditView(OwnRowEditMixin, CustomFieldFormMixin, SubtreeScopedMixin, UpdateView):
    """Own fields are edited; a field of a partner below is shown read-only."""

    model = CustomField
    template_name = "adminpanel/custom_field_form.html"
    form_class = CustomFieldForm
    success_url = reverse_lazy("adminpanel:custom_field_list")

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("partner")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "partner": self.object.partner}


class CustomFieldDeleteView(SectionMixin, SubtreeScopedMixin, DetailView):
    """GET asks for confirmation, POST deletes through the service."""

    model = CustomField
    section = "custom_fields"
    template_name = "adminpanel/custom_field_confirm_delete.html"

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("partner")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        own = self.object.partner_id == caller_partner(self.request).pk
        return super().get_context_data(read_only=not own, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        try:
            services.custom_field_delete(field=self.object, by=caller_user(request))
        except ValidationError as error:
            report_errors(request, error)
            return redirect("adminpanel:custom_field_list")
        messages.success(request, _("Field %(label)s is deleted.") % {"label": self.object.label})
        return redirect("adminpanel:custom_field_list")

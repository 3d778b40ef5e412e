"""Partners below the caller: list, create, edit options, disable / enable."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Length, Substr
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, UpdateView

from adminpanel.forms import PartnerCreateForm, PartnerFilterForm, PartnerOptionsForm
from adminpanel.views.base import FilteredListView, OwnRowEditMixin, SectionMixin, ServiceFormMixin, SetActiveView
from tenancy import services
from tenancy.models import Partner
from tenancy.views import AdminPanelMixin, SubtreeScopedMixin, caller_partner, caller_user

OPTION_FIELDS = PartnerOptionsForm.Meta.fields


def with_parent_name(queryset: QuerySet[Partner]) -> QuerySet[Partner]:
    """Annotate each partner with its parent's name in the same query (the tree has no parent key)."""
    parent_path = Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Partner.steplen)
    parent = Partner.objects.filter(path=parent_path).order_by().values("name")[:1]
    return queryset.annotate(parent_name=Subquery(parent))


class PartnerListView(FilteredListView):
    model = Partner
    section = "partners"
    template_name = "adminpanel/partner_list.html"
    filter_form_class = PartnerFilterForm
    search_fields = ("name",)

    def get_queryset(self) -> QuerySet[Any]:
        # visible_to without the caller itself: its own options are set by the partner above it
        return super().get_queryset().exclude(pk=caller_partner(self.request).pk)

    def filter_queryset(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        if filters.get("kind"):
            queryset = queryset.filter(kind=filters["kind"])
        if filters.get("status"):
            queryset = queryset.filter(is_active=filters["status"] == "active")
        return with_parent_name(queryset).annotate(user_count=Count("users")).order_by("path")


class PartnerCreateView(SectionMixin, AdminPanelMixin, ServiceFormMixin, FormView):
    section = "partners"
    template_name = "adminpanel/partner_form.html"
    form_class = PartnerCreateForm
    success_url = reverse_lazy("adminpanel:partner_list")
    success_message = gettext_lazy("Partner %(object)s is created.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "caller": caller_partner(self.request)}

    def perform(self, form: PartnerCreateForm) -> Partner:
        data = form.cleaned_data
        return services.partner_create(
            parent=data["parent"],
            kind=data["kind"],
            by=caller_user(self.request),
            **{field: data[field] for field in OPTION_FIELDS},
        )


class PartnerEditView(OwnRowEditMixin, SectionMixin, SubtreeScopedMixin, ServiceFormMixin, UpdateView):
    """Options of a partner below; the caller's own options (set by the partner above it) are shown read-only."""

    model = Partner
    section = "partners"
    template_name = "adminpanel/partner_form.html"
    form_class = PartnerOptionsForm
    success_url = reverse_lazy("adminpanel:partner_list")
    success_message = gettext_lazy("The options of %(object)s are saved.")

    @property
    def read_only(self) -> bool:
        return bool(self.object.pk == caller_partner(self.request).pk)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(parent=Partner.objects.get_parent(self.object), **kwargs)

    def perform(self, form: PartnerOptionsForm) -> Partner:
        data = form.cleaned_data
        return services.partner_update(
            partner=self.object, by=caller_user(self.request), **{field: data[field] for field in OPTION_FIELDS}
        )


class PartnerSetActiveView(SetActiveView):
    model = Partner

    fallback_url = reverse_lazy("adminpanel:partner_list")

    def change(self, obj: Partner) -> None:
        services.partner_set_active(partner=obj, active=self.active, by=caller_user(self.request))

    def message(self, obj: Partner) -> str:
        if self.active:
            return _("Partner %(name)s is enabled.") % {"name": obj.name}
        return _("Partner %(name)s is disabled; its users and the partners below it cannot sign in.") % {
            "name": obj.name
        }

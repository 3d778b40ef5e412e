"""Users of the caller's subtree: list, create (with an e-mailed password), disable / enable."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView

from adminpanel.forms import UserCreateForm, UserFilterForm
from adminpanel.views.base import FilteredListView, SectionMixin, ServiceFormMixin, SetActiveView
from tenancy import services
from tenancy.models import User
from tenancy.views import AdminPanelMixin, caller_partner, caller_user


class UserListView(FilteredListView):
    model = User
    section = "users"
    template_name = "adminpanel/user_list.html"
    filter_form_class = UserFilterForm
    search_fields = ("email", "first_name", "last_name")

    def filter_queryset(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        if filters.get("partner"):
            queryset = queryset.filter(partner=filters["partner"])
        if filters.get("status"):
            queryset = queryset.filter(is_active=filters["status"] == "active")
        return queryset.select_related("partner").order_by("email")


class UserCreateView(SectionMixin, AdminPanelMixin, ServiceFormMixin, FormView):
    section = "users"
    template_name = "adminpanel/user_form.html"
    form_class = UserCreateForm
    success_url = reverse_lazy("adminpanel:user_list")
    success_message = gettext_lazy("User %(object)s is created; the password is e-mailed to them.")

    def get_initial(self) -> dict[str, Any]:
        partner_id = self.request.GET.get("partner", "")
        initial: dict[str, Any] = {"language": caller_user(self.request).language}
        if partner_id.isdigit():
            initial["partner"] = int(partner_id)
        return initial

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "caller": caller_partner(self.request)}

    def perform(self, form: UserCreateForm) -> User:
        data = form.cleaned_data
        return services.user_create(
            partner=data["partner"],
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            language=data["language"],
            portal=self.request.portal,  # type: ignore[attr-defined]
            by=caller_user(self.request),
        )


class UserSetActiveView(SetActiveView):
    model = User

    fallback_url = reverse_lazy("adminpanel:user_list")

    def change(self, obj: User) -> None:
        services.user_set_active(user=obj, active=self.active, by=caller_user(self.request))

    def message(self, obj: User) -> str:
        if self.active:
            return _("User %(email)s is enabled.") % {"email": obj.email}
        return _("User %(email)s is disabled.") % {"email": obj.email}

"""Building blocks of the Admin Panel pages: section highlighting, filtered lists, service-backed forms."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views import View
from django.views.generic import ListView
from django.views.generic.detail import SingleObjectMixin

from adminpanel.forms import ListFilterForm
from tenancy.views import (
    BadRequestOnInvalidMixin,
    ObjectActionMixin,
    SubtreeScopedMixin,
    apply_service_error,
    caller_partner,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DEFAULT_PER_PAGE = 20


class SectionMixin:
    """Names the menu entry to highlight (``section``) for the AP navigation."""

    section = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["section"] = self.section
        return context


class FilteredListView(SectionMixin, SubtreeScopedMixin, ListView):  # type: ignore[misc]
    """A list page over the caller's subtree with a filter bar, free-text search and 20/50/100 rows per page."""

    filter_form_class: type[ListFilterForm] = ListFilterForm
    search_fields: tuple[str, ...] = ()

    @cached_property
    def filter_form(self) -> ListFilterForm:
        form = self.filter_form_class(self.request.GET or None, partner=caller_partner(self.request))  # type: ignore[call-arg]
        form.is_valid()  # invalid values are simply not applied
        return form

    @property
    def filters(self) -> dict[str, Any]:
        return getattr(self.filter_form, "cleaned_data", {})

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()
        search = (self.filters.get("q") or "").strip()
        if search and self.search_fields:
            condition = Q()
            for name in self.search_fields:
                condition |= Q(**{f"{name}__icontains": search})
            queryset = queryset.filter(condition)
        return self.filter_queryset(queryset, self.filters)

    def filter_queryset(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        return queryset

    def get_paginate_by(self, queryset: QuerySet[Any]) -> int:
        return int(self.filters.get("per_page") or DEFAULT_PER_PAGE)

    def paginate_queryset(self, queryset: Any, page_size: int) -> tuple[Paginator, Page, Any, bool]:
        """Like ListView's, but an out-of-range page shows the last page instead of a 404."""
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        params = self.request.GET.copy()
        params.pop("page", None)
        return super().get_context_data(
            filter_form=self.filter_form,
            query_string=params.urlencode(),
            is_filtered=any(value for key, value in self.filters.items() if key != "per_page"),
            **kwargs,
        )


class ServiceFormMixin(BadRequestOnInvalidMixin):
    """Form views whose ``perform`` calls a service; a service ValidationError is shown on the form."""

    success_message: StrOrPromise = ""
    request: HttpRequest

    def perform(self, form: Any) -> Any:
        raise NotImplementedError

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            self.object = self.perform(form)
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)  # type: ignore[attr-defined,no-any-return]
        if self.success_message:
            messages.success(self.request, self.success_message % {"object": self.object})
        return redirect(self.get_success_url())  # type: ignore[attr-defined]


def disable_form(form: forms.BaseForm) -> None:
    """Show a form read-only (the caller may see the row but not change it)."""
    for field in form.fields.values():
        field.disabled = True


class OwnRowEditMixin:
    """Edit pages where the caller changes its own rows only; rows of the partners below are shown read-only."""

    request: HttpRequest
    object: Any

    @property
    def read_only(self) -> bool:
        return bool(self.object.partner_id != caller_partner(self.request).pk)

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)  # type: ignore[misc]
        if self.read_only:
            disable_form(form)
        return form

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(read_only=self.read_only, **kwargs)  # type: ignore[misc,no-any-return]


class SetActiveView(ObjectActionMixin, SubtreeScopedMixin, SingleObjectMixin, View):
    """POST-only disable / enable of a row in the caller's subtree through a service."""

    active = True

    def change(self, obj: Any) -> None:
        raise NotImplementedError

    def message(self, obj: Any) -> str:
        raise NotImplementedError

    def act(self, obj: Any) -> str:
        self.change(obj)
        return self.message(obj)

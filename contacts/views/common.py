"""Helpers shared by the Contacts pages: the object form view, selections for mass actions, the paginator."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.views.generic import FormView

from contacts import selectors
from contacts.forms import ContactFilterForm
from contacts.models import Contact, ContactField
from tenancy.models import Partner
from tenancy.views import ObjectFormMixin, PartnerScopedMixin

MAX_CHECKED_IDS = 1000


class PartnerObjectFormView(PartnerScopedMixin, ObjectFormMixin, FormView):  # type: ignore[misc]
    """A form about one row of the signed-in partner, loaded as ``self.object`` before GET and POST."""


def checked_ids(request: HttpRequest) -> list[int]:
    raw = request.POST.get("ids", "")
    return [int(value) for value in raw.split(",") if value.strip().isdigit()][:MAX_CHECKED_IDS]


def query_string(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def contact_fields(partner: Partner) -> list[ContactField]:
    return list(ContactField.objects.for_partner(partner))


def filtered_contacts(
    partner: Partner,
    params: QueryDict,
    fields: list[ContactField],
    *,
    stop_list: bool = False,
    tree: list[tuple[Any, int]] | None = None,
) -> tuple[ContactFilterForm, Any]:
    """The filter form and the contacts it selects (the stop list shows contacts with a block only)."""
    form = ContactFilterForm(params or None, partner=partner, fields=fields, stop_list=stop_list, tree=tree)
    form.is_valid()
    contacts = selectors.contact_list(partner=partner, filters=getattr(form, "cleaned_data", {}), fields=fields)
    if stop_list:
        contacts = contacts.stop_listed()
    return form, contacts


def selected_contacts(
    request: HttpRequest, partner: Partner, fields: list[ContactField], *, stop_list: bool = False
) -> Any:
    """The contacts a mass action works on: the checked rows, or every row the filters select ("select all")."""
    if request.POST.get("select_all") == "1":
        params = QueryDict(request.POST.get("query", ""))
        return filtered_contacts(partner, params, fields, stop_list=stop_list)[1]
    return Contact.objects.for_partner(partner).filter(pk__in=checked_ids(request))


def local_date(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


class ContactPaginator(Paginator):
    """Counts exactly up to ``CAP`` rows and estimates above it, so a page of a million contacts stays fast.

    Counting a million rows costs more than the rest of the page; past ``CAP`` matches the total is the
    database planner's estimate (``approximate`` is then True). ``exact_count`` gives a cheap exact total
    when the caller has one (a group's members).
    """

    CAP = 10_000

    def __init__(self, *args: Any, exact_count: Callable[[], int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exact_count = exact_count
        self.approximate = False

    @cached_property
    def count(self) -> int:
        if self.exact_count is not None:
            return self.exact_count()
        queryset = self.object_list.order_by()  # type: ignore[attr-defined]
        capped = int(queryset[: self.CAP + 1].count())
        if capped <= self.CAP:
            return capped
        estimate = _planner_rows(queryset)
        if estimate is None:
            return int(queryset.count())
        self.approximate = True
        return max(estimate, self.CAP + 1)


def _planner_rows(queryset: Any) -> int | None:
    """The row count PostgreSQL's planner expects from ``queryset`` (None elsewhere)."""
    if connection.vendor != "postgresql":
        return None
    match = re.search(r"rows=(\d+)", queryset.explain())
    return int(match.group(1)) if match else None

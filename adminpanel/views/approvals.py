"""Approval events for any kind of request that climbs the partner tree (tenancy.approvals).

A kind plugs in with ``register_kind``: its events page is ``ApprovalEventsView.as_view(kind=...)``, and the
shared detail page shows the kind's own include (what is asked for) above the recorded steps and the
forward / decline / approve buttons. Sender IDs are the first kind; premoderation of campaigns and
templates and rate-plan requests follow the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView
from django.views.generic.detail import SingleObjectMixin

from adminpanel.forms import ListFilterForm
from adminpanel.views.base import FilteredListView, SectionMixin
from tenancy import approvals
from tenancy.models import ApprovalRequest, ApprovalStep, Partner
from tenancy.views import SubtreeScopedMixin, caller_partner, caller_user, report_errors

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class ApprovalKindUI:
    """How the Admin Panel shows one kind of approval request."""

    kind: str
    title: StrOrPromise  # heading of the kind's events page
    section: str  # menu entry to highlight
    events_url_name: str  # the kind's events page
    subject_template: str = ""  # include that shows what is asked for
    subject_context: Callable[[ApprovalRequest, Partner], dict[str, Any]] | None = None
    approve_form: type[forms.Form] | None = None  # fields of the final decision, passed as the payload
    approve_label: StrOrPromise = gettext_lazy("Approve")


_kinds: dict[str, ApprovalKindUI] = {}


def register_kind(ui: ApprovalKindUI) -> None:
    _kinds[ui.kind] = ui


def kind_ui(kind: str) -> ApprovalKindUI | None:
    return _kinds.get(kind)


class ApprovalFilterForm(ListFilterForm):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), *ApprovalRequest.Status.choices],
    )
    field_order = ["q", "status", "per_page"]

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = gettext_lazy("Request or partner")


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("The requester sees this reason."),
    )


class ApprovalEventsView(FilteredListView):
    """The queue of requests of one kind waiting for the caller, and the history of its whole subtree."""

    model = ApprovalRequest
    kind = ""
    template_name = "adminpanel/approvals/events.html"
    filter_form_class = ApprovalFilterForm
    search_fields = ("title", "partner__name")

    @property
    def ui(self) -> ApprovalKindUI:
        ui = kind_ui(self.kind)
        if ui is None:
            raise Http404
        return ui

    @property
    def section(self) -> str:  # type: ignore[override]
        return self.ui.section

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().filter(kind=self.kind)

    def filter_queryset(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        if filters.get("status"):
            queryset = queryset.filter(status=filters["status"])
        return queryset.select_related("partner", "requested_by", "current_partner").order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        partner = caller_partner(self.request)
        queue = list(approvals.approval_queue(partner=partner, kind=self.kind).order_by("created_at", "pk"))
        final = partner.kind == Partner.Kind.OWNER
        return super().get_context_data(ui=self.ui, queue=queue, final_level=final, **kwargs)


class ApprovalDetailView(SectionMixin, SubtreeScopedMixin, DetailView):
    """One request of the caller's subtree: what is asked, every step so far, and the caller's decision."""

    model = ApprovalRequest
    template_name = "adminpanel/approvals/detail.html"
    context_object_name = "approval"

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("partner", "requested_by", "current_partner")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        approval: ApprovalRequest = self.object
        partner = caller_partner(self.request)
        ui = kind_ui(approval.kind)
        waiting_here = approval.status == ApprovalRequest.Status.PENDING and approval.current_partner_id == partner.pk
        steps = ApprovalStep.objects.select_related("partner", "actor")
        prefetch_related_objects([approval], Prefetch("steps", queryset=steps))
        subject = ui.subject_context(approval, partner) if ui and ui.subject_context else {}
        context = {
            "ui": ui,
            "section": ui.section if ui else "",
            "steps": approvals.approval_steps_for(approval=approval, viewer=partner),
            "waiting_here": waiting_here,
            "final_level": waiting_here and approvals.is_final_level(approval),
            "decline_form": DeclineForm(),
            "approve_form": ui.approve_form() if ui and ui.approve_form else None,
            **subject,
        }
        return super().get_context_data(**context, **kwargs)


class ApprovalActionView(SubtreeScopedMixin, SingleObjectMixin, View):
    """POST forward / decline / approve on a request of the caller's subtree, through tenancy.approvals."""

    model = ApprovalRequest
    action = ""
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        approval: ApprovalRequest = self.get_object()
        ui = kind_ui(approval.kind)
        detail = reverse("adminpanel:approval_detail", args=[approval.pk])
        try:
            text = getattr(self, f"_{self.action}")(approval, ui)
        except ValidationError as error:
            report_errors(request, error)
            return redirect(detail)
        messages.success(request, text)
        return redirect(reverse(ui.events_url_name) if ui else detail)

    def _forward(self, approval: ApprovalRequest, ui: ApprovalKindUI | None) -> str:
        approval = approvals.approval_forward(approval=approval, by=caller_user(self.request))
        name = approval.current_partner.name if approval.current_partner else ""
        return _("“%(title)s” is forwarded to %(partner)s.") % {"title": approval.title, "partner": name}

    def _decline(self, approval: ApprovalRequest, ui: ApprovalKindUI | None) -> str:
        form = DeclineForm(self.request.POST)
        if not form.is_valid():
            raise ValidationError(_("Give a reason for the decline."), code="reason")
        approvals.approval_decline(approval=approval, by=caller_user(self.request), reason=form.cleaned_data["reason"])
        return _("“%(title)s” is declined.") % {"title": approval.title}

    def _approve(self, approval: ApprovalRequest, ui: ApprovalKindUI | None) -> str:
        payload: dict[str, Any] = {}
        if ui and ui.approve_form:
            form = ui.approve_form(self.request.POST)
            if not form.is_valid():
                raise ValidationError([error for errors in form.errors.values() for error in errors])
            payload = dict(form.cleaned_data)
        approvals.approval_approve(approval=approval, by=caller_user(self.request), payload=payload)
        return _("“%(title)s” is approved.") % {"title": approval.title}

"""Money of the caller's subtree: the ledger with details and rerating, payments and corrections,
top-up requests to confirm, and requests for rate plans."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.generic import DetailView, FormView
from django.views.generic.detail import SingleObjectMixin

from adminpanel.billing_forms import (
    DeclineForm,
    PaymentForm,
    RatePlanGrantForm,
    TopUpFilterForm,
    TransactionFilterForm,
)
from adminpanel.forms import ListFilterForm
from adminpanel.views.approvals import ApprovalKindUI, register_kind
from adminpanel.views.base import FilteredListView, SectionMixin
from billing import selectors, services
from billing.models import ACCUMULATING_TYPES, RatePlanRequest, TopUpRequest, Transaction
from billing.services.requests import GATEWAYS, RATE_PLAN_KIND, TOP_UP_KIND
from tenancy import approvals
from tenancy.models import ApprovalRequest, Partner
from tenancy.views import (
    AdminPanelMixin,
    BadRequestOnInvalidMixin,
    SubtreeScopedMixin,
    apply_service_error,
    back_to,
    caller_partner,
    caller_user,
    report_errors,
)


def _top_up_subject(approval: ApprovalRequest, viewer: Partner) -> dict[str, Any]:
    top_up = TopUpRequest.objects.filter(approval=approval).select_related("partner").first()
    method = GATEWAYS.get(top_up.method) if top_up else None
    return {"top_up": top_up, "method_label": method.label if method else ""}


def _rate_plan_request_subject(approval: ApprovalRequest, viewer: Partner) -> dict[str, Any]:
    return {"plan_request": RatePlanRequest.objects.filter(approval=approval).select_related("granted_plan").first()}


# The shared approval detail page (adminpanel.views.approvals) shows these requests too.
register_kind(
    ApprovalKindUI(
        kind=TOP_UP_KIND,
        title=_lazy("Top-up Requests"),
        section="top_ups",
        events_url_name="adminpanel:top_up_list",
        subject_template="adminpanel/billing/_top_up_subject.html",
        subject_context=_top_up_subject,
        approve_label=_lazy("Confirm"),
    )
)
register_kind(
    ApprovalKindUI(
        kind=RATE_PLAN_KIND,
        title=_lazy("Rate Plan Requests"),
        section="rate_plan_requests",
        events_url_name="adminpanel:rate_plan_request_list",
        subject_template="adminpanel/billing/_rate_plan_request_subject.html",
        subject_context=_rate_plan_request_subject,
    )
)


class TransactionListView(FilteredListView):
    model = Transaction
    section = "finance"
    template_name = "adminpanel/billing/transaction_list.html"
    filter_form_class = TransactionFilterForm
    search_fields = ("description", "reference")

    def filter_queryset(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        if filters.get("partner"):
            queryset = queryset.filter(partner=filters["partner"])
        queryset = selectors.transactions_by_type_and_date(queryset, filters)
        return queryset.select_related("partner", "initiator").order_by("-created_at", "-pk")


class TransactionDetailView(SectionMixin, SubtreeScopedMixin, DetailView):
    model = Transaction
    section = "finance"
    template_name = "adminpanel/billing/transaction_detail.html"

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("partner", "initiator", "rerated")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        entry: Transaction = self.object
        caller = caller_partner(self.request)
        return super().get_context_data(
            details=entry.details.select_related("country", "network", "rate_plan").order_by("mccmnc", "from_pack"),
            reratings=entry.reratings.order_by("created_at"),
            can_rerate=entry.type in ACCUMULATING_TYPES and entry.partner_id != caller.pk,
            **kwargs,
        )


class TransactionRerateView(SubtreeScopedMixin, SingleObjectMixin, View):
    model = Transaction
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        entry = self.get_object()
        try:
            rerating = services.rerate(entry=entry, by=caller_user(request))
        except ValidationError as error:
            report_errors(request, error)
        else:
            if rerating is None:
                messages.info(request, _("No rate changed: nothing to rerate."))
            else:
                messages.success(
                    request, _("Rerated: %(amount)s goes to the balance.") % {"amount": f"{rerating.amount:+.2f}"}
                )
                return redirect("adminpanel:transaction_detail", pk=rerating.pk)
        return redirect("adminpanel:transaction_detail", pk=entry.pk)


class PaymentCreateView(BadRequestOnInvalidMixin, SectionMixin, AdminPanelMixin, FormView):
    section = "finance"
    template_name = "adminpanel/billing/payment_form.html"
    form_class = PaymentForm
    success_url = reverse_lazy("adminpanel:transaction_list")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = {**super().get_form_kwargs(), "caller": caller_partner(self.request)}
        if self.request.method == "GET" and self.request.GET.get("partner"):
            kwargs["initial"] = {"partner": self.request.GET["partner"]}
        return kwargs

    def form_valid(self, form: PaymentForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            entry = services.payment_record(
                partner=data["partner"],
                amount=data["amount"],
                by=caller_user(self.request),
                description=data["description"],
            )
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(amount)s %(currency)s is recorded for %(partner)s.")
            % {"amount": f"{entry.amount:+.2f}", "currency": data["partner"].currency, "partner": data["partner"]},
        )
        return redirect(self.get_success_url())


# Requests from below -------------------------------------------------------------------------------------------


class TopUpListView(FilteredListView):
    model = TopUpRequest
    section = "top_ups"
    template_name = "adminpanel/billing/top_up_list.html"
    filter_form_class = TopUpFilterForm
    search_fields = ("partner__name",)

    def filter_queryset(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        if filters.get("status"):
            queryset = queryset.filter(status=filters["status"])
        return queryset.select_related("partner", "created_by", "approval", "transaction").order_by(
            "-created_at", "-pk"
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            decline_form=DeclineForm(),
            methods={code: gateway.label for code, gateway in GATEWAYS.items()},
            caller_id=caller_partner(self.request).pk,
            **kwargs,
        )


class TopUpDecisionView(SubtreeScopedMixin, SingleObjectMixin, View):
    """Confirm (credit the balance) or decline a bank transfer waiting for the caller."""

    model = TopUpRequest
    approve = True
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        top_up = self.get_object()
        try:
            if self.approve:
                services.top_up_confirm(top_up=top_up, by=caller_user(request))
                messages.success(request, _("The top-up is confirmed and the balance is credited."))
            else:
                form = DeclineForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("Give a reason for the decline."))
                services.top_up_decline(top_up=top_up, by=caller_user(request), reason=form.cleaned_data["reason"])
                messages.success(request, _("The top-up is declined."))
        except ValidationError as error:
            report_errors(request, error)
        return back_to(request, reverse("adminpanel:top_up_list"))


class RatePlanRequestFilterForm(ListFilterForm):
    def __init__(self, *args: Any, partner: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("Partner or comment")


class RatePlanRequestListView(FilteredListView):
    """Requests for rate plans from the partners directly below (the parent decides)."""

    model = RatePlanRequest
    section = "rate_plan_requests"
    template_name = "adminpanel/billing/rate_plan_request_list.html"
    filter_form_class = RatePlanRequestFilterForm

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset().exclude(partner=caller_partner(self.request))
        search = (self.filters.get("q") or "").strip()
        if search:
            queryset = queryset.filter(Q(partner__name__icontains=search) | Q(comment__icontains=search))
        return queryset.select_related("partner", "approval", "approval__requested_by", "granted_plan").order_by(
            "-created_at", "-pk"
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        caller = caller_partner(self.request)
        return super().get_context_data(
            grant_form=RatePlanGrantForm(caller=caller),
            decline_form=DeclineForm(),
            caller_id=caller.pk,
            pending=ApprovalRequest.Status.PENDING,
            **kwargs,
        )


class RatePlanRequestDecisionView(SubtreeScopedMixin, SingleObjectMixin, View):
    model = RatePlanRequest
    approve = True
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        plan_request = self.get_object()
        user = caller_user(request)
        try:
            if self.approve:
                form = RatePlanGrantForm(request.POST, caller=caller_partner(request))
                if not form.is_valid():
                    raise ValidationError(_("Choose one of your own rate plans."))
                services.rate_plan_request_approve(request=plan_request, by=user, plan=form.cleaned_data["plan"])
                messages.success(request, _("The request is approved."))
            else:
                decline = DeclineForm(request.POST)
                if not decline.is_valid():
                    raise ValidationError(_("Give a reason for the decline."))
                approvals.approval_decline(
                    approval=plan_request.approval, by=user, reason=decline.cleaned_data["reason"]
                )
                messages.success(request, _("The request is declined."))
        except ValidationError as error:
            report_errors(request, error)
        return back_to(request, reverse("adminpanel:rate_plan_request_list"))

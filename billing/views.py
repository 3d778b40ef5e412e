"""Campaign Portal: Purchase (packs and rate plans), Top Up, and Finance (the ledger, details, XLSX export)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView
from django.views.generic.detail import SingleObjectMixin

from billing import selectors, services
from billing.exports import transaction_details_response
from billing.forms import (
    LIST,
    PACKS,
    PLANS,
    TILE,
    CatalogFilterForm,
    FinanceFilterForm,
    RatePlanRequestForm,
    TopUpForm,
)
from billing.models import Pack, RatePlan, Subscription, TopUpRequest, Transaction
from tenancy.views import (
    BadRequestOnInvalidMixin,
    CampaignPortalMixin,
    PartnerScopedMixin,
    apply_service_error,
    caller_partner,
    caller_user,
    report_errors,
)

CATALOG_PAGE_SIZE = 24
RATES_PAGE_SIZE = 20
FINANCE_PAGE_SIZE = 25
VIEW_SESSION_KEY = "billing_catalog_view"
MORE_FILTERS = ("date_from", "date_to", "direction", "q")


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_next(request: HttpRequest, target: str, fallback: str) -> str:
    """``target`` when it is a path on this site, else ``fallback``."""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


class ModalMixin:
    """A details window: the bare window content for htmx, or a whole page when opened directly."""

    request: HttpRequest
    partial_template = ""
    back_url_name = "billing:purchase"

    def get_template_names(self) -> list[str]:
        return [self.partial_template if is_htmx(self.request) else "billing/modal_page.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("partial_template", self.partial_template)
        kwargs.setdefault("back_url", reverse(self.back_url_name))
        return super().get_context_data(**kwargs)  # type: ignore[misc]


# Purchase ------------------------------------------------------------------------------------------------------


class PurchaseView(CampaignPortalMixin, TemplateView):
    template_name = "billing/purchase.html"

    @cached_property
    def tab(self) -> str:
        return PLANS if self.request.GET.get("tab") == PLANS else PACKS

    def layout(self) -> str:
        """Tiles or a list: the query string chooses, the session remembers."""
        session = self.request.session
        chosen = self.request.GET.get("view")
        if chosen in (TILE, LIST):
            if session.get(VIEW_SESSION_KEY) != chosen:
                session[VIEW_SESSION_KEY] = chosen
            return chosen
        remembered = session.get(VIEW_SESSION_KEY)
        return remembered if remembered in (TILE, LIST) else TILE

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        partner = caller_partner(self.request)
        countries = selectors.offered_countries(partner=partner, plans=self.tab == PLANS)
        form = CatalogFilterForm(self.request.GET, countries=countries)
        filters = form.filters()
        catalog: QuerySet[Any]
        if self.tab == PLANS:
            catalog = selectors.purchase_plans(partner=partner, filters=filters)
        else:
            catalog = selectors.purchase_packs(partner=partner, filters=filters)
        page = Paginator(catalog, CATALOG_PAGE_SIZE).get_page(self.request.GET.get("page"))
        your_packs = list(selectors.active_subscriptions(partner, kind=Subscription.Kind.PACK))
        your_plans = list(selectors.active_subscriptions(partner, kind=Subscription.Kind.PLAN))
        plan_ids = [sub.rate_plan_id for sub in your_plans if sub.rate_plan_id]
        if self.tab == PLANS:
            plan_ids += [plan.pk for plan in page.object_list]
        unfiltered = not filters.keys() - {"sort"}
        if unfiltered and self.tab == PACKS:
            pack_count = page.paginator.count
        else:
            pack_count = selectors.packs_available_to(partner).count()
        if unfiltered and self.tab == PLANS:
            plan_count = page.paginator.count
        else:
            plan_count = selectors.rate_plans_available_to(partner).prefetch_related(None).count()
        params = self.request.GET.copy()
        params.pop("page", None)
        params.pop("view", None)
        base_query = params.urlencode()
        layout = self.layout()
        params["view"] = layout
        return super().get_context_data(
            tab=self.tab,
            layout=layout,
            filter_form=form,
            filters_active=not unfiltered,
            page_obj=page,
            paginator=page.paginator,
            is_paginated=page.has_other_pages(),
            query_string=params.urlencode(),
            base_query=base_query,
            your_packs=your_packs,
            my_plan_ids={sub.rate_plan_id for sub in your_plans},
            your_plans=your_plans,
            plan_countries=selectors.plan_countries(plan_ids),
            pack_count=pack_count,
            plan_count=plan_count,
            nothing_offered=not pack_count and not plan_count,
            waiting_requests=list(selectors.rate_plan_requests_waiting(partner)[:1]),
            request_form=RatePlanRequestForm(),
            **kwargs,
        )


class PackScopedMixin(CampaignPortalMixin):
    """Packs the signed-in partner may buy or has bought; any other id is a 404."""

    model = Pack
    request: HttpRequest

    def get_queryset(self) -> QuerySet[Pack]:
        return selectors.packs_visible_to(caller_partner(self.request))


class PackDetailView(ModalMixin, PackScopedMixin, DetailView):
    partial_template = "billing/_pack_detail.html"
    context_object_name = "pack"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        partner = caller_partner(self.request)
        pack: Pack = self.object
        return super().get_context_data(
            page_title=pack.name,
            owned=list(selectors.active_subscriptions(partner, kind=Subscription.Kind.PACK).filter(pack=pack)),
            can_buy=selectors.packs_available_to(partner).filter(pk=pack.pk).exists(),
            **kwargs,
        )


class PackBuyView(ModalMixin, PackScopedMixin, DetailView):
    """GET: the order to confirm; POST: buy (the balance pays, the pack joins Your Packs)."""

    partial_template = "billing/_pack_order.html"
    context_object_name = "pack"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        partner = caller_partner(self.request)
        pack: Pack = self.object
        available = partner.balance + partner.credit_limit
        return super().get_context_data(
            page_title=_("Your order"),
            balance_after=partner.balance - pack.price,
            enough_money=pack.price <= available,
            **kwargs,
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        pack = self.get_object()
        try:
            services.pack_purchase(partner=caller_partner(request), pack=pack, by=caller_user(request))
        except ValidationError as error:
            report_errors(request, error)
        else:
            messages.success(
                request,
                _("%(name)s is yours: %(count)d messages are ready to send.")
                % {"name": pack.name, "count": pack.message_count},
            )
        return redirect(reverse("billing:purchase") + "#your-packs")


class RatePlanScopedMixin(CampaignPortalMixin):
    """Rate plans offered to the signed-in partner or that it is on; any other id is a 404."""

    model = RatePlan
    request: HttpRequest

    def get_queryset(self) -> QuerySet[RatePlan]:
        return selectors.rate_plans_visible_to(caller_partner(self.request))


class RatePlanDetailView(ModalMixin, RatePlanScopedMixin, DetailView):
    partial_template = "billing/_plan_detail.html"
    context_object_name = "plan"

    def get_template_names(self) -> list[str]:
        if is_htmx(self.request) and self.request.GET.get("page"):
            return ["billing/_plan_rates.html"]
        return super().get_template_names()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        partner = caller_partner(self.request)
        plan: RatePlan = self.object
        rates = Paginator(
            selectors.rates_in_force(plan).order_by("country__name", "network__name", "pk"), RATES_PAGE_SIZE
        )
        current = selectors.active_subscriptions(partner, kind=Subscription.Kind.PLAN).filter(channel=plan.channel)
        return super().get_context_data(
            page_title=plan.name,
            rates_page=rates.get_page(self.request.GET.get("page")),
            current=current.first(),
            can_select=selectors.rate_plans_available_to(partner).filter(pk=plan.pk).exists(),
            countries=selectors.plan_countries([plan.pk])[plan.pk],
            **kwargs,
        )


class RatePlanSelectView(ModalMixin, RatePlanScopedMixin, DetailView):
    """GET: the order to confirm (naming the plan it replaces); POST: switch to the plan."""

    partial_template = "billing/_plan_order.html"
    context_object_name = "plan"

    def current_plan(self, plan: RatePlan) -> Subscription | None:
        partner = caller_partner(self.request)
        return selectors.active_subscriptions(partner, kind=Subscription.Kind.PLAN).filter(channel=plan.channel).first()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        plan: RatePlan = self.object
        return super().get_context_data(
            page_title=_("Your order"),
            current=self.current_plan(plan),
            countries=selectors.plan_countries([plan.pk])[plan.pk],
            **kwargs,
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        plan = self.get_object()
        current = self.current_plan(plan)
        if current is not None and current.rate_plan_id == plan.pk:
            messages.info(request, _("You are already on %(name)s.") % {"name": plan.name})
            return redirect(reverse("billing:purchase") + "#your-plans")
        replace = request.POST.get("replace") == "1"
        try:
            services.plan_subscribe(
                partner=caller_partner(request), plan=plan, by=caller_user(request), replace=replace
            )
        except ValidationError as error:
            report_errors(request, error)
            return redirect(reverse("billing:purchase") + "?tab=plans")
        if current is not None and replace:
            text = _("%(name)s now prices your %(channel)s messages instead of %(old)s.") % {
                "name": plan.name,
                "channel": plan.get_channel_display(),
                "old": current.rate_plan,
            }
        else:
            text = _("%(name)s now prices your %(channel)s messages.") % {
                "name": plan.name,
                "channel": plan.get_channel_display(),
            }
        messages.success(request, text)
        return redirect(reverse("billing:purchase") + "#your-plans")


class RatePlanRequestView(BadRequestOnInvalidMixin, CampaignPortalMixin, FormView):
    """Ask the partner above for rate plans (offered when there is nothing to buy)."""

    form_class = RatePlanRequestForm
    template_name = "billing/plan_request.html"

    def form_valid(self, form: RatePlanRequestForm) -> HttpResponse:
        try:
            services.rate_plan_request_open(
                partner=caller_partner(self.request),
                by=caller_user(self.request),
                comment=form.cleaned_data["comment"],
                channel=form.cleaned_data["channel"],
            )
        except ValidationError as error:
            report_errors(self.request, error)
        else:
            messages.success(self.request, _("Your request is sent. You will see the plans here once they are ready."))
        return redirect("billing:purchase")


# Top Up --------------------------------------------------------------------------------------------------------


class TopUpView(CampaignPortalMixin, FormView):
    """The header's Top Up window: an amount and a payment method.

    htmx posts get the form back with its errors, or a redirect (HX-Redirect) to the page it was opened on.
    """

    form_class = TopUpForm

    def get_template_names(self) -> list[str]:
        return ["billing/_top_up_form.html" if is_htmx(self.request) else "billing/top_up.html"]

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "gateways": services.payment_gateways()}

    def get_initial(self) -> dict[str, Any]:
        return {"next": self.request.GET.get("next", "")}

    def form_valid(self, form: TopUpForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            top_up = services.top_up_request(
                partner=caller_partner(self.request),
                amount=data["amount"],
                method=data["method"],
                by=caller_user(self.request),
            )
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        amount = {"amount": f"{top_up.amount:.2f}", "currency": top_up.partner.currency}
        if top_up.status == TopUpRequest.Status.CONFIRMED:
            messages.success(self.request, _("%(amount)s %(currency)s is added to your balance.") % amount)
        else:
            messages.success(
                self.request,
                _(
                    "Your top-up of %(amount)s %(currency)s is waiting for your provider to confirm the payment."
                    " Follow it on the Finance page."
                )
                % amount,
            )
        target = safe_next(self.request, data.get("next") or "", reverse("billing:finance"))
        if is_htmx(self.request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)

    def form_invalid(self, form: TopUpForm) -> HttpResponse:
        response = super().form_invalid(form)
        if not is_htmx(self.request):  # htmx swaps only successful responses
            response.status_code = 400
        return response


# Finance -------------------------------------------------------------------------------------------------------


class FinanceView(CampaignPortalMixin, ListView):
    template_name = "billing/finance.html"
    paginate_by = FINANCE_PAGE_SIZE
    context_object_name = "transactions"

    @cached_property
    def filter_form(self) -> FinanceFilterForm:
        return FinanceFilterForm(self.request.GET)

    def get_queryset(self) -> QuerySet[Transaction]:
        filters = self.filter_form.filters(today=timezone.localdate())
        return selectors.finance_transactions(partner=caller_partner(self.request), filters=filters)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        params = self.request.GET.copy()
        params.pop("page", None)
        return super().get_context_data(
            filter_form=self.filter_form,
            query_string=params.urlencode(),
            more_fields=[self.filter_form[name] for name in MORE_FILTERS],
            more_filters_open=any(self.request.GET.get(name) for name in MORE_FILTERS),
            top_ups=list(selectors.top_up_requests(caller_partner(self.request))[:5]),
            **kwargs,
        )


class TransactionDetailView(ModalMixin, PartnerScopedMixin, DetailView):
    """Show Details: the transaction with its per MCCMNC rows."""

    model = Transaction
    partial_template = "billing/_transaction_detail.html"
    back_url_name = "billing:finance"
    context_object_name = "entry"

    def get_queryset(self) -> QuerySet[Transaction]:
        return super().get_queryset().select_related("initiator")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        entry: Transaction = self.object
        return super().get_context_data(
            page_title=_("Transaction %(id)s") % {"id": entry.pk},
            details=list(selectors.transaction_details(entry)),
            **kwargs,
        )


class TransactionExportView(PartnerScopedMixin, SingleObjectMixin, View):
    """Export Details: the transaction's per MCCMNC rows as XLSX."""

    model = Transaction

    def get_queryset(self) -> QuerySet[Transaction]:
        return super().get_queryset().select_related("initiator")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> FileResponse:
        return transaction_details_response(
            self.get_object(), user=caller_user(request), partner=caller_partner(request)
        )

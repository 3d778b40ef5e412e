"""Packs and rate plans of the caller's subtree, their rates, and the subscriptions of partners below."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import CreateView, DetailView, UpdateView
from django.views.generic.detail import SingleObjectMixin
from django.views.generic.edit import FormView

from adminpanel.billing_forms import (
    AssignForm,
    CsvUploadForm,
    DeriveForm,
    PackFilterForm,
    PackForm,
    RateForm,
    RatePlanFilterForm,
    RatePlanForm,
    RatesTableForm,
    SubscriptionFilterForm,
)
from adminpanel.views.base import (
    FilteredListView,
    OwnRowEditMixin,
    SectionMixin,
    ServiceFormMixin,
    SetActiveView,
    disable_form,
)
from billing import selectors, services
from billing.models import Pack, Rate, RatePlan, Subscription
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

ACTIVE_SUBSCRIBERS = Count("subscriptions", filter=Q(subscriptions__status=Subscription.Status.ACTIVE), distinct=True)


# Packs ---------------------------------------------------------------------------------------------------------


class PackListView(FilteredListView):
    model = Pack
    section = "packs"
    template_name = "adminpanel/billing/pack_list.html"
    filter_form_class = PackFilterForm
    search_fields = ("name",)

    def filter_queryset(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        if filters.get("channel"):
            queryset = queryset.filter(channel=filters["channel"])
        if filters.get("country"):
            queryset = queryset.filter(country=filters["country"])
        if filters.get("status"):
            queryset = queryset.filter(is_active=filters["status"] == "active")
        return (
            queryset.select_related("partner", "country")
            .annotate(subscriber_count=ACTIVE_SUBSCRIBERS, network_count=Count("networks", distinct=True))
            .order_by("partner__path", "name", "pk")
        )


class PackFormMixin(SectionMixin, ServiceFormMixin):
    section = "packs"
    success_message = gettext_lazy("Pack %(object)s is saved.")

    def perform(self, form: PackForm) -> Pack:
        return services.pack_save(
            pack=form.save(commit=False),
            networks=form.cleaned_data["networks"],
            assigned=form.cleaned_data["assigned_partners"],
            by=caller_user(self.request),
        )


class PackCreateView(PackFormMixin, AdminPanelMixin, CreateView):
    model = Pack
    template_name = "adminpanel/billing/pack_form.html"
    form_class = PackForm
    success_url = reverse_lazy("adminpanel:pack_list")

    def get_form_kwargs(self) -> dict[str, Any]:
        caller = caller_partner(self.request)
        return {**super().get_form_kwargs(), "instance": Pack(partner=caller), "caller": caller}


class PackEditView(OwnRowEditMixin, PackFormMixin, SubtreeScopedMixin, UpdateView):
    """The caller's own packs are edited; packs of partners below are shown read-only."""

    model = Pack
    template_name = "adminpanel/billing/pack_form.html"
    form_class = PackForm
    success_url = reverse_lazy("adminpanel:pack_list")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "caller": self.object.partner}


# Rate plans ----------------------------------------------------------------------------------------------------


class RatePlanScopedMixin(SectionMixin, AdminPanelMixin):
    """Plans of the caller's subtree plus the reseller plans assigned to the caller."""

    model = RatePlan
    section = "rate_plans"
    request: HttpRequest

    def get_queryset(self) -> QuerySet[RatePlan]:
        return selectors.rate_plans_visible_in_ap(caller_partner(self.request)).select_related("partner", "parent_plan")


class RatePlanListView(FilteredListView):
    model = RatePlan
    section = "rate_plans"
    template_name = "adminpanel/billing/rate_plan_list.html"
    filter_form_class = RatePlanFilterForm
    search_fields = ("name",)

    def get_queryset(self) -> QuerySet[Any]:
        queryset = selectors.rate_plans_visible_in_ap(caller_partner(self.request))
        search = (self.filters.get("q") or "").strip()
        if search:
            queryset = queryset.filter(name__icontains=search)
        return self.filter_queryset(queryset, self.filters)

    def filter_queryset(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        if filters.get("channel"):
            queryset = queryset.filter(channel=filters["channel"])
        if filters.get("plan_kind"):
            queryset = queryset.filter(is_reseller_plan=filters["plan_kind"] == "reseller")
        return (
            queryset.select_related("partner", "parent_plan")
            .annotate(rate_count=Count("rates", distinct=True), subscriber_count=ACTIVE_SUBSCRIBERS)
            .order_by("partner__path", "name", "pk")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        derivable = selectors.reseller_plans_for(caller_partner(self.request)).values_list("pk", flat=True)
        return super().get_context_data(derivable_ids=set(derivable), **kwargs)


class RatePlanFormMixin(ServiceFormMixin):
    def perform(self, form: RatePlanForm) -> RatePlan:
        return services.rate_plan_save(
            plan=form.save(commit=False), assigned=form.cleaned_data["assigned_partners"], by=caller_user(self.request)
        )


class RatePlanCreateView(RatePlanFormMixin, RatePlanScopedMixin, CreateView):
    template_name = "adminpanel/billing/rate_plan_form.html"
    form_class = RatePlanForm
    success_message = gettext_lazy("Rate plan %(object)s is saved. Add its rates now.")

    def get_form_kwargs(self) -> dict[str, Any]:
        caller = caller_partner(self.request)
        return {**super().get_form_kwargs(), "instance": RatePlan(partner=caller), "caller": caller}

    def get_success_url(self) -> str:
        return reverse("adminpanel:rate_plan_rates", args=[self.object.pk])


class RatePlanEditView(OwnRowEditMixin, RatePlanFormMixin, RatePlanScopedMixin, UpdateView):
    template_name = "adminpanel/billing/rate_plan_form.html"
    form_class = RatePlanForm
    success_url = reverse_lazy("adminpanel:rate_plan_list")
    success_message = gettext_lazy("Rate plan %(object)s is saved.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "caller": caller_partner(self.request)}


class RatePlanRatesView(OwnRowEditMixin, RatePlanScopedMixin, DetailView):
    """The plan's rates: the editable table, one more rate, or a whole CSV price list (all lines or none)."""

    template_name = "adminpanel/billing/rate_plan_rates.html"

    def rates(self) -> list[Rate]:
        return list(self.object.rates.select_related("country", "network").order_by("country__name", "network__name"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("table_form", RatesTableForm(rates=self.rates()))
        kwargs.setdefault("rate_form", RateForm())
        kwargs.setdefault("upload_form", CsvUploadForm())
        if self.read_only:
            disable_form(kwargs["table_form"])
        subscriptions = self.object.subscriptions.filter(status=Subscription.Status.ACTIVE).select_related("partner")
        return super().get_context_data(
            can_derive=self.object.is_reseller_plan and self.read_only,
            subscriptions=subscriptions,
            **kwargs,
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        action = request.POST.get("action")
        handlers = {"save_rates": self._save_rates, "add_rate": self._add_rate, "upload": self._upload}
        if action not in handlers:
            return redirect("adminpanel:rate_plan_rates", pk=self.object.pk)
        try:
            return handlers[action](request)
        except ValidationError as error:
            report_errors(request, error)
            return redirect("adminpanel:rate_plan_rates", pk=self.object.pk)

    def _invalid(self, **forms: Any) -> HttpResponse:
        response = self.render_to_response(self.get_context_data(**forms))
        response.status_code = 400
        return response

    def _save_rates(self, request: HttpRequest) -> HttpResponse:
        form = RatesTableForm(request.POST, rates=self.rates())
        if not form.is_valid():
            return self._invalid(table_form=form)
        count = services.rates_update(plan=self.object, changes=form.changes(), by=caller_user(request))
        messages.success(request, _("%(count)d rates are saved.") % {"count": count})
        return redirect("adminpanel:rate_plan_rates", pk=self.object.pk)

    def _add_rate(self, request: HttpRequest) -> HttpResponse:
        form = RateForm(request.POST, instance=Rate(plan=self.object))
        if not form.is_valid():
            return self._invalid(rate_form=form)
        try:
            services.rate_save(rate=form.save(commit=False), by=caller_user(request))
        except ValidationError as error:
            apply_service_error(form, error)
            return self._invalid(rate_form=form)
        messages.success(request, _("The rate is added."))
        return redirect("adminpanel:rate_plan_rates", pk=self.object.pk)

    def _upload(self, request: HttpRequest) -> HttpResponse:
        form = CsvUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._invalid(upload_form=form)
        try:
            count = services.rates_upload(plan=self.object, data=form.cleaned_data["file"], by=caller_user(request))
        except ValidationError as error:
            form.add_error("file", error)
            return self._invalid(upload_form=form)
        messages.success(request, _("The price list is loaded: %(count)d rates.") % {"count": count})
        return redirect("adminpanel:rate_plan_rates", pk=self.object.pk)


class RatesExportView(RatePlanScopedMixin, SingleObjectMixin, View):  # type: ignore[misc]
    """The plan's rates in the upload format."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        plan = self.get_object()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(services.catalog.RATE_COLUMNS)
        for rate in plan.rates.select_related("country", "network").order_by("country__name", "network__name"):
            network = rate.network
            writer.writerow(
                [
                    rate.country.name,
                    network.name if network else _("All networks"),
                    network.mcc if network else rate.country.mcc,
                    network.mnc if network else "",
                    rate.price,
                    rate.end_date.isoformat() if rate.end_date else "",
                ]
            )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="rates-{plan.pk}.csv"'
        return response


class RateDeleteView(SectionMixin, SubtreeScopedMixin, SingleObjectMixin, View):  # type: ignore[misc]
    model = Rate
    section = "rate_plans"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        rate = self.get_object()
        try:
            services.rate_delete(rate=rate, by=caller_user(request))
        except ValidationError as error:
            report_errors(request, error)
        else:
            messages.success(request, _("The rate is removed."))
        return redirect("adminpanel:rate_plan_rates", pk=rate.plan_id)


class RatePlanActionView(BadRequestOnInvalidMixin, RatePlanScopedMixin, SingleObjectMixin, FormView):  # type: ignore[misc]
    """A form on one plan; when ``refusal()`` gives a reason the caller may not use it, back to the plan's rates."""

    def refusal(self) -> str | None:
        raise NotImplementedError

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        return self._refused() or super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        return self._refused() or super().post(request, *args, **kwargs)

    def _refused(self) -> HttpResponse | None:
        reason = self.refusal()
        if reason is None:
            return None
        messages.error(self.request, reason)
        return redirect("adminpanel:rate_plan_rates", pk=self.object.pk)


class RatePlanAssignView(RatePlanActionView):
    """Offer an own plan to partners below (and optionally put them on it)."""

    template_name = "adminpanel/billing/rate_plan_assign.html"
    form_class = AssignForm

    def refusal(self) -> str | None:
        if self.object.partner_id == caller_partner(self.request).pk:
            return None
        return _("Only the partner that created a plan assigns it.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {
            **super().get_form_kwargs(),
            "caller": caller_partner(self.request),
            "with_subscribe": not self.object.is_reseller_plan,
            "resellers_only": self.object.is_reseller_plan,
        }

    def form_valid(self, form: AssignForm) -> HttpResponse:
        try:
            services.rate_plan_assign(
                plan=self.object,
                partners=form.cleaned_data["partners"],
                by=caller_user(self.request),
                subscribe=form.cleaned_data.get("subscribe", False),
            )
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The plan is assigned."))
        return redirect("adminpanel:rate_plan_rates", pk=self.object.pk)


class RatePlanDeriveView(RatePlanActionView):
    """Build the caller's own plan from a reseller plan assigned to it, with a markup."""

    template_name = "adminpanel/billing/rate_plan_derive.html"
    form_class = DeriveForm

    def refusal(self) -> str | None:
        if selectors.reseller_plans_for(caller_partner(self.request)).filter(pk=self.object.pk).exists():
            return None
        return _("You build plans only from reseller plans assigned to you.")

    def get_initial(self) -> dict[str, Any]:
        return {"name": _("%(plan)s (mine)") % {"plan": self.object.name}}

    def form_valid(self, form: DeriveForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            plan = services.rate_plan_derive(
                parent_plan=self.object,
                by=caller_user(self.request),
                name=data["name"],
                markup_percent=data["markup_percent"],
                is_reseller_plan=data["is_reseller_plan"],
            )
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Your plan %(name)s is built.") % {"name": plan.name})
        return redirect("adminpanel:rate_plan_rates", pk=plan.pk)


# Subscriptions -------------------------------------------------------------------------------------------------


class SubscriptionListView(FilteredListView):
    """Packs and plans of the partners below the caller, with Unsubscribe."""

    model = Subscription
    section = "subscriptions"
    template_name = "adminpanel/billing/subscription_list.html"
    filter_form_class = SubscriptionFilterForm

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset().exclude(partner=caller_partner(self.request))
        search = (self.filters.get("q") or "").strip()
        if search:
            queryset = queryset.filter(Q(pack__name__icontains=search) | Q(rate_plan__name__icontains=search))
        return queryset

    def filter_queryset(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        if filters.get("partner"):
            queryset = queryset.filter(partner=filters["partner"])
        if filters.get("kind"):
            queryset = queryset.filter(kind=filters["kind"])
        if filters.get("status"):
            queryset = queryset.filter(status=filters["status"])
        return queryset.select_related("partner", "pack", "rate_plan", "country").order_by("-started_at", "-pk")


class SubscriptionEndView(SetActiveView):
    """Unsubscribe a partner below from a pack (refunding its unused share) or a plan."""

    model = Subscription

    fallback_url = reverse_lazy("adminpanel:subscription_list")

    def change(self, obj: Subscription) -> None:
        services.subscription_end(subscription=obj, by=caller_user(self.request))

    def message(self, obj: Subscription) -> str:
        return _("%(partner)s is unsubscribed from %(subject)s.") % {"partner": obj.partner, "subject": obj.subject}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.get_object().partner_id == caller_partner(request).pk:
            messages.error(request, _("Your own subscriptions are managed by the partner above you."))
            return back_to(request, self.fallback_url)
        return super().post(request, *args, **kwargs)

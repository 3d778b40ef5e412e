"""Reads: what a partner may buy or see, its subscriptions, its ledger."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from billing.models import (
    Audience,
    Pack,
    Rate,
    RatePlan,
    Subscription,
    Transaction,
)
from tenancy.models import Partner


def ancestor_paths(partner: Partner) -> list[str]:
    """Paths of every partner above ``partner`` (not itself)."""
    return [partner.path[: i * partner.steplen] for i in range(1, partner.depth)]


def _offered_to(partner: Partner) -> Q:
    """Created by a partner above, and offered to everyone below it or to this partner by name."""
    return Q(partner__path__in=ancestor_paths(partner)) & (
        Q(audience=Audience.EVERYONE_BELOW) | Q(assigned_partners=partner)
    )


def packs_available_to(partner: Partner, *, at: datetime | None = None) -> QuerySet[Pack]:
    """Packs the partner may buy now (CP Purchase)."""
    moment = at or timezone.now()
    return (
        Pack.objects.filter(_offered_to(partner), is_active=True)
        .filter(Q(available_from__isnull=True) | Q(available_from__lte=moment))
        .filter(Q(available_until__isnull=True) | Q(available_until__gt=moment))
        .distinct()
        .select_related("country")
        .prefetch_related("networks")
    )


def rate_plans_available_to(partner: Partner) -> QuerySet[RatePlan]:
    """Regular plans the partner may select (reseller plans are only for building other plans)."""
    return (
        RatePlan.objects.filter(_offered_to(partner), is_active=True, is_reseller_plan=False)
        .distinct()
        .prefetch_related(Prefetch("rates", queryset=Rate.objects.select_related("country", "network")))
    )


def reseller_plans_for(partner: Partner) -> QuerySet[RatePlan]:
    """Reseller plans a reseller may build its own plans from: assigned to it by a partner above."""
    return RatePlan.objects.filter(
        is_reseller_plan=True, is_active=True, assigned_partners=partner, partner__path__in=ancestor_paths(partner)
    )


def rate_plans_visible_in_ap(partner: Partner) -> QuerySet[RatePlan]:
    """The caller's subtree's plans plus the reseller plans assigned to it."""
    return RatePlan.objects.filter(
        Q(partner__path__startswith=partner.path)
        | Q(is_reseller_plan=True, assigned_partners=partner, partner__path__in=ancestor_paths(partner))
    ).distinct()


def active_subscriptions(partner: Partner, *, kind: str | None = None) -> QuerySet[Subscription]:
    """The partner's running packs (with messages left, not expired) and plans — "Your Packs" / "Your Rate Plans"."""
    now = timezone.now()
    queryset = Subscription.objects.for_partner(partner).filter(status=Subscription.Status.ACTIVE)
    queryset = queryset.exclude(kind=Subscription.Kind.PACK, expires_at__lte=now)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.select_related("pack", "rate_plan", "country").order_by("-started_at", "-pk")


def rates_in_force(plan: RatePlan, *, on: date | None = None) -> QuerySet[Rate]:
    day = on or timezone.localdate()
    return plan.rates.filter(Q(end_date__isnull=True) | Q(end_date__gte=day)).select_related("country", "network")


def transactions_by_type_and_date(queryset: QuerySet[Transaction], filters: dict[str, Any]) -> QuerySet[Transaction]:
    """The ledger entries of ``type`` made from day ``date_from`` to day ``date_to`` (each optional)."""
    if filters.get("type"):
        queryset = queryset.filter(type=filters["type"])
    if filters.get("date_from"):
        queryset = queryset.filter(created_at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        queryset = queryset.filter(created_at__date__lte=filters["date_to"])
    return queryset


def transaction_list(*, partner: Partner, filters: dict[str, Any] | None = None) -> QuerySet[Transaction]:
    """The partner's ledger, newest first: ``type``, ``date_from``, ``date_to`` (dates) and ``q`` (description)."""
    filters = filters or {}
    queryset = transactions_by_type_and_date(
        Transaction.objects.for_partner(partner).select_related("initiator"), filters
    )
    if filters.get("q"):
        queryset = queryset.filter(description__icontains=filters["q"])
    return queryset.order_by("-created_at", "-pk")


# Campaign Portal: Purchase and Finance pages -------------------------------------------------------------------

PACK_SORTS = {"name": ("name", "pk"), "price": ("price", "name", "pk"), "-price": ("-price", "name", "pk")}
PLAN_SORTS = {"name": ("name", "pk"), "price": ("lowest_rate", "name", "pk"), "-price": ("-lowest_rate", "name", "pk")}
NEWEST = ("-created_at", "-pk")


def purchase_packs(*, partner: Partner, filters: dict[str, Any]) -> QuerySet[Pack]:
    """Packs on offer to the partner, by ``q`` (name), ``channel``, ``country`` (id) and ``sort``."""
    queryset = packs_available_to(partner)
    if filters.get("q"):
        queryset = queryset.filter(name__icontains=filters["q"])
    if filters.get("channel"):
        queryset = queryset.filter(channel=filters["channel"])
    if filters.get("country"):
        queryset = queryset.filter(country_id=filters["country"])
    return queryset.order_by(*PACK_SORTS.get(filters.get("sort") or "", NEWEST))


def purchase_plans(*, partner: Partner, filters: dict[str, Any]) -> QuerySet[RatePlan]:
    """Plans on offer, filtered like :func:`purchase_packs`; "price" sorts by the lowest rate (in that country)."""
    from django.db.models import Min

    queryset = rate_plans_available_to(partner).prefetch_related(None)
    if filters.get("q"):
        queryset = queryset.filter(name__icontains=filters["q"])
    if filters.get("channel"):
        queryset = queryset.filter(channel=filters["channel"])
    if filters.get("country"):
        queryset = queryset.filter(rates__country_id=filters["country"])
    return queryset.annotate(lowest_rate=Min("rates__price")).order_by(
        *PLAN_SORTS.get(filters.get("sort") or "", NEWEST)
    )


def offered_countries(*, partner: Partner, plans: bool) -> list[tuple[int, str]]:
    """(id, name) of the countries the packs (or plans) on offer cover, for the country filter."""
    from billing.models import Country

    country_ids: QuerySet[Any]
    if plans:
        offered = rate_plans_available_to(partner).prefetch_related(None).values("pk")
        country_ids = Rate.objects.filter(plan__in=offered).values("country_id")
    else:
        country_ids = packs_available_to(partner).prefetch_related(None).values("country_id")
    return list(Country.objects.filter(pk__in=country_ids).order_by("name").values_list("pk", "name"))


def plan_countries(plan_ids: list[int]) -> dict[int, list[str]]:
    """Names of the countries each plan has rates for, in one query."""
    countries: dict[int, list[str]] = {plan_id: [] for plan_id in plan_ids}
    rows = (
        Rate.objects.filter(plan_id__in=plan_ids)
        .values_list("plan_id", "country__name")
        .distinct()
        .order_by("plan_id", "country__name")
    )
    for plan_id, name in rows:
        countries[plan_id].append(name)
    return countries


def packs_visible_to(partner: Partner) -> QuerySet[Pack]:
    """Packs on offer plus the packs the partner bought (their details stay readable after the offer ends)."""
    offered = packs_available_to(partner).prefetch_related(None).values("pk")
    return (
        Pack.objects.filter(Q(pk__in=offered) | Q(pk__in=Subscription.objects.for_partner(partner).values("pack_id")))
        .select_related("country")
        .prefetch_related("networks")
    )


def rate_plans_visible_to(partner: Partner) -> QuerySet[RatePlan]:
    """Plans on offer plus the plans the partner is or was on."""
    offered = rate_plans_available_to(partner).prefetch_related(None).values("pk")
    mine = Subscription.objects.for_partner(partner).values("rate_plan_id")
    return RatePlan.objects.filter(Q(pk__in=offered) | Q(pk__in=mine))


def finance_transactions(*, partner: Partner, filters: dict[str, Any]) -> QuerySet[Transaction]:
    """The Finance page's ledger: :func:`transaction_list` plus ``direction`` ("in": credits, "out": debits)."""
    queryset = transaction_list(partner=partner, filters=filters)
    if filters.get("direction") == "in":
        queryset = queryset.filter(amount__gt=0)
    elif filters.get("direction") == "out":
        queryset = queryset.filter(amount__lt=0)
    return queryset


def transaction_details(entry: Transaction) -> QuerySet[Any]:
    """Per MCCMNC rows of a transaction with their country, network and plan."""
    return entry.details.select_related("country", "network", "rate_plan").order_by("mccmnc", "from_pack", "pk")


def top_up_requests(partner: Partner) -> QuerySet[Any]:
    """The partner's top-ups, newest first (bank transfers wait for the partner above)."""
    from billing.models import TopUpRequest

    return TopUpRequest.objects.for_partner(partner).order_by("-created_at", "-pk")


def rate_plan_requests_waiting(partner: Partner) -> QuerySet[Any]:
    """The partner's requests for rate plans that the partner above has not decided yet."""
    from billing.models import RatePlanRequest
    from tenancy.models import ApprovalRequest

    return (
        RatePlanRequest.objects.for_partner(partner)
        .filter(approval__status=ApprovalRequest.Status.PENDING)
        .order_by("-created_at", "-pk")
    )

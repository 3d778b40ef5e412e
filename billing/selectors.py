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


def transaction_list(*, partner: Partner, filters: dict[str, Any] | None = None) -> QuerySet[Transaction]:
    """The partner's ledger, newest first: ``type``, ``date_from``, ``date_to`` (dates) and ``q`` (description)."""
    filters = filters or {}
    queryset = Transaction.objects.for_partner(partner).select_related("initiator")
    if filters.get("type"):
        queryset = queryset.filter(type=filters["type"])
    if filters.get("date_from"):
        queryset = queryset.filter(created_at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        queryset = queryset.filter(created_at__date__lte=filters["date_to"])
    if filters.get("q"):
        queryset = queryset.filter(description__icontains=filters["q"])
    return queryset.order_by("-created_at", "-pk")

"""Reads of campaigns: the filtered list and the messaging counters of a page of campaigns in one query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from contacts.models import TableSettings
from contacts.selectors import table_settings
from messaging.models import CampaignCounter
from tenancy.models import Partner, User

STATUSES = ("prepared", "billed", "sent", "delivered", "seen", "undelivered", "failed")
# The columns of the Campaigns List in their default order; the name is always shown.
LIST_COLUMNS = {
    "name": _("Campaign"),
    "updated": _("Last updated"),
    "template": _("Template / Sender ID"),
    "status": _("Status"),
    "progress": _("Progress"),
    "short_url": _("Short URL"),
    "recipients": _("Recipients"),
    "cost": _("Cost"),
}


@dataclass(frozen=True)
class ListColumn:
    key: str
    label: str
    visible: bool


def campaign_columns(*, user: User) -> list[ListColumn]:
    """The user's columns of the Campaigns List in their order (Table Settings); new columns come last, shown."""
    saved = table_settings(user=user, table=TableSettings.Table.CAMPAIGNS)
    available = dict(LIST_COLUMNS)
    columns: list[ListColumn] = []
    for entry in saved.columns if saved is not None else []:
        key = str(entry.get("key")) if isinstance(entry, dict) else ""
        if key in available:
            columns.append(ListColumn(key, str(available.pop(key)), bool(entry.get("visible")) or key == "name"))
    columns += [ListColumn(key, str(label), True) for key, label in available.items()]
    return columns


def campaign_list(*, partner: Partner, filters: dict[str, Any]) -> QuerySet[Campaign]:
    queryset = Campaign.objects.for_partner(partner).filter(is_deleted=False).exclude(status=Campaign.Status.DRAFT)
    if filters.get("q"):
        queryset = queryset.filter(Q(name__icontains=filters["q"]) | Q(steps__icontains=filters["q"]))
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("channel"):
        queryset = queryset.filter(steps__icontains=f'"channel": "{filters["channel"]}"')
    zone = timezone.get_current_timezone()
    if filters.get("date_from"):
        queryset = queryset.filter(updated_at__gte=datetime.combine(filters["date_from"], time.min, tzinfo=zone))
    if filters.get("date_to"):
        queryset = queryset.filter(updated_at__lte=datetime.combine(filters["date_to"], time.max, tzinfo=zone))
    return queryset.select_related("short_link__domain").order_by("-updated_at", "-pk")  # type: ignore[return-value]


@dataclass
class Progress:
    total: int = 0
    final: int = 0
    delivered: int = 0
    cost: Decimal = Decimal(0)
    by_status: dict[str, int] | None = None

    @property
    def percent(self) -> int:
        return round(100 * self.final / self.total) if self.total else 0


def campaign_progress(campaigns: Iterable[Campaign]) -> dict[int, Progress]:
    """Messages by status and cost of each campaign (summed over its channels), for one page."""
    ids = [campaign.pk for campaign in campaigns]
    names = {f"{status}_messages": Sum(f"{status}_messages") for status in STATUSES}
    rows = (
        CampaignCounter.objects.filter(campaign_id__in=ids)
        .values("campaign_id")
        .annotate(total=Sum("total_messages"), cost=Sum("total_cost"), **names)
        .order_by()
    )
    result: dict[int, Progress] = {pk: Progress(by_status=dict.fromkeys(STATUSES, 0)) for pk in ids}
    for row in rows:
        by_status = {status: int(row[f"{status}_messages"] or 0) for status in STATUSES}
        final = sum(by_status[name] for name in ("delivered", "seen", "undelivered", "failed"))
        result[row["campaign_id"]] = Progress(
            total=int(row["total"] or 0),
            final=final,
            delivered=by_status["delivered"] + by_status["seen"],
            cost=Decimal(row["cost"] or 0),
            by_status=by_status,
        )
    return result

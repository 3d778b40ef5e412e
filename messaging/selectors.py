"""Reads of the delivery engine: queue depth and throughput per vendor, campaign counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone

from messaging.models import CampaignCounter, Message, MessageStatus, Vendor, VendorStat
from tenancy.models import Channel, Partner

WINDOWS = (1, 5, 60)  # minutes


@dataclass
class VendorLoad:
    vendor: Vendor
    in_flight: int = 0  # claimed, being submitted
    waiting_retry: int = 0  # released after a vendor error, charged, waiting to be sent again
    awaiting_report: int = 0  # SENT, no final delivery report yet
    per_window: dict[int, dict[str, int]] = field(default_factory=dict)

    def count(self, minutes: int, name: str) -> int:
        return self.per_window.get(minutes, {}).get(name, 0)

    @property
    def submitted(self) -> list[int]:
        """Messages submitted in each window of ``WINDOWS``."""
        return [self.count(minutes, "submitted") for minutes in WINDOWS]

    @property
    def per_second(self) -> float:
        """Submitted per second over the last minute."""
        return self.count(1, "submitted") / 60

    @property
    def recent_reports(self) -> tuple[int, int]:
        """Delivered and not delivered reports in the last five minutes."""
        return self.count(5, "delivered"), self.count(5, "undelivered")


@dataclass
class QueueOverview:
    queued_by_channel: dict[str, int]
    held: int  # paused campaigns
    vendors: list[VendorLoad]
    at: datetime


def queue_overview(*, owner: Partner, now: datetime | None = None) -> QueueOverview:
    """What waits to be sent in the owner's tree, and how each of its vendors is doing."""
    now = now or timezone.now()
    in_tree = Message.objects.filter(partner__path__startswith=owner.path)
    queued = dict(
        in_tree.filter(status=MessageStatus.PREPARED, due_at__isnull=False)
        .values_list("channel")
        .annotate(count=Count("pk"))
        .values_list("channel", "count")
    )
    held = in_tree.filter(status=MessageStatus.PREPARED, due_at__isnull=True).count()
    vendors = list(Vendor.objects.filter(partner=owner).order_by("name", "pk"))
    loads = {vendor.pk: VendorLoad(vendor) for vendor in vendors}
    by_vendor = (
        Message.objects.filter(vendor__in=vendors, due_at__isnull=False)
        .filter(status__in=[MessageStatus.BILLED, MessageStatus.SENT])
        .values("vendor_id")
        .annotate(
            in_flight=Count("pk", filter=Q(status=MessageStatus.BILLED) & ~Q(claim="")),
            waiting_retry=Count("pk", filter=Q(status=MessageStatus.BILLED, claim="")),
            awaiting=Count("pk", filter=Q(status=MessageStatus.SENT)),
        )
    )
    for row in by_vendor:
        load = loads[row["vendor_id"]]
        load.in_flight, load.waiting_retry, load.awaiting_report = (
            row["in_flight"],
            row["waiting_retry"],
            row["awaiting"],
        )
    minute = now.replace(second=0, microsecond=0)
    for minutes in WINDOWS:
        since = minute - timedelta(minutes=minutes - 1)
        totals = (
            VendorStat.objects.filter(vendor__in=vendors, minute__gte=since)
            .values("vendor_id")
            .annotate(
                submitted=Sum("submitted"),
                rejected=Sum("rejected"),
                delivered=Sum("delivered"),
                undelivered=Sum("undelivered"),
            )
        )
        for row in totals:
            vendor_id = row.pop("vendor_id")
            loads[vendor_id].per_window[minutes] = {key: int(value or 0) for key, value in row.items()}
    return QueueOverview(
        queued_by_channel={channel: queued.get(channel, 0) for channel in Channel.values},
        held=held,
        vendors=list(loads.values()),
        at=now,
    )


def campaign_counters(*, campaign_id: int, partner: Partner) -> dict[str, int]:
    """Message and segment counts of a campaign by status, summed over its channels (no scan of its messages)."""
    names = ["total_messages", "total_parts"] + [
        f"{status.value}_{unit}" for status in MessageStatus for unit in ("messages", "parts")
    ]
    totals = (
        CampaignCounter.objects.for_partner(partner)
        .filter(campaign_id=campaign_id)
        .aggregate(**{name: Sum(name) for name in names})
    )
    return {name: int(value or 0) for name, value in totals.items()}

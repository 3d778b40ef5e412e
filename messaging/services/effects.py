"""What follows a message's status change, collected while a batch is decided and written once at its end.

Inside one database transaction a batch (a dispatch claim, submit results, delivery reports, timers)
records its transitions here; :meth:`Effects.flush` then writes, in a fixed order so concurrent
batches never deadlock: refunds (partner rows, by id), the next cascade attempts, campaign counters
(by campaign and channel), client callbacks and the vendors' per-minute statistics. Because the
transition itself is a write to rows locked by the same transaction, each effect happens exactly once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from billing.models import BillingMode
from billing.services import Charge
from billing.services import refund as billing_refund
from messaging.models import (
    CallbackDelivery,
    CampaignCounter,
    Message,
    VendorStat,
)
from messaging.segments import message_parts
from tenancy.models import Partner

logger = logging.getLogger(__name__)

ZERO = Decimal(0)
CHANNEL_NAMES = {"sms": "SMS", "viber": "VIBER", "whatsapp": "WHATSAPP"}

# The columns a transition needs to know about a locked message.
STATE_COLUMNS = (
    "id",
    "partner_id",
    "campaign_id",
    "label",
    "transaction_id",
    "step",
    "fallback",
    "fallback_at",
    "channel",
    "recipient",
    "country_id",
    "network_id",
    "mccmnc",
    "parts",
    "is_simulation",
    "accept_mo",
    "auto_reply",
    "is_reply",
    "dialogue_id",
    "status",
    "claim",
    "vendor_id",
    "vendor_message_id",
    "cost",
    "rate",
    "from_pack",
    "billing_mode",
    "billing_entry_id",
    "subscription_id",
    "callback_target_id",
    "sent_at",
    "delivered_at",
    "expires_at",
    "created_at",
)


def event_time(moment: datetime) -> str:
    """``yyyy-MM-dd'T'HH:mm:ss.SSSxxx`` in UTC, e.g. 2026-01-31T12:00:00.123+00:00."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def status_wait() -> int:
    return int(getattr(settings, "MESSAGING_STATUS_WAIT_SECONDS", 24 * 3600))


def charge_of(row: dict[str, Any]) -> Charge | None:
    if row["billing_entry_id"] is None:
        return None
    return Charge(
        transaction_id=row["billing_entry_id"],
        mccmnc=row["mccmnc"],
        parts=row["parts"],
        amount=row["cost"],
        rate=row["rate"],
        subscription_id=row["subscription_id"] or 0,
        from_pack=row["from_pack"],
        billing_mode=row["billing_mode"],
    )


@dataclass
class Effects:
    now: datetime = field(default_factory=timezone.now)
    counters: dict[tuple[int, str], dict[str, Any]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    counter_partners: dict[tuple[int, str], int] = field(default_factory=dict)
    refunds: dict[int, list[Charge]] = field(default_factory=lambda: defaultdict(list))
    callbacks: list[CallbackDelivery] = field(default_factory=list)
    next_steps: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    vendor_stats: dict[tuple[int, datetime], list[int]] = field(default_factory=lambda: defaultdict(lambda: [0] * 4))
    new_messages: list[Message] = field(default_factory=list)

    # Recording ---------------------------------------------------------------------------------------------------

    def moved(self, row: dict[str, Any], new: str, at: datetime | None = None) -> None:
        """``row`` goes from its current status to ``new`` (the caller writes the row itself)."""
        old = row["status"]
        if old == new:
            return
        campaign_id = row["campaign_id"]
        if campaign_id is not None:
            key = (campaign_id, row["channel"])
            self.counter_partners[key] = row["partner_id"]
            delta = self.counters[key]
            parts = row["parts"]
            delta[f"{old}_messages"] -= 1
            delta[f"{old}_parts"] -= parts
            delta[f"{new}_messages"] += 1
            delta[f"{new}_parts"] += parts
        if row["callback_target_id"] is not None:
            self.callbacks.append(
                CallbackDelivery(
                    target_id=row["callback_target_id"],
                    partner_id=row["partner_id"],
                    message_id=row["id"],
                    event=CallbackDelivery.Event.STATUS,
                    payload={
                        "transactionID": str(row["transaction_id"]),
                        "dnis": row["recipient"],
                        "status": new.upper(),
                        "eventTime": event_time(at or self.now),
                        "channel": CHANNEL_NAMES.get(row["channel"], row["channel"].upper()),
                    },
                    next_attempt_at=self.now,
                    created_at=self.now,
                )
            )
        row["status"] = new

    def cost_added(self, row: dict[str, Any], amount: Decimal) -> None:
        if row["campaign_id"] is not None and amount:
            key = (row["campaign_id"], row["channel"])
            self.counter_partners[key] = row["partner_id"]
            self.counters[key]["total_cost"] += amount

    def refund(self, row: dict[str, Any], *, submitted: bool) -> None:
        """Give back what the message was charged: always when the vendor never took it; once it was submitted,
        only a by-delivered charge (the message ended undelivered)."""
        if row.get("billing_entry_id") is None:
            return
        if submitted and row["billing_mode"] != BillingMode.BY_DELIVERED:
            return
        charge = charge_of(row)
        if charge is None:
            return
        self.refunds[row["partner_id"]].append(charge)
        self.cost_added(row, -charge.amount)

    def fallback(self, row: dict[str, Any]) -> bool:
        """Start the next channel of the cascade (once: the caller clears ``fallback`` on the row)."""
        plan = row.get("fallback")
        if not plan or not plan.get("next"):
            return False
        self.next_steps.append((row, plan))
        return True

    def vendor_stat(self, vendor_id: int | None, *, submitted: int = 0, rejected: int = 0, delivered: int = 0,
                    undelivered: int = 0) -> None:  # fmt: skip
        if vendor_id is None:
            return
        minute = self.now.replace(second=0, microsecond=0)
        stats = self.vendor_stats[(vendor_id, minute)]
        stats[0] += submitted
        stats[1] += rejected
        stats[2] += delivered
        stats[3] += undelivered

    def created(self, messages: Iterable[tuple[int | None, str, int, int, str]]) -> None:
        """New messages ``(campaign_id, channel, partner_id, parts, status)`` (enqueued or next cascade steps)."""
        for campaign_id, channel, partner_id, parts, status in messages:
            if campaign_id is None:
                continue
            key = (campaign_id, channel)
            self.counter_partners[key] = partner_id
            delta = self.counters[key]
            delta["total_messages"] += 1
            delta["total_parts"] += parts
            delta[f"{status}_messages"] += 1
            delta[f"{status}_parts"] += parts

    # Writing -----------------------------------------------------------------------------------------------------

    def flush(self) -> None:
        if self.refunds:
            partners = Partner.objects.in_bulk(list(self.refunds))
            for partner_id in sorted(self.refunds):
                billing_refund(partner=partners[partner_id], charges=self.refunds[partner_id])
        if self.next_steps:
            self._start_next_steps()
        if self.new_messages:
            Message.objects.bulk_create(self.new_messages, batch_size=1000)
            self.created((m.campaign_id, m.channel, m.partner_id, m.parts, m.status) for m in self.new_messages)
            self.new_messages = []
        if self.counters:
            self._write_counters()
        if self.callbacks:
            CallbackDelivery.objects.bulk_create(self.callbacks, batch_size=1000)
            from messaging.services.triggers import trigger

            trigger("callbacks")
        if self.vendor_stats:
            self._write_vendor_stats()

    def _start_next_steps(self) -> None:
        from messaging.services.enqueue import ChannelContent

        for row, plan in self.next_steps:
            step = ChannelContent.from_json(plan["next"][0])
            rest = plan["next"][1:]
            self.new_messages.append(
                Message(
                    partner_id=row["partner_id"],
                    campaign_id=row["campaign_id"],
                    label=row["label"],
                    transaction_id=row["transaction_id"],
                    step=row["step"] + 1,
                    fallback={"ttl": step.ttl, "next": rest} if rest else None,
                    recipient=row["recipient"],
                    country_id=row["country_id"],
                    network_id=row["network_id"],
                    mccmnc=row["mccmnc"],
                    is_simulation=row["is_simulation"],
                    accept_mo=row["accept_mo"],
                    auto_reply=row["auto_reply"],
                    is_reply=row["is_reply"],
                    dialogue_id=row["dialogue_id"],
                    callback_target_id=row["callback_target_id"],
                    parts=message_parts(step.channel, step.text),
                    due_at=self.now,
                    created_at=self.now,
                    status_at=self.now,
                    **step.message_fields(),
                )
            )
        self.next_steps = []
        from messaging.services.triggers import trigger

        trigger("dispatch")

    def _write_counters(self) -> None:
        keys = sorted(self.counters)
        existing = set(
            CampaignCounter.objects.filter(campaign_id__in={key[0] for key in keys}).values_list(
                "campaign_id", "channel"
            )
        )
        missing = [key for key in keys if key not in existing]
        if missing:
            CampaignCounter.objects.bulk_create(
                [
                    CampaignCounter(campaign_id=cid, channel=channel, partner_id=self.counter_partners[(cid, channel)])
                    for cid, channel in missing
                ],
                ignore_conflicts=True,
            )
        for campaign_id, channel in keys:
            delta = {name: value for name, value in self.counters[(campaign_id, channel)].items() if value}
            if not delta:
                continue
            CampaignCounter.objects.filter(campaign_id=campaign_id, channel=channel).update(
                updated_at=self.now, **{name: F(name) + value for name, value in delta.items()}
            )
        self.counters.clear()

    def _write_vendor_stats(self) -> None:
        table = connection.ops.quote_name(VendorStat._meta.db_table)
        minute_field = VendorStat._meta.get_field("minute")
        sql = (
            f"INSERT INTO {table} (vendor_id, minute, submitted, rejected, delivered, undelivered)"  # noqa: S608
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (vendor_id, minute) DO UPDATE SET"
            f" submitted = {table}.submitted + excluded.submitted, rejected = {table}.rejected + excluded.rejected,"
            f" delivered = {table}.delivered + excluded.delivered,"
            f" undelivered = {table}.undelivered + excluded.undelivered"
        )
        with connection.cursor() as cursor:
            for (vendor_id, minute), values in sorted(self.vendor_stats.items()):
                cursor.execute(sql, [vendor_id, minute_field.get_db_prep_save(minute, connection), *values])
        self.vendor_stats.clear()

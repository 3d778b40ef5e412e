"""Delivery reports, MO messages, cascade deadlines and the status wait limit.

``record_dlrs`` is idempotent and tolerant of order: a report changes a message only forward —
BILLED / SENT to a final status, DELIVERED to SEEN — so a duplicate, or a late SENT / DELIVERED
after a final status, changes nothing. The first final status wins (SEEN may still follow DELIVERED).
A report for a message whose vendor id is not recorded yet is kept aside and matched when it is.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import BillingMode
from messaging.connectors import Inbound, Receipt
from messaging.models import (
    DELIVERED_STATUSES,
    FINAL_STATUSES,
    CallbackDelivery,
    EdrType,
    Message,
    MessageStatus,
    SimulatorEvent,
    UnmatchedReceipt,
)
from messaging.segments import message_parts
from messaging.services.effects import CHANNEL_NAMES, STATE_COLUMNS, Effects, event_time
from messaging.services.sql import bulk_update_rows, conditional_update, select_rows

logger = logging.getLogger(__name__)

#: Sent with ``message`` (the new MO EDR) and ``reply_to`` (the MT it answers, or None) after commit.
mo_received = Signal()

LEAN_COLUMNS = ("id", "status", "partner_id", "campaign_id", "channel", "parts", "vendor_id", "vendor_message_id",
                "delivered_at", "callback_target_id", "billing_mode", "billing_entry_id", "fallback_at")  # fmt: skip
FINAL_WRITE = ("status", "status_at", "delivered_at", "error_code", "error", "claim", "due_at", "fallback",
               "fallback_at")  # fmt: skip
UNMATCHED_KEEP = timedelta(days=2)
SIMULATOR_KEEP = timedelta(days=3)
EXPIRED = "expired"


def _apply(row: dict[str, Any], receipt: Receipt, effects: Effects) -> tuple[Any, ...] | None:
    """Decide what ``receipt`` does to the locked ``row``; returns the row to write or None."""
    old, new = row["status"], receipt.status
    if new not in FINAL_STATUSES:
        return None  # an intermediate report (accepted, en route) adds nothing to SENT
    if old in FINAL_STATUSES and not (old == MessageStatus.DELIVERED and new == MessageStatus.SEEN):
        return None  # duplicates and late reports never overwrite a final status
    if old not in (MessageStatus.BILLED, MessageStatus.SENT, MessageStatus.DELIVERED):
        return None
    delivered = new in DELIVERED_STATUSES
    if old != MessageStatus.DELIVERED:
        if not delivered:
            effects.refund(row, submitted=True)
            effects.fallback(row)
        if delivered:
            effects.vendor_stat(row["vendor_id"], delivered=1)
        else:
            effects.vendor_stat(row["vendor_id"], undelivered=1)
    effects.moved(row, new, receipt.at)
    delivered_at = row["delivered_at"] or (receipt.at if delivered else None)
    row["delivered_at"] = delivered_at
    error = "" if delivered else (receipt.error or _("Not delivered"))
    code = "" if delivered else ("vendor" if receipt.error else "")
    row["fallback"] = None
    return (row["id"], new, receipt.at, delivered_at, code, error[:255], "", None, None, None)


def _read(vendor_id: int, by_id: dict[str, list[Receipt]]) -> list[dict[str, Any]]:
    if connection.vendor == "postgresql":
        rows = select_rows(
            Message,
            LEAN_COLUMNS,
            # "<> ''" repeats the predicate of the partial index message_vendor_ref: PostgreSQL proves it from
            # "= ANY(array)" only for arrays of up to 100 values, and otherwise scans the whole table.
            "vendor_id = %s AND vendor_message_id = ANY(%s) AND vendor_message_id <> '' AND edr_type = %s",
            [vendor_id, list(by_id), EdrType.MT],
            expressions=[("has_fallback", "fallback IS NOT NULL")],
        )
    else:
        rows = list(
            Message.objects.filter(vendor_id=vendor_id, vendor_message_id__in=list(by_id), edr_type=EdrType.MT)
            .annotate(has_fallback=ExpressionWrapper(Q(fallback__isnull=False), output_field=BooleanField()))
            .values(*LEAN_COLUMNS, "has_fallback")
        )
    # Most reports need only the lean columns; read everything for those that refund, call back or fall back.
    full = [
        row["id"]
        for row in rows
        if row["callback_target_id"] is not None
        or (
            (row["has_fallback"] or row["billing_mode"] == BillingMode.BY_DELIVERED)
            and any(receipt.status not in DELIVERED_STATUSES for receipt in by_id[row["vendor_message_id"]])
        )
    ]
    if full:
        more = {row["id"]: row for row in Message.objects.filter(pk__in=full).values(*STATE_COLUMNS)}
        rows = [more.get(row["id"], row) for row in rows]
    return rows


def _decide(row: dict[str, Any], receipts: list[Receipt], effects: Effects) -> tuple[Any, ...] | None:
    write = None
    for receipt in sorted(receipts, key=lambda r: r.at):
        write = _apply(row, receipt, effects) or write
    return write


def record_dlrs(*, vendor_id: int, receipts: Sequence[Receipt]) -> int:
    """Apply delivery reports of one vendor; returns how many changed a message.

    No row locks: each change is written only if the message still has the status it was read with
    (a compare-and-set per row, in one statement); the few that lost a race are read again and retried.
    """
    if not receipts:
        return 0
    by_id: dict[str, list[Receipt]] = defaultdict(list)
    for receipt in receipts:
        by_id[receipt.vendor_message_id].append(receipt)
    changed = 0
    with transaction.atomic():
        effects = Effects()
        found: set[str] = set()
        pending = by_id
        for _attempt in range(5):
            rows = _read(vendor_id, pending)
            found.update(row["vendor_message_id"] for row in rows)
            writes: dict[int, tuple[Any, ...]] = {}
            originals: dict[int, dict[str, Any]] = {}
            scratch = Effects()
            for row in rows:
                original = dict(row)
                write = _decide(row, pending[row["vendor_message_id"]], scratch)
                if write is not None:
                    # the cascade deadline too: a timer that fired the next channel meanwhile makes this a retry
                    writes[row["id"]] = (*write, original["status"], original["fallback_at"])
                    originals[row["id"]] = original
            applied = conditional_update(Message, FINAL_WRITE, list(writes.values()), expect=("status", "fallback_at"))
            for pk in applied:  # the effects of the changes that were written, once
                original = originals[pk]
                _decide(original, pending[original["vendor_message_id"]], effects)
            changed += len(applied)
            lost = {originals[pk]["vendor_message_id"] for pk in writes if pk not in applied}
            if not lost:
                break
            pending = {key: by_id[key] for key in lost}
        missing = [
            receipt
            for key, group in by_id.items()
            if key not in found
            for receipt in group
            if receipt.status in FINAL_STATUSES  # an intermediate report adds nothing worth keeping
        ]
        if missing:
            UnmatchedReceipt.objects.bulk_create(
                UnmatchedReceipt(
                    vendor_id=vendor_id,
                    vendor_message_id=receipt.vendor_message_id[:100],
                    status=receipt.status,
                    error=receipt.error[:255],
                    event_at=receipt.at,
                )
                for receipt in missing
            )
        effects.flush()
    return changed


def match_unmatched(*, vendor_id: int | None = None, vendor_message_ids: Sequence[str] | None = None) -> int:
    """Apply kept-aside reports whose messages are known now; drop those older than two days."""
    query = UnmatchedReceipt.objects.all()
    if vendor_id is not None:
        query = query.filter(vendor_id=vendor_id)
    if vendor_message_ids is not None:
        query = query.filter(vendor_message_id__in=list(vendor_message_ids))
    pending = list(query.order_by("pk")[:5000])
    if not pending:
        return 0
    groups: dict[int, list[UnmatchedReceipt]] = defaultdict(list)
    for item in pending:
        groups[item.vendor_id].append(item)
    applied = 0
    for group_vendor, items in groups.items():
        known = set(
            Message.objects.filter(
                vendor_id=group_vendor, vendor_message_id__in=[item.vendor_message_id for item in items]
            )
            .exclude(vendor_message_id="")  # the partial index's predicate, for lists longer than 100 (see above)
            .values_list("vendor_message_id", flat=True)
        )
        ready = [item for item in items if item.vendor_message_id in known]
        if ready:
            with transaction.atomic():
                deleted, _rows = UnmatchedReceipt.objects.filter(pk__in=[item.pk for item in ready]).delete()
                if deleted:
                    applied += record_dlrs(
                        vendor_id=group_vendor,
                        receipts=[
                            Receipt(item.vendor_message_id, item.status, item.event_at, item.error) for item in ready
                        ],
                    )
    if vendor_message_ids is None:
        UnmatchedReceipt.objects.filter(received_at__lt=timezone.now() - UNMATCHED_KEEP).delete()
    return applied


# Timers: cascade deadlines and the status wait limit --------------------------------------------------------------


def process_timers(*, limit: int = 1000, now: datetime | None = None) -> int:
    """SENT messages whose cascade deadline or status wait limit has passed."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            Message.objects.filter(status=MessageStatus.SENT, due_at__lte=now)
            .select_for_update(skip_locked=True, no_key=True, of=("self",))
            .order_by()  # no sort: a stale plan would read and sort the whole backlog for every batch
            .values(*STATE_COLUMNS)[:limit]
        )
        effects = Effects(now=now)
        timers, expired = [], []
        for row in rows:
            fallback_due = bool(row["fallback"]) and row["fallback_at"] is not None and row["fallback_at"] <= now
            if row["expires_at"] is None or row["expires_at"] <= now:
                effects.refund(row, submitted=True)
                effects.fallback(row)
                effects.vendor_stat(row["vendor_id"], undelivered=1)
                effects.moved(row, MessageStatus.UNDELIVERED, now)
                expired.append(
                    (row["id"], MessageStatus.UNDELIVERED, now, None, EXPIRED,
                     _("Expired: no delivery report within the status wait limit."), "", None, None, None)
                )  # fmt: skip
            elif fallback_due:
                effects.fallback(row)
                timers.append((row["id"], None, None, row["expires_at"]))
            else:  # woken early: wait for the next deadline
                next_due = min(filter(None, [row["fallback_at"] if row["fallback"] else None, row["expires_at"]]))
                timers.append((row["id"], row["fallback"], row["fallback_at"], next_due))
        bulk_update_rows(Message, ("fallback", "fallback_at", "due_at"), timers)
        bulk_update_rows(Message, FINAL_WRITE, expired)
        effects.flush()
    return len(rows)


# MO messages ------------------------------------------------------------------------------------------------------


def _reply_to(vendor_id: int, inbound: Inbound) -> Message | None:
    if inbound.in_reply_to:
        found = Message.objects.filter(
            vendor_id=vendor_id, vendor_message_id=inbound.in_reply_to, edr_type=EdrType.MT
        ).first()
        if found is not None:
            return found
    from messaging.models import Vendor
    from senders.models import SenderID

    owner_path = Vendor.objects.filter(pk=vendor_id).values_list("partner__path", flat=True).first()
    if owner_path is None:
        return None
    partner_ids = list(
        SenderID.objects.active()
        .filter(value__iexact=inbound.recipient, partner__path__startswith=owner_path)
        .values_list("partner_id", flat=True)
    )
    if not partner_ids:
        return None
    return (
        Message.objects.filter(
            partner_id__in=partner_ids,
            created_at__gte=inbound.at - timedelta(days=7),
            recipient=inbound.sender,
            sender__iexact=inbound.recipient,
            edr_type=EdrType.MT,
        )
        .order_by("-created_at")
        .first()
    )


def record_mo(*, vendor_id: int, inbound: Inbound) -> Message | None:
    """Store an MO as an EDR of the partner whose message it answers, forward it to the client, notify listeners.

    Returns None when no partner can be found for it (unknown sender ID): it is logged and dropped.
    """
    with transaction.atomic():
        if (
            inbound.vendor_message_id
            and Message.objects.filter(
                vendor_id=vendor_id, vendor_message_id=inbound.vendor_message_id, edr_type=EdrType.MO
            ).exists()
        ):
            return None  # a repeated MO
        reply_to = _reply_to(vendor_id, inbound)
        if reply_to is None:
            logger.warning("MO from %s to %s: no partner uses this sender ID", inbound.sender, inbound.recipient)
            return None
        message = Message.objects.create(
            partner_id=reply_to.partner_id,
            campaign_id=reply_to.campaign_id,
            label=reply_to.label,
            edr_type=EdrType.MO,
            dialogue_id=reply_to.transaction_id,
            channel=reply_to.channel,
            sender=inbound.sender[:30],
            recipient=inbound.recipient[:20],
            country_id=reply_to.country_id,
            network_id=reply_to.network_id,
            mccmnc=reply_to.mccmnc,
            text=inbound.text,
            parts=message_parts(reply_to.channel, inbound.text or " "),
            status=MessageStatus.DELIVERED,
            vendor_id=vendor_id,
            vendor_message_id=inbound.vendor_message_id[:100],
            created_at=inbound.at,
            status_at=inbound.at,
            delivered_at=inbound.at,
        )
        if reply_to.accept_mo and reply_to.callback_target_id is not None:
            CallbackDelivery.objects.create(
                target_id=reply_to.callback_target_id,
                partner_id=reply_to.partner_id,
                message=message,
                event=CallbackDelivery.Event.MO,
                payload={
                    "transactionID": str(reply_to.transaction_id),
                    "dnis": inbound.sender,
                    "status": MessageStatus.DELIVERED.upper(),
                    "eventTime": event_time(inbound.at),
                    "channel": CHANNEL_NAMES.get(reply_to.channel, reply_to.channel.upper()),
                    "message": inbound.text,
                },
                next_attempt_at=timezone.now(),
            )
            from messaging.services.triggers import trigger

            trigger("callbacks")
        transaction.on_commit(lambda: mo_received.send(sender=Message, message=message, reply_to=reply_to))
    return message


# The simulator's side: sending back what it owes --------------------------------------------------------------------


def deliver_simulator_batch(*, limit: int = 1000, now: datetime | None = None) -> int:
    """Send the simulator's due delivery reports and MO replies; returns how many were sent."""
    now = now or timezone.now()
    with transaction.atomic():
        events = list(
            SimulatorEvent.objects.filter(due_at__lte=now)
            .select_for_update(skip_locked=True)
            .order_by()  # no sort: a stale plan would read and sort the whole backlog for every batch
            .values_list(
                "pk",
                "vendor_id",
                "kind",
                "vendor_message_id",
                "status",
                "error",
                "due_at",
                "text",
                "sender",
                "recipient",
            )[:limit]  # fmt: skip
        )
        if not events:
            return 0
        SimulatorEvent.objects.filter(pk__in=[event[0] for event in events]).update(due_at=None)
        receipts: dict[int, list[Receipt]] = defaultdict(list)
        inbound: list[tuple[int, Inbound]] = []
        for _pk, vendor_id, kind, vendor_message_id, status, error, due_at, text, sender, recipient in events:
            due = due_at or now
            if kind == SimulatorEvent.Kind.MO:
                inbound.append((vendor_id, Inbound(sender, recipient, text, due, f"mo-{_pk}", vendor_message_id)))
            else:
                receipts[vendor_id].append(Receipt(vendor_message_id, status, due, error))
        for vendor_id, group in receipts.items():
            record_dlrs(vendor_id=vendor_id, receipts=group)
        for vendor_id, item in inbound:
            record_mo(vendor_id=vendor_id, inbound=item)
    return len(events)


def deliver_simulator_events(*, budget: float = 10.0) -> int:
    started = time.monotonic()
    total = 0
    while True:
        count = deliver_simulator_batch()
        total += count
        if not count or time.monotonic() - started > budget:
            break
    return total


def purge_old(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _rows = SimulatorEvent.objects.filter(due_at__isnull=True, created_at__lt=now - SIMULATOR_KEEP).delete()
    removed, _rows = UnmatchedReceipt.objects.filter(received_at__lt=now - UNMATCHED_KEEP).delete()
    return deleted + removed

"""Dispatch: claim due messages, throttle, charge, submit through the connectors and record the outcome.

One batch goes through two short transactions with the vendor call between them:

1. **Claim** (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serializes writers): due
   messages are checked (paused campaign, sender ID, route), throttled (vendor TPS and campaign rate:
   the rest get a later ``due_at``), charged through billing in one call per partner / product /
   reference, and marked BILLED with a claim token and a claim deadline in ``due_at``. Messages that
   cannot be sent become FAILED with the reason (and start the next channel of a cascade).
2. The connector submits the BILLED messages, outside any transaction.
3. **Record**: under row locks, each message still holding this claim becomes SENT (with the vendor's
   id, the cascade deadline and the status wait limit) or FAILED (refunded), or is released for a
   later retry when the vendor never took it.

If the worker dies between 1 and 3 the messages stay BILLED with an expired claim; :func:`reconcile_claims`
asks the vendor what it received (the simulator knows) and records them SENT, sends them again when
the vendor never got them, or fails them when nobody can tell — never sending one twice.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Country, Network, TransactionType
from billing.services import Charge, api_reference, campaign_reference, charge_batch
from messaging import ratelimit, routing
from messaging.connectors import Lookup, Outbound, SubmitResult
from messaging.models import FINAL_STATUSES, CampaignDispatch, Message, MessageStatus
from messaging.services.effects import STATE_COLUMNS, Effects, status_wait
from messaging.services.sql import bulk_update_rows, conditional_update, select_rows
from messaging.services.triggers import trigger
from senders.models import SenderID
from tenancy.models import Channel, Partner

logger = logging.getLogger(__name__)

CONTENT_COLUMNS = (
    "uuid",
    "sender",
    "text",
    "purpose",
    "flash",
    "validity_minutes",
    "image_url",
    "button_caption",
    "button_url",
    "template_name",
    "template_params",
)
CLAIM_COLUMNS = (*STATE_COLUMNS, *CONTENT_COLUMNS)
BILLED_WRITE = (
    "status",
    "claim",
    "due_at",
    "vendor_id",
    "vendor_message_id",
    "cost",
    "rate",
    "from_pack",
    "billing_mode",
    "billing_entry_id",
    "subscription_id",
    "status_at",
)
FAILED_WRITE = ("status", "claim", "due_at", "error_code", "error", "status_at", "fallback", "fallback_at")
SENT_WRITE = ("status", "claim", "due_at", "vendor_message_id", "sent_at", "status_at", "fallback_at", "expires_at")
LATE_SENT_WRITE = ("claim", "vendor_message_id", "sent_at")
RELEASE_WRITE = ("claim", "due_at", "error")


def batch_size() -> int:
    return int(getattr(settings, "MESSAGING_DISPATCH_BATCH", 1000))


def claim_timeout() -> float:
    return float(getattr(settings, "MESSAGING_CLAIM_TIMEOUT_SECONDS", 300))


def retry_delay() -> float:
    return float(getattr(settings, "MESSAGING_RETRY_SECONDS", 30))


def billing_product(channel: str, purpose: str) -> str:
    if channel == Channel.SMS:
        return "sms"
    return f"{channel}_{purpose}"


def _charge_key(row: dict[str, Any]) -> tuple[int, str, str, str, str]:
    day = row["created_at"].date()
    return _charge_key_of(
        row["partner_id"], row["channel"], row["purpose"], row["is_reply"], row["campaign_id"], row["label"], day
    )


@lru_cache(maxsize=4096)
def _charge_key_of(
    partner_id: int, channel: str, purpose: str, is_reply: bool, campaign_id: int | None, label: str, day: date
) -> tuple[int, str, str, str, str]:
    product = billing_product(channel, purpose)
    if is_reply:
        return (partner_id, product, f"reply:{product}:{day.isoformat()}", TransactionType.REPLY_TO_MO,
                _("Replies to MO messages"))  # fmt: skip
    if campaign_id is not None:
        return (partner_id, product, campaign_reference(campaign_id), TransactionType.CAMPAIGN,
                _("Campaign %(id)s") % {"id": campaign_id})  # fmt: skip
    return (partner_id, product, api_reference(channel=product, day=day, label=label), TransactionType.API,
            _("API: %(label)s") % {"label": label or day.isoformat()})  # fmt: skip


def _select_due(limit: int, now: datetime) -> list[dict[str, Any]]:
    """Lock up to ``limit`` due messages: first those released for a retry (already charged), then new ones."""
    rows: list[dict[str, Any]] = []
    for status in (MessageStatus.BILLED, MessageStatus.PREPARED):
        if len(rows) >= limit:
            break
        if connection.vendor == "postgresql":
            rows += select_rows(
                Message,
                CLAIM_COLUMNS,
                "status = %s AND due_at <= %s" + (" AND claim = ''" if status == MessageStatus.BILLED else ""),
                [status, now],
                suffix="LIMIT %d FOR NO KEY UPDATE SKIP LOCKED" % (limit - len(rows)),  # noqa: UP031
            )
            continue
        query = Message.objects.filter(status=status, due_at__lte=now)
        if status == MessageStatus.BILLED:
            query = query.filter(claim="")
        rows += list(
            query.select_for_update(skip_locked=True, no_key=True, of=("self",))
            .order_by()  # no sort: a stale plan would read and sort the whole backlog for every batch
            .values(*CLAIM_COLUMNS)[: limit - len(rows)]
        )
    return rows


def _destination(row: dict[str, Any], countries: dict[int, str], networks: dict[int, str]) -> str:
    country = countries.get(row["country_id"], row["mccmnc"] or "?")
    if row["network_id"] in networks:
        return f"{networks[row['network_id']]} ({country}, {row['mccmnc']})"
    return country


class _Plan:
    """The decisions for one claimed batch."""

    def __init__(self, now: datetime, token: str) -> None:
        self.now = now
        self.token = token
        self.effects = Effects(now=now)
        self.later: list[tuple[int, datetime | None]] = []  # (id, new due_at)
        self.failed: list[tuple[dict[str, Any], str, str]] = []
        self.billable: list[dict[str, Any]] = []
        self.billed: list[dict[str, Any]] = []

    def fail(self, row: dict[str, Any], code: str, error: str) -> None:
        self.failed.append((row, code, error))

    def postpone(self, rows: Sequence[dict[str, Any]], wait: float, rate: float) -> None:
        for index, row in enumerate(rows):
            self.later.append((row["id"], self.now + timedelta(seconds=wait + index / rate)))


def _throttle(plan: _Plan, rows: list[dict[str, Any]], key: str, rate: float) -> list[dict[str, Any]]:
    granted, wait = ratelimit.take(key, rate=rate, want=len(rows))
    if granted < len(rows):
        plan.postpone(rows[granted:], wait, rate)
    return rows[:granted]


def _check(plan: _Plan, rows: list[dict[str, Any]]) -> None:
    """Paused campaigns, sender IDs, routes and rate limits; what passes goes to ``plan.billable``."""
    campaigns = {row["campaign_id"] for row in rows if row["campaign_id"] is not None}
    controls = {control.campaign_id: control for control in CampaignDispatch.objects.filter(campaign_id__in=campaigns)}
    fresh = [row for row in rows if row["status"] == MessageStatus.PREPARED]
    senders: set[tuple[int, str, str]] = set()
    if fresh:
        senders = {
            (partner_id, channel, value.lower())
            for partner_id, channel, value in SenderID.objects.active(plan.now)
            .filter(partner_id__in={row["partner_id"] for row in fresh}, channel__in={row["channel"] for row in fresh})
            .values_list("partner_id", "channel", "value")
        }
    owners = routing.owner_ids({row["partner_id"] for row in rows})
    countries: dict[int, str] = {}
    networks: dict[int, str] = {}
    by_campaign: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    give_up = plan.now - timedelta(seconds=status_wait())
    for row in rows:
        if row["status"] == MessageStatus.BILLED and row["created_at"] < give_up:
            plan.fail(row, "not_submitted", _("The vendor could not take the message within the status wait limit."))
            continue
        control = controls.get(row["campaign_id"])
        if control is not None and control.paused:
            plan.later.append((row["id"], None))
            continue
        if row["status"] == MessageStatus.PREPARED and (
            (row["partner_id"], row["channel"], row["sender"].lower()) not in senders
        ):
            plan.fail(
                row,
                "sender_not_enabled",
                _("The sender ID “%(value)s” is not enabled for %(channel)s.")
                % {"value": row["sender"], "channel": Channel(row["channel"]).label},
            )
            continue
        vendor_id = routing.resolve(
            owner_id=owners[row["partner_id"]],
            channel=row["channel"],
            country_id=row["country_id"],
            network_id=row["network_id"],
            simulation=row["is_simulation"],
        )
        vendor = routing.vendor_info(vendor_id) if vendor_id is not None else None
        if vendor is None or not vendor.enabled:
            if not countries:
                countries.update(Country.objects.values_list("pk", "name"))
            if row["network_id"] and row["network_id"] not in networks:
                networks.update(Network.objects.filter(pk=row["network_id"]).values_list("pk", "name"))
            if row["is_simulation"]:
                error = _("No simulator vendor is set up for simulated messages.")
            else:
                error = _("No route for %(channel)s messages to %(destination)s.") % {
                    "channel": Channel(row["channel"]).label,
                    "destination": _destination(row, countries, networks),
                }
            plan.fail(row, "no_route", error)
            continue
        row["vendor_id"] = vendor_id
        by_campaign[row["campaign_id"]].append(row)
    by_vendor: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for campaign_id, group in by_campaign.items():
        control = controls.get(campaign_id) if campaign_id is not None else None
        rate = control.rate_per_second if control is not None else None
        if rate:
            group = _throttle(plan, group, f"campaign:{campaign_id}", rate)
        for row in group:
            by_vendor[row["vendor_id"]].append(row)
    for vendor_id, group in by_vendor.items():
        info = routing.vendor_info(vendor_id)
        if info is not None and info.tps:
            group = _throttle(plan, group, f"vendor:{vendor_id}", float(info.tps))
        plan.billable += group


def _charge(plan: _Plan) -> None:
    """Charge the billable messages (already charged ones, released for a retry, are not charged again)."""
    groups: dict[tuple[int, str, str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in plan.billable:
        if row["status"] == MessageStatus.BILLED or row["is_simulation"]:
            plan.billed.append(row)
        else:
            groups[_charge_key(row)].append(row)
    if not groups:
        return
    partners = Partner.objects.in_bulk({key[0] for key in groups})
    for key in sorted(groups):
        partner_id, product, reference, kind, description = key
        group = groups[key]
        results = charge_batch(
            partner=partners[partner_id],
            channel=product,
            items=[(row["mccmnc"], row["parts"]) for row in group],
            reference=reference,
            type=kind,
            description=description,
            at=plan.now,
        )
        for row, result in zip(group, results, strict=True):
            if isinstance(result, Charge):
                row["cost"], row["rate"], row["from_pack"] = result.amount, result.rate, result.from_pack
                row["billing_mode"], row["billing_entry_id"] = result.billing_mode, result.transaction_id
                row["subscription_id"] = result.subscription_id
                plan.effects.cost_added(row, result.amount)
                plan.billed.append(row)
            else:
                plan.fail(row, result.code, result.reason)


def _write_claim(plan: _Plan) -> None:
    now, effects = plan.now, plan.effects
    if plan.later:
        bulk_update_rows(Message, ["due_at"], plan.later)
    claim_until = now + timedelta(seconds=claim_timeout())
    billed_rows = []
    for row in plan.billed:
        info = routing.vendor_info(row["vendor_id"])
        connector = info.connector() if info else None
        if connector is not None and connector.predictable_ids:
            row["vendor_message_id"] = connector.expected_id(ref=row["id"], uuid=str(row["uuid"]))
        effects.moved(row, MessageStatus.BILLED, now)
        billed_rows.append(
            (row["id"], MessageStatus.BILLED, plan.token, claim_until, row["vendor_id"], row["vendor_message_id"],
             row["cost"], row["rate"], row["from_pack"], row["billing_mode"], row["billing_entry_id"],
             row["subscription_id"], now)
        )  # fmt: skip
    bulk_update_rows(Message, BILLED_WRITE, billed_rows)
    _write_failed(effects, plan.failed, submitted=False)


def _write_failed(effects: Effects, failed: list[tuple[dict[str, Any], str, str]], *, submitted: bool) -> None:
    now = effects.now
    rows = []
    for row, code, error in failed:
        if row["status"] == MessageStatus.BILLED:
            effects.refund(row, submitted=submitted)
        effects.moved(row, MessageStatus.FAILED, now)
        effects.fallback(row)
        rows.append((row["id"], MessageStatus.FAILED, "", None, code[:32], error[:255], now, None, None))
    bulk_update_rows(Message, FAILED_WRITE, rows)


def _outbound(row: dict[str, Any]) -> Outbound:
    return Outbound(
        ref=row["id"],
        uuid=str(row["uuid"]),
        transaction_id=str(row["transaction_id"]),
        channel=row["channel"],
        sender=row["sender"],
        recipient=row["recipient"],
        text=row["text"],
        parts=row["parts"],
        mccmnc=row["mccmnc"],
        purpose=row["purpose"],
        flash=row["flash"],
        validity_minutes=row["validity_minutes"],
        image_url=row["image_url"],
        button_caption=row["button_caption"],
        button_url=row["button_url"],
        template_name=row["template_name"],
        template_params=list(row["template_params"] or []),
    )


def _submit(vendor_id: int, rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], SubmitResult]] | None:
    """Hand the rows to the vendor's connector; None when the outcome is unknown (left to the reconciler)."""
    info = routing.vendor_info(vendor_id)
    if info is None:
        return [(row, SubmitResult.later(_("The vendor was removed."))) for row in rows]
    connector = info.connector()
    outcome: list[tuple[dict[str, Any], SubmitResult]] = []
    size = connector.batch_size
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        try:
            results = connector.submit([_outbound(row) for row in chunk])
        except Exception:
            logger.exception("connector of vendor %s failed; the claim is left for the reconciler", vendor_id)
            return outcome or None
        outcome += list(zip(chunk, results, strict=True))
    return outcome


def _lock(ids: Sequence[int]) -> list[dict[str, Any]]:
    return list(
        Message.objects.filter(pk__in=list(ids))
        .select_for_update(no_key=True, of=("self",))
        .order_by("pk")
        .values(*STATE_COLUMNS)
    )


def sent_timers(row: dict[str, Any], sent_at: datetime) -> tuple[datetime | None, datetime, datetime]:
    """``(fallback_at, expires_at, due_at)`` of a message sent at ``sent_at``."""
    plan = row["fallback"]
    fallback_at = None
    if plan and plan.get("next") and plan.get("ttl"):
        fallback_at = sent_at + timedelta(seconds=int(plan["ttl"]))
    expires_at = sent_at + timedelta(seconds=status_wait())
    return fallback_at, expires_at, min(fallback_at or expires_at, expires_at)


def record_submits(
    *, token: str, outcome: Sequence[tuple[dict[str, Any], SubmitResult]], vendor_id: int, now: datetime | None = None
) -> None:
    """Write what the vendor answered for messages claimed with ``token`` (``outcome``: the claimed rows as read
    by the claim, and the vendor's answer for each).

    Each write is conditional on the message still being BILLED under this claim (no row locks taken): a
    delivery report that came first, or the reconciler, wins, and such messages only get their send time.
    """
    now = now or timezone.now()
    held = (MessageStatus.BILLED, token)
    with transaction.atomic():
        effects = Effects(now=now)
        sent, released, failed = [], [], []
        for row, result in outcome:
            if result.accepted:
                fallback_at, expires_at, due_at = sent_timers(row, now)
                sent.append(
                    (row["id"], MessageStatus.SENT, "", due_at, result.vendor_message_id, now, now, fallback_at,
                     expires_at, *held)
                )  # fmt: skip
            elif result.retry:
                released.append((row["id"], "", now + timedelta(seconds=retry_delay()), result.error, *held))
            else:
                error = result.error or _("Rejected by vendor")
                failed.append(
                    (row["id"], MessageStatus.FAILED, "", None, "rejected", error[:255], now, None, None, *held)
                )
        done = conditional_update(Message, SENT_WRITE, sent, expect=("status", "claim"))
        done |= conditional_update(Message, RELEASE_WRITE, released, expect=("status", "claim"))
        rejected = conditional_update(Message, FAILED_WRITE, failed, expect=("status", "claim"))
        accepted = 0
        for row, result in outcome:
            pk = row["id"]
            if pk in rejected:
                effects.refund(row, submitted=False)
                effects.moved(row, MessageStatus.FAILED, now)
                effects.fallback(row)
            elif pk in done and result.accepted:
                accepted += 1
                effects.moved(row, MessageStatus.SENT, now)
        effects.vendor_stat(vendor_id, submitted=accepted, rejected=len(rejected))
        missed = [row["id"] for row, _result in outcome if row["id"] not in done and row["id"] not in rejected]
        if missed:
            _record_late(effects, token, {row["id"]: (row, result) for row, result in outcome}, missed, vendor_id)
        effects.flush()
        info = routing.vendor_info(vendor_id)
        if sent and info is not None:
            if info.kind == "simulator":
                trigger("simulator")
            elif not info.connector().predictable_ids:
                from messaging.services.dlr import match_unmatched

                match_unmatched(vendor_id=vendor_id, vendor_message_ids=[item[4] for item in sent])


def _record_late(
    effects: Effects,
    token: str,
    claimed: dict[int, tuple[dict[str, Any], SubmitResult]],
    missed: list[int],
    vendor_id: int,
) -> None:
    """Messages whose delivery report came before the submit result: note when they were sent, nothing else."""
    late = []
    for pk, status, claim, sent_at in Message.objects.filter(pk__in=missed).values_list(
        "pk", "status", "claim", "sent_at"
    ):
        row, result = claimed[pk]
        if status in FINAL_STATUSES and sent_at is None and claim in ("", token):
            late.append((pk, "", result.vendor_message_id or row["vendor_message_id"], effects.now, status))
            if result.accepted:
                effects.vendor_stat(vendor_id, submitted=1)
    conditional_update(Message, LATE_SENT_WRITE, late, expect=("status",))


def dispatch_batch(*, limit: int | None = None, now: datetime | None = None) -> int:
    """Claim, charge, submit and record one batch of due messages; returns how many were claimed."""
    now = now or timezone.now()
    token = secrets.token_hex(8)
    with transaction.atomic():
        rows = _select_due(limit or batch_size(), now)
        if not rows:
            return 0
        plan = _Plan(now, token)
        _check(plan, rows)
        _charge(plan)
        _write_claim(plan)
        plan.effects.flush()
    by_vendor: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in plan.billed:
        by_vendor[row["vendor_id"]].append(row)
    for vendor_id, group in by_vendor.items():
        outcome = _submit(vendor_id, group)
        if outcome:
            record_submits(token=token, outcome=outcome, vendor_id=vendor_id)
    return len(rows)


def dispatch_due(*, budget: float = 10.0) -> int:
    """Dispatch batches until nothing is due or ``budget`` seconds have passed; returns the messages claimed."""
    started = time.monotonic()
    total = 0
    while True:
        count = dispatch_batch()
        total += count
        if not count:
            break
        if time.monotonic() - started > budget:
            trigger("dispatch")  # more may be waiting: another task carries on
            break
    return total


def fail_waiting(ids: Sequence[int], *, code: str, error: str) -> int:
    """Fail messages that have not been submitted (PREPARED, or BILLED and not claimed), refunding charges."""
    with transaction.atomic():
        effects = Effects()
        rows = [
            row
            for row in _lock(ids)
            if row["status"] == MessageStatus.PREPARED or (row["status"] == MessageStatus.BILLED and not row["claim"])
        ]
        for row in rows:
            row["fallback"] = None  # a canceled campaign does not go on to its next channel
        _write_failed(effects, [(row, code, error) for row in rows], submitted=False)
        effects.flush()
    return len(rows)


# Reconciling claims of workers that died ---------------------------------------------------------------------------


def reconcile_claims(*, limit: int = 500, now: datetime | None = None) -> int:
    """Settle messages whose dispatch claim expired (the worker stopped between claim and record)."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            Message.objects.filter(status=MessageStatus.BILLED, due_at__lte=now)
            .exclude(claim="")
            .select_for_update(skip_locked=True, no_key=True, of=("self",))
            .order_by()  # no sort: a stale plan would read and sort the whole backlog for every batch
            .values(*STATE_COLUMNS)[:limit]
        )
        if not rows:
            return 0
        effects = Effects(now=now)
        by_vendor: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_vendor[row["vendor_id"]].append(row)
        sent, released, failed = [], [], []
        for vendor_id, group in by_vendor.items():
            info = routing.vendor_info(vendor_id) if vendor_id is not None else None
            connector = info.connector() if info is not None else None
            answers = connector.lookup([row["id"] for row in group]) if connector is not None else {}
            for row in group:
                answer = answers.get(row["id"], Lookup.UNKNOWN)
                if answer == Lookup.NOT_RECEIVED or (
                    answer == Lookup.UNKNOWN and connector is not None and connector.resubmit_safe
                ):
                    released.append((row["id"], "", now, ""))
                elif answer == Lookup.UNKNOWN:
                    failed.append(
                        (
                            row,
                            "unknown_outcome",
                            _("The outcome of the submission is unknown: the sending worker stopped."),
                        )
                    )
                else:
                    fallback_at, expires_at, due_at = sent_timers(row, now)
                    effects.moved(row, MessageStatus.SENT, now)
                    effects.vendor_stat(vendor_id, submitted=1)
                    sent.append((row["id"], MessageStatus.SENT, "", due_at, answer, now, now, fallback_at, expires_at))
        bulk_update_rows(Message, SENT_WRITE, sent)
        bulk_update_rows(Message, RELEASE_WRITE, released)
        _write_failed(effects, failed, submitted=False)
        effects.flush()
        if released:
            trigger("dispatch")
        if sent:
            trigger("simulator")
    logger.info(
        "reconciled %s claims: %s sent, %s released, %s failed", len(rows), len(sent), len(released), len(failed)
    )
    return len(rows)

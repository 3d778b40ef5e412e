"""Charging messages (DESIGN.md §8).

For each message a valid pack for the product and country/network with messages left is used first
(one pack message per message); otherwise the partner's rate plan for the product gives the rate for
the MCCMNC (exact network, else the country's "all networks" rate) × parts, debited from the balance;
otherwise the message is rejected with a reason.

Charges are batched: :func:`charge_batch` prices a whole chunk of a campaign in memory under one lock
of the partner row and writes one balance update, the pack counters it used, and one accumulating
ledger row (per campaign, API channel and day, or reply-to-MO) with per-MCCMNC details.

BY_SUBMITTED charges are final. BY_DELIVERED charges are reservations: :func:`settle` keeps them when
the message is delivered and refunds them otherwise. The caller (messaging) stores each message's
:class:`Charge` and must settle or refund it once (a conditional status update on the message).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import (
    ZERO,
    BillingChannel,
    BillingMode,
    Country,
    Network,
    Pack,
    Rate,
    Subscription,
    Transaction,
    TransactionDetail,
    TransactionType,
)
from billing.services.ledger import LockedAccount, _check_manages, lock_account
from tenancy.models import Partner, User


class Reason:
    UNKNOWN_DESTINATION = "unknown_destination"
    NO_TARIFF = "no_tariff"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    BAD_PARTS = "bad_parts"


@dataclass(frozen=True, slots=True)
class Charge:
    """What one message was charged; kept on the message to settle or refund it later."""

    transaction_id: int
    mccmnc: str
    parts: int
    amount: Decimal  # money taken from the balance (zero for a pack message)
    rate: Decimal
    subscription_id: int  # the pack or plan subscription that paid
    from_pack: bool
    billing_mode: str


@dataclass(frozen=True, slots=True)
class Rejection:
    code: str
    reason: str


@dataclass(frozen=True)
class Quote:
    mccmnc: str
    parts: int
    from_pack: bool
    subscription_id: int
    billing_mode: str
    rate: Decimal
    amount: Decimal
    country: Country | None
    network: Network | None


class ChargeRejected(ValidationError):
    def __init__(self, rejection: Rejection) -> None:
        super().__init__(rejection.reason, code=rejection.code)
        self.rejection = rejection


def campaign_reference(campaign_id: int) -> str:
    return f"campaign:{campaign_id}"


def api_reference(*, channel: str, day: date, label: str = "") -> str:
    return f"api:{channel}:{day.isoformat()}:{label}"[:120]


# The tariff: everything needed to price a partner's messages on one product, read once per batch -----------------


@dataclass(slots=True)
class _PackState:
    subscription_id: int
    country_id: int
    network_ids: frozenset[int] | None  # None: all networks
    left: int
    billing_mode: str
    used: int = 0


@dataclass(slots=True)
class _Route:
    """How messages to one MCCMNC are paid: the packs that cover it, in order, then the plan rate."""

    mccmnc: str
    country_id: int
    network_id: int | None
    packs: list[_PackState]
    rate: Decimal | None


@dataclass
class _Book:
    networks: dict[tuple[str, str], tuple[int, int]]  # (mcc, mnc) → (network id, country id)
    countries: dict[str, int]  # mcc → country id

    @classmethod
    def load(cls) -> _Book:
        networks = {(mcc, mnc): (pk, country_id) for pk, mcc, mnc, country_id in Network.objects.values_list(
            "pk", "mcc", "mnc", "country_id")}  # fmt: skip
        countries = dict(Country.objects.values_list("mcc", "pk"))
        for (mcc, _mnc), (_pk, country_id) in networks.items():
            countries.setdefault(mcc, country_id)
        return cls(networks, countries)

    def destination(self, mccmnc: str) -> tuple[int, int | None] | None:
        mcc, mnc = mccmnc[:3], mccmnc[3:]
        if mnc:
            found = self.networks.get((mcc, mnc))
            if found is None and len(mnc) == 3 and mnc.startswith("0"):
                found = self.networks.get((mcc, mnc[1:]))
            elif found is None and len(mnc) == 2:
                found = self.networks.get((mcc, "0" + mnc))
            if found is not None:
                return found[1], found[0]
        country_id = self.countries.get(mcc)
        return (country_id, None) if country_id is not None else None


@dataclass
class _Tariff:
    channel: str
    book: _Book
    packs_by_country: dict[int, list[_PackState]]
    plan_subscription_id: int | None
    plan_id: int | None
    plan_billing_mode: str
    rates: dict[tuple[int, int | None], Decimal]
    routes: dict[str, _Route | None] = field(default_factory=dict)

    @classmethod
    def load(cls, partner_id: int, channel: str, *, at: datetime, lock: bool) -> _Tariff:
        packs = Subscription.objects.filter(
            partner_id=partner_id,
            kind=Subscription.Kind.PACK,
            status=Subscription.Status.ACTIVE,
            channel=channel,
            messages_left__gt=0,
        ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at))
        if lock:
            packs = packs.select_for_update()
        pack_rows = list(
            packs.order_by(F("expires_at").asc(nulls_last=True), "started_at", "pk").values_list(
                "pk", "pack_id", "country_id", "messages_left", "billing_mode"
            )
        )
        restricted: dict[int, set[int]] = {}
        if pack_rows:
            for pack_id, network_id in Pack.networks.through.objects.filter(
                pack_id__in={row[1] for row in pack_rows}
            ).values_list("pack_id", "network_id"):
                restricted.setdefault(pack_id, set()).add(network_id)
        packs_by_country: dict[int, list[_PackState]] = {}
        for pk, pack_id, country_id, left, mode in pack_rows:
            networks = frozenset(restricted[pack_id]) if pack_id in restricted else None
            packs_by_country.setdefault(country_id, []).append(_PackState(pk, country_id, networks, left, mode))
        plan = (
            Subscription.objects.filter(
                partner_id=partner_id, kind=Subscription.Kind.PLAN, status=Subscription.Status.ACTIVE, channel=channel
            )
            .values_list("pk", "rate_plan_id", "billing_mode")
            .first()
        )
        rates: dict[tuple[int, int | None], Decimal] = {}
        if plan is not None:
            today = timezone.localdate(at)
            for country_id, network_id, price in (
                Rate.objects.filter(plan_id=plan[1])
                .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
                .values_list("country_id", "network_id", "price")
            ):
                rates[(country_id, network_id)] = price
        return cls(
            channel=channel,
            book=_Book.load(),
            packs_by_country=packs_by_country,
            plan_subscription_id=plan[0] if plan else None,
            plan_id=plan[1] if plan else None,
            plan_billing_mode=plan[2] if plan else BillingMode.BY_SUBMITTED,
            rates=rates,
        )

    def route(self, mccmnc: str) -> _Route | None:
        try:
            return self.routes[mccmnc]
        except KeyError:
            pass
        destination = self.book.destination(mccmnc)
        found = None
        if destination is not None:
            country_id, network_id = destination
            packs = [
                pack
                for pack in self.packs_by_country.get(country_id, ())
                if pack.network_ids is None or network_id in pack.network_ids
            ]
            rate = self.rates.get((country_id, network_id)) if network_id is not None else None
            if rate is None:
                rate = self.rates.get((country_id, None))
            found = _Route(mccmnc, country_id, network_id, packs, rate)
        self.routes[mccmnc] = found
        return found


def _no_tariff(channel: str, mccmnc: str) -> Rejection:
    return Rejection(
        Reason.NO_TARIFF,
        _("No pack or rate plan covers %(channel)s messages to MCCMNC %(mccmnc)s.")
        % {"channel": BillingChannel(channel).label, "mccmnc": mccmnc},
    )


def _unknown(mccmnc: str) -> Rejection:
    return Rejection(
        Reason.UNKNOWN_DESTINATION,
        _("MCCMNC %(mccmnc)s is not in the reference book.") % {"mccmnc": mccmnc},
    )


def _check_channel(channel: str) -> None:
    if channel not in BillingChannel.values:
        raise ValueError(f"unknown billing channel {channel!r}")


# Reading a price -----------------------------------------------------------------------------------------------


def quote(*, partner: Partner, channel: str, mccmnc: str, parts: int = 1, at: datetime | None = None) -> Quote:
    """What one message would cost now (pack first, then plan); raises ChargeRejected when it cannot be sent."""
    _check_channel(channel)
    moment = at or timezone.now()
    tariff = _Tariff.load(partner.pk, channel, at=moment, lock=False)
    route = tariff.route(mccmnc)
    if route is None:
        raise ChargeRejected(_unknown(mccmnc))
    country = Country.objects.get(pk=route.country_id)
    network = Network.objects.get(pk=route.network_id) if route.network_id else None
    for pack in route.packs:
        if pack.left > 0:
            return Quote(mccmnc, parts, True, pack.subscription_id, pack.billing_mode, ZERO, ZERO, country, network)
    if route.rate is None or tariff.plan_subscription_id is None:
        raise ChargeRejected(_no_tariff(channel, mccmnc))
    amount = route.rate * parts
    account = LockedAccount(partner.pk, partner.balance, partner.credit_limit, partner.currency)
    if not account.can_debit(amount):
        raise ChargeRejected(
            Rejection(
                Reason.INSUFFICIENT_FUNDS, _("Not enough money on the balance for this message (credit limit reached).")
            )
        )
    return Quote(
        mccmnc,
        parts,
        False,
        tariff.plan_subscription_id,
        tariff.plan_billing_mode,
        route.rate,
        amount,
        country,
        network,
    )


# Charging ------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _DetailTotals:
    country_id: int
    network_id: int | None
    quantity: int = 0
    parts: int = 0
    total: Decimal = ZERO


def _ledger_row(
    *, partner_id: int, type: str, reference: str, channel: str, description: str, by: User | None, now: datetime
) -> Transaction:
    """The accumulating transaction for ``reference`` (created on first use; the partner row is locked)."""
    row = Transaction.objects.filter(partner_id=partner_id, type=type, reference=reference).first()
    if row is None:
        row = Transaction.objects.create(
            partner_id=partner_id,
            type=type,
            reference=reference,
            channel=channel,
            description=description[:255],
            initiator=by,
            created_at=now,
            updated_at=now,
        )
    return row


def _write_details(
    entry: Transaction, totals: dict[tuple[str, bool, Decimal], _DetailTotals], plan_id: int | None
) -> None:
    """Add ``totals`` to the transaction's per-MCCMNC details (rows are keyed by MCCMNC, source and rate)."""
    existing = {
        (detail.mccmnc, detail.from_pack, detail.rate): detail
        for detail in TransactionDetail.objects.filter(transaction=entry, mccmnc__in={key[0] for key in totals})
    }
    changed, created = [], []
    for key, sums in totals.items():
        detail = existing.get(key)
        if detail is None:
            mccmnc, from_pack, rate = key
            created.append(
                TransactionDetail(
                    transaction=entry,
                    country_id=sums.country_id,
                    network_id=sums.network_id,
                    mccmnc=mccmnc,
                    from_pack=from_pack,
                    rate_plan_id=None if from_pack else plan_id,
                    rate=rate,
                    quantity=sums.quantity,
                    parts=sums.parts,
                    total=sums.total,
                )
            )
        else:
            detail.quantity += sums.quantity
            detail.parts += sums.parts
            detail.total += sums.total
            changed.append(detail)
    if changed:
        TransactionDetail.objects.bulk_update(changed, ["quantity", "parts", "total"], batch_size=500)
    if created:
        TransactionDetail.objects.bulk_create(created, batch_size=500)


@transaction.atomic
def charge_batch(
    *,
    partner: Partner,
    channel: str,
    items: Sequence[tuple[str, int]],
    reference: str,
    type: str = TransactionType.CAMPAIGN,  # noqa: A002 - the ledger's word for it
    description: str = "",
    by: User | None = None,
    at: datetime | None = None,
) -> list[Charge | Rejection]:
    """Charge many messages — ``(mccmnc, parts)`` each — in one go; one result per item, in order.

    Messages that cannot be paid (no pack or rate, or the credit limit reached) get a Rejection and
    cost nothing; the others are charged together into the ``reference`` transaction.
    """
    _check_channel(channel)
    if not reference:
        raise ValueError("charges accumulate under a reference, e.g. campaign_reference(campaign.pk)")
    now = at or timezone.now()
    account = lock_account(partner)
    tariff = _Tariff.load(account.partner_id, channel, at=now, lock=True)
    available = account.available
    results: list[Charge | Rejection] = []
    append = results.append
    totals: dict[tuple[str, bool, Decimal], _DetailTotals] = {}
    rejections: dict[str, Rejection] = {}
    debit = ZERO
    from_packs = 0
    plan_subscription_id = tariff.plan_subscription_id or 0
    plan_mode = tariff.plan_billing_mode
    pending: list[tuple[int, str, int, Decimal, Decimal, int, bool, str]] = []
    route_of = tariff.route
    for mccmnc, parts in items:
        if parts < 1:
            append(Rejection(Reason.BAD_PARTS, _("A message has at least one part.")))
            continue
        route = route_of(mccmnc)
        if route is None:
            append(rejections.get(mccmnc) or rejections.setdefault(mccmnc, _unknown(mccmnc)))
            continue
        packs = route.packs
        while packs and packs[0].left <= 0:
            packs.pop(0)
        if packs:
            pack = packs[0]
            pack.left -= 1
            pack.used += 1
            from_packs += 1
            key = (mccmnc, True, ZERO)
            sums = totals.get(key)
            if sums is None:
                sums = totals[key] = _DetailTotals(route.country_id, route.network_id)
            sums.quantity += 1
            sums.parts += parts
            pending.append((len(results), mccmnc, parts, ZERO, ZERO, pack.subscription_id, True, pack.billing_mode))
            append(None)  # type: ignore[arg-type]  # filled once the transaction id is known
            continue
        rate = route.rate
        if rate is None:
            append(rejections.get(mccmnc) or rejections.setdefault(mccmnc, _no_tariff(channel, mccmnc)))
            continue
        amount = rate * parts
        if amount > available:
            append(
                Rejection(
                    Reason.INSUFFICIENT_FUNDS,
                    _("Not enough money on the balance for this message (credit limit reached)."),
                )
            )
            continue
        available -= amount
        debit += amount
        key = (mccmnc, False, rate)
        sums = totals.get(key)
        if sums is None:
            sums = totals[key] = _DetailTotals(route.country_id, route.network_id)
        sums.quantity += 1
        sums.parts += parts
        sums.total += amount
        pending.append((len(results), mccmnc, parts, amount, rate, plan_subscription_id, False, plan_mode))
        append(None)  # type: ignore[arg-type]
    if not pending:
        return results
    entry = _ledger_row(
        partner_id=account.partner_id,
        type=type,
        reference=reference,
        channel=channel,
        description=description,
        by=by,
        now=now,
    )
    for states in tariff.packs_by_country.values():
        for pack in states:
            if pack.used:
                Subscription.objects.filter(pk=pack.subscription_id).update(
                    messages_left=F("messages_left") - pack.used
                )
    Transaction.objects.filter(pk=entry.pk).update(
        amount=F("amount") - debit, messages_from_packs=F("messages_from_packs") + from_packs, updated_at=now
    )
    _write_details(entry, totals, tariff.plan_id)
    account.change = -debit
    account.save()
    partner.balance = account.balance
    entry_id = entry.pk
    for index, mccmnc, parts, amount, rate, subscription_id, from_pack, mode in pending:
        results[index] = Charge(entry_id, mccmnc, parts, amount, rate, subscription_id, from_pack, mode)
    return results


def charge_message(
    *,
    partner: Partner,
    channel: str,
    mccmnc: str,
    parts: int,
    reference: str,
    type: str = TransactionType.CAMPAIGN,  # noqa: A002
    description: str = "",
    by: User | None = None,
) -> Charge:
    """Charge one message; raises ChargeRejected with the reason when it cannot be paid."""
    [result] = charge_batch(
        partner=partner,
        channel=channel,
        items=[(mccmnc, parts)],
        reference=reference,
        type=type,
        description=description,
        by=by,
    )
    if isinstance(result, Rejection):
        raise ChargeRejected(result)
    return result


@dataclass
class CampaignCharger:
    """Charges a campaign chunk by chunk into its one Campaign transaction."""

    partner: Partner
    channel: str
    campaign_id: int
    description: str = ""
    by: User | None = None

    @property
    def reference(self) -> str:
        return campaign_reference(self.campaign_id)

    def charge(self, items: Sequence[tuple[str, int]]) -> list[Charge | Rejection]:
        return charge_batch(
            partner=self.partner,
            channel=self.channel,
            items=items,
            reference=self.reference,
            type=TransactionType.CAMPAIGN,
            description=self.description,
            by=self.by,
        )

    def refund(self, charges: Iterable[Charge]) -> Decimal:
        return refund(partner=self.partner, charges=charges)


# Settling and refunding ----------------------------------------------------------------------------------------


@transaction.atomic
def refund(*, partner: Partner, charges: Iterable[Charge]) -> Decimal:
    """Give back what the charges took: money to the balance, messages to their packs; returns the money refunded."""
    charges = list(charges)
    if not charges:
        return ZERO
    account = lock_account(partner)
    by_entry: dict[int, list[Charge]] = {}
    for charge in charges:
        by_entry.setdefault(charge.transaction_id, []).append(charge)
    entries = Transaction.objects.filter(pk__in=by_entry, partner_id=account.partner_id).values_list("pk", flat=True)
    unknown = set(by_entry) - set(entries)
    if unknown:
        raise ValueError(f"charges of transactions {sorted(unknown)} do not belong to partner {account.partner_id}")
    refunded = ZERO
    pack_returns: dict[int, int] = {}
    now = timezone.now()
    for entry_id, group in by_entry.items():
        totals: dict[tuple[str, bool, Decimal], list[int | Decimal]] = {}
        money_back = ZERO
        pack_messages = 0
        for charge in group:
            sums = totals.setdefault((charge.mccmnc, charge.from_pack, charge.rate), [0, 0, ZERO])
            sums[0] += 1  # type: ignore[operator]
            sums[1] += charge.parts  # type: ignore[operator]
            sums[2] += charge.amount  # type: ignore[operator]
            money_back += charge.amount
            if charge.from_pack:
                pack_messages += 1
                pack_returns[charge.subscription_id] = pack_returns.get(charge.subscription_id, 0) + 1
        for (mccmnc, from_pack, rate), (quantity, parts, total) in totals.items():
            TransactionDetail.objects.filter(
                transaction_id=entry_id, mccmnc=mccmnc, from_pack=from_pack, rate=rate
            ).update(quantity=F("quantity") - quantity, parts=F("parts") - parts, total=F("total") - total)
        Transaction.objects.filter(pk=entry_id).update(
            amount=F("amount") + money_back,
            messages_from_packs=F("messages_from_packs") - pack_messages,
            updated_at=now,
        )
        refunded += money_back
    for subscription_id, count in pack_returns.items():
        Subscription.objects.filter(pk=subscription_id).update(messages_left=F("messages_left") + count)
    account.change = refunded
    account.save()
    partner.balance = account.balance
    return refunded


def settle(*, partner: Partner, outcomes: Iterable[tuple[Charge, bool]]) -> Decimal:
    """Final outcomes of sent messages: ``(charge, delivered)``. By-delivered charges of undelivered messages
    are refunded; everything else stays charged. Returns the money refunded."""
    return refund(
        partner=partner,
        charges=[
            charge
            for charge, delivered in outcomes
            if not delivered and charge.billing_mode == BillingMode.BY_DELIVERED
        ],
    )


# Rerating ------------------------------------------------------------------------------------------------------


@dataclass
class _Rerated:
    country_id: int | None
    network_id: int | None
    plan_id: int | None
    quantity: int = 0
    parts: int = 0
    total: Decimal = ZERO


@transaction.atomic
def rerate(*, entry: Transaction, by: User, at: datetime | None = None) -> Transaction | None:
    """Re-price the plan-paid messages of a campaign (or API / reply-to-MO) transaction with today's rates.

    Writes a Rerating transaction with the difference (+ refund, − extra charge) per MCCMNC, or nothing
    when no rate changed. Earlier reratings of the same transaction are taken into account.
    """
    _check_manages(by=by, partner=entry.partner)
    if entry.type not in (TransactionType.CAMPAIGN, TransactionType.API, TransactionType.REPLY_TO_MO):
        raise ValidationError(_("Only campaign, API and reply-to-MO charges can be rerated."), code="type")
    account = lock_account(entry.partner_id)
    now = at or timezone.now()
    current: dict[str, _Rerated] = {}
    for detail in entry.details.filter(from_pack=False):
        sums = current.setdefault(detail.mccmnc, _Rerated(detail.country_id, detail.network_id, detail.rate_plan_id))
        sums.quantity += detail.quantity
        sums.parts += detail.parts
        sums.total += detail.total
        sums.plan_id = sums.plan_id or detail.rate_plan_id
    for detail in TransactionDetail.objects.filter(transaction__rerated=entry):
        if detail.mccmnc in current:
            current[detail.mccmnc].total += detail.total
    today = timezone.localdate(now)
    deltas: list[tuple[str, _Rerated, Decimal, Decimal]] = []
    for mccmnc, sums in current.items():
        if not sums.plan_id or not sums.parts or sums.country_id is None:
            continue
        rates: dict[int | None, Decimal] = dict(
            Rate.objects.filter(plan_id=sums.plan_id, country_id=sums.country_id)
            .filter(Q(network_id=sums.network_id) | Q(network__isnull=True))
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
            .values_list("network_id", "price")
        )
        new_rate = rates.get(sums.network_id) if sums.network_id else None
        if new_rate is None:
            new_rate = rates.get(None)
        if new_rate is None:
            continue
        delta = new_rate * sums.parts - sums.total
        if delta:
            deltas.append((mccmnc, sums, new_rate, delta))
    if not deltas:
        return None
    change = -sum((delta for *_rest, delta in deltas), ZERO)
    account.check(change)
    rerating = Transaction.objects.create(
        partner_id=account.partner_id,
        type=TransactionType.RERATING,
        amount=change,
        channel=entry.channel,
        initiator=by,
        description=(_("Rerating: %(description)s") % {"description": entry.description or entry.reference})[:255],
        rerated=entry,
        created_at=now,
        updated_at=now,
    )
    TransactionDetail.objects.bulk_create(
        TransactionDetail(
            transaction=rerating,
            country_id=sums.country_id,
            network_id=sums.network_id,
            mccmnc=mccmnc,
            rate_plan_id=sums.plan_id,
            rate=new_rate,
            quantity=sums.quantity,
            parts=sums.parts,
            total=delta,
        )
        for mccmnc, sums, new_rate, delta in deltas
    )
    account.change = change
    account.save()
    return rerating

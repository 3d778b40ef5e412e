"""The balance ledger: the only code that changes ``Partner.balance``.

Every change locks the partner row (``SELECT … FOR UPDATE``; SQLite's IMMEDIATE transactions lock
the database), checks the credit limit, and writes the ledger row in the same transaction, so the
sum of a partner's transactions always equals its balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import RATE_PLACES, ZERO, Transaction, TransactionType
from tenancy.models import Partner, User

MONEY_PLACES = Decimal("0.00001")


class InsufficientFunds(ValidationError):
    def __init__(self, *, balance: Decimal, credit_limit: Decimal, amount: Decimal, currency: str) -> None:
        super().__init__(
            _(
                "Not enough money: the balance is %(balance)s %(currency)s, the credit limit %(limit)s %(currency)s,"
                " and this needs %(amount)s %(currency)s."
            )
            % {
                "balance": f"{balance:.2f}",
                "limit": f"{credit_limit:.2f}",
                "amount": f"{-amount:.2f}",
                "currency": currency,
            },
            code="insufficient_funds",
        )


@dataclass
class LockedAccount:
    """A partner's balance read under its row lock; ``apply`` changes it, ``save`` writes it once."""

    partner_id: int
    balance: Decimal
    credit_limit: Decimal
    currency: str
    change: Decimal = ZERO

    @property
    def floor(self) -> Decimal:
        return -self.credit_limit

    @property
    def available(self) -> Decimal:
        """How much may still be debited."""
        return self.balance + self.change - self.floor

    def can_debit(self, amount: Decimal) -> bool:
        return amount <= self.available

    def check(self, amount: Decimal) -> None:
        """Raise InsufficientFunds when adding ``amount`` (negative: a debit) would cross the credit limit."""
        if amount < 0 and self.balance + self.change + amount < self.floor:
            raise InsufficientFunds(
                balance=self.balance + self.change,
                credit_limit=self.credit_limit,
                amount=amount,
                currency=self.currency,
            )

    def save(self) -> Decimal:
        if self.change:
            Partner.objects.filter(pk=self.partner_id).update(balance=F("balance") + self.change)
            self.balance += self.change
            self.change = ZERO
        return self.balance


def lock_account(partner: Partner | int) -> LockedAccount:
    """Lock the partner row for the rest of the current transaction and read its balance."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_account needs an open transaction (transaction.atomic)")
    partner_id = partner if isinstance(partner, int) else partner.pk
    balance, credit_limit, currency = (
        # NO KEY UPDATE: inserts that reference the partner (messages, ledger rows) are not blocked by it.
        Partner.objects.select_for_update(no_key=True).filter(pk=partner_id).order_by().values_list(
            "balance", "credit_limit", "currency"
        ).get()
    )  # fmt: skip
    return LockedAccount(partner_id, balance, credit_limit, currency)


def money(amount: Decimal, *, places: Decimal = MONEY_PLACES) -> Decimal:
    if isinstance(amount, float) or not isinstance(amount, Decimal | int):
        raise TypeError("money amounts are Decimal, never float")
    return Decimal(amount).quantize(places)


@transaction.atomic
def balance_change(
    *,
    partner: Partner,
    amount: Decimal,
    type: str,  # noqa: A002 - the ledger's word for it
    by: User | None,
    description: str = "",
    channel: str = "",
    enforce_credit_limit: bool = True,
) -> Transaction:
    """Add ``amount`` (negative: a debit) to the balance and write its ledger row; refuse to cross the credit limit."""
    amount = money(amount)
    if not amount:
        raise ValidationError({"amount": _("The amount must not be zero.")}, code="zero")
    if type not in TransactionType.values:
        raise ValueError(f"unknown transaction type {type!r}")
    account = lock_account(partner)
    if enforce_credit_limit:
        account.check(amount)
    now = timezone.now()
    entry = Transaction.objects.create(
        partner_id=account.partner_id,
        type=type,
        amount=amount,
        initiator=by,
        description=description[:255],
        channel=channel,
        created_at=now,
        updated_at=now,
    )
    account.change = amount
    partner.balance = account.save()
    return entry


def _check_manages(*, by: User, partner: Partner) -> Partner:
    """The caller's partner, which must be an owner or reseller strictly above ``partner``."""
    manager = by.partner
    if manager is None or not manager.is_manager or not partner.is_within(manager) or partner.pk == manager.pk:
        raise ValidationError(_("You can only do this for partners below you."), code="forbidden")
    return manager


@transaction.atomic
def payment_record(*, partner: Partner, amount: Decimal, by: User, description: str = "") -> Transaction:
    """A payment or balance correction (+ or −) recorded in the AP by a partner above."""
    _check_manages(by=by, partner=partner)
    text = description.strip() or (_("Payment") if amount > 0 else _("Balance correction"))
    return balance_change(partner=partner, amount=amount, type=TransactionType.PAYMENT, by=by, description=text)


def ledger_total(partner: Partner) -> Decimal:
    """The sum of the partner's transactions: always equal to its balance."""
    total = Transaction.objects.filter(partner=partner).aggregate(total=Sum("amount"))["total"]
    return (total or ZERO).quantize(RATE_PLACES)

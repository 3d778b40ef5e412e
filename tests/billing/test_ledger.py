from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from billing import services
from billing.models import Transaction, TransactionType
from tenancy import services as tenancy_services
from tenancy.models import Partner
from tests.billing.conftest import D, assert_ledger_matches
from tests.factories import Tenant


def test_balance_change_writes_the_ledger_row(tenant: Tenant) -> None:
    entry = services.balance_change(
        partner=tenant.end_user, amount=D("12.5"), type=TransactionType.PAYMENT, by=tenant.reseller_user
    )
    assert (entry.amount, entry.initiator, entry.type) == (D("12.5"), tenant.reseller_user, "payment")
    assert tenant.end_user.balance == D("12.5")
    assert_ledger_matches(tenant.end_user)


def test_credit_limit_refusal_is_clear_and_writes_nothing(tenant: Tenant) -> None:
    Partner.objects.filter(pk=tenant.end_user.pk).update(credit_limit=D("5"))
    services.balance_change(partner=tenant.end_user, amount=D("10"), type="payment", by=None)
    services.balance_change(partner=tenant.end_user, amount=D("-15"), type="payment", by=None)  # exactly −limit
    with pytest.raises(ValidationError) as error:
        services.balance_change(partner=tenant.end_user, amount=D("-0.01"), type="payment", by=None)
    assert error.value.code == "insufficient_funds"
    assert error.value.messages == [
        "Not enough money: the balance is -5.00 EUR, the credit limit 5.00 EUR, and this needs 0.01 EUR."
    ]
    assert Transaction.objects.filter(partner=tenant.end_user).count() == 2
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.balance == D("-5")
    assert_ledger_matches(tenant.end_user)


def test_money_is_never_float(tenant: Tenant) -> None:
    with pytest.raises(TypeError):
        services.balance_change(partner=tenant.end_user, amount=1.5, type="payment", by=None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        services.balance_change(partner=tenant.end_user, amount=D("0"), type="payment", by=None)


def test_payment_record_only_below_the_caller(tenant: Tenant, tenant_b: Tenant) -> None:
    services.payment_record(partner=tenant.end_user, amount=D("5"), by=tenant.owner_user, description="Wire 42")
    entry = services.payment_record(partner=tenant.end_user, amount=D("-3"), by=tenant.reseller_user, description="")
    assert (entry.type, entry.description) == (TransactionType.PAYMENT, "Balance correction")
    for by, partner in (
        (tenant.end_user_user, tenant.end_user),  # itself
        (tenant.reseller_user, tenant.reseller),  # its own partner
        (tenant_b.owner_user, tenant.end_user),  # another tree
    ):
        with pytest.raises(ValidationError):
            services.payment_record(partner=partner, amount=D("1"), by=by)


def test_editing_partner_options_keeps_the_balance(tenant: Tenant) -> None:
    stale = Partner.objects.get(pk=tenant.end_user.pk)
    services.balance_change(partner=tenant.end_user, amount=D("7"), type="payment", by=None)
    tenancy_services.partner_update(partner=stale, by=tenant.reseller_user, name="Renamed")
    assert_ledger_matches(tenant.end_user)
    assert Partner.objects.get(pk=tenant.end_user.pk).name == "Renamed"

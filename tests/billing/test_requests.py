from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from billing import services
from billing.models import Subscription, TopUpRequest, TransactionType
from tenancy import approvals
from tenancy.models import ApprovalRequest
from tests.billing.conftest import Book, D, assert_ledger_matches, make_plan
from tests.factories import Tenant


def test_bank_transfer_waits_for_the_parent(tenant: Tenant) -> None:
    top_up = services.top_up_request(
        partner=tenant.end_user, amount=D("25"), method="bank_transfer", by=tenant.end_user_user
    )
    assert top_up.status == TopUpRequest.Status.PENDING
    assert top_up.approval is not None and top_up.approval.current_partner == tenant.reseller
    assert list(approvals.approval_queue(partner=tenant.reseller, kind="top_up")) == [top_up.approval]
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.balance == 0

    with pytest.raises(ValidationError):  # the owner is not the direct parent
        services.top_up_confirm(top_up=top_up, by=tenant.owner_user)
    services.top_up_confirm(top_up=top_up, by=tenant.reseller_user)
    top_up.refresh_from_db()
    assert top_up.status == TopUpRequest.Status.CONFIRMED
    assert top_up.transaction is not None and top_up.transaction.type == TransactionType.TOP_UP
    assert top_up.transaction.amount == D("25")
    with pytest.raises(ValidationError):  # twice changes nothing
        services.top_up_confirm(top_up=top_up, by=tenant.reseller_user)
    assert_ledger_matches(tenant.end_user)
    assert tenant.end_user.balance == D("25")


def test_declined_top_up_changes_no_balance(tenant: Tenant) -> None:
    top_up = services.top_up_request(partner=tenant.end_user, amount=D("5"), method="bank_transfer", by=None)
    services.top_up_decline(top_up=top_up, by=tenant.reseller_user, reason="No transfer arrived")
    assert top_up.status == TopUpRequest.Status.DECLINED
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.balance == 0


@override_settings(BILLING_DEMO_GATEWAY=True)
def test_demo_gateway_pays_at_once(tenant: Tenant) -> None:
    top_up = services.top_up_request(partner=tenant.end_user, amount=D("9.99"), method="demo", by=None)
    assert top_up.status == TopUpRequest.Status.CONFIRMED
    assert_ledger_matches(tenant.end_user)
    assert tenant.end_user.balance == D("9.99")


@override_settings(BILLING_DEMO_GATEWAY=False)
def test_demo_gateway_can_be_switched_off(tenant: Tenant) -> None:
    assert [gateway.code for gateway in services.payment_gateways()] == ["bank_transfer"]
    with pytest.raises(ValidationError):
        services.top_up_request(partner=tenant.end_user, amount=D("1"), method="demo", by=None)
    with pytest.raises(ValidationError):
        services.top_up_request(partner=tenant.end_user, amount=D("-1"), method="bank_transfer", by=None)
    assert not TopUpRequest.objects.exists()


def test_rate_plan_request_lands_in_the_parents_queue(tenant: Tenant, book: Book) -> None:
    request = services.rate_plan_request_open(
        partner=tenant.end_user, by=tenant.end_user_user, comment="SMS to Spain, please", channel="sms"
    )
    approval = request.approval
    assert (approval.kind, approval.route, approval.current_partner) == (
        "rate_plan",
        ApprovalRequest.Route.PARENT,
        tenant.reseller,
    )
    assert list(approvals.approval_queue(partner=tenant.reseller, kind="rate_plan")) == [approval]
    plan = make_plan(tenant.reseller, rates={(book.spain, None): "0.01"})
    services.rate_plan_request_approve(request=request, by=tenant.reseller_user, plan=plan)
    request.refresh_from_db()
    assert request.granted_plan == plan
    assert Subscription.objects.get(partner=tenant.end_user, kind="plan").rate_plan == plan

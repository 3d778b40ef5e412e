"""Requests to the partner above: balance top-ups and rate plans, through the approval framework."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.models import BillingChannel, RatePlan, RatePlanRequest, TopUpRequest, TransactionType
from billing.services.catalog import rate_plan_assign
from billing.services.ledger import balance_change, money
from tenancy import approvals
from tenancy.models import ApprovalRequest, Partner, User

TOP_UP_KIND = "top_up"
RATE_PLAN_KIND = "rate_plan"
MAX_TOP_UP = Decimal("1000000")


# Payment gateways ----------------------------------------------------------------------------------------------


class PaymentGateway(Protocol):
    code: str
    label: Any
    instant: bool

    def start(self, *, top_up: TopUpRequest, by: User | None) -> None:
        """Begin the payment; an instant gateway credits the balance before returning."""


class ManualGateway:
    """Bank transfer: the request waits until the partner above confirms the money arrived."""

    code = "bank_transfer"
    label = gettext_lazy("Bank transfer")
    instant = False

    def start(self, *, top_up: TopUpRequest, by: User | None) -> None:
        approval = approvals.approval_open(
            partner=top_up.partner,
            by=by,
            kind=TOP_UP_KIND,
            title=_("Top up %(amount)s %(currency)s by bank transfer")
            % {"amount": f"{top_up.amount:.2f}", "currency": top_up.partner.currency},
            route=ApprovalRequest.Route.PARENT,
        )
        TopUpRequest.objects.filter(pk=top_up.pk).update(approval=approval)
        top_up.approval = approval


class DemoGateway:
    """Pays at once, for demo portals; switched off in production by BILLING_DEMO_GATEWAY."""

    code = "demo"
    label = gettext_lazy("Demo card (instant)")
    instant = True

    def start(self, *, top_up: TopUpRequest, by: User | None) -> None:
        _top_up_credit(top_up=top_up, by=by)


GATEWAYS: dict[str, PaymentGateway] = {gateway.code: gateway for gateway in (ManualGateway(), DemoGateway())}


def payment_gateways() -> list[PaymentGateway]:
    """The payment methods offered in the Top Up window."""
    return [
        gateway
        for gateway in GATEWAYS.values()
        if not isinstance(gateway, DemoGateway) or getattr(settings, "BILLING_DEMO_GATEWAY", False)
    ]


def _top_up_credit(*, top_up: TopUpRequest, by: User | None) -> TopUpRequest:
    updated = TopUpRequest.objects.filter(pk=top_up.pk, status=TopUpRequest.Status.PENDING).update(
        status=TopUpRequest.Status.CONFIRMED, decided_at=timezone.now()
    )
    if not updated:
        raise ValidationError(_("This top-up is not waiting any more."), code="not_pending")
    entry = balance_change(
        partner=top_up.partner,
        amount=top_up.amount,
        type=TransactionType.TOP_UP,
        by=by,
        description=_("Top up: %(method)s") % {"method": GATEWAYS[top_up.method].label},
    )
    TopUpRequest.objects.filter(pk=top_up.pk).update(transaction=entry)
    top_up.refresh_from_db()
    return top_up


@transaction.atomic
def top_up_request(
    *, partner: Partner, amount: Decimal, method: str, by: User | None, comment: str = ""
) -> TopUpRequest:
    """Start a top-up through a payment method (see ``payment_gateways``)."""
    gateway = next((g for g in payment_gateways() if g.code == method), None)
    if gateway is None:
        raise ValidationError({"method": _("Choose one of the offered payment methods.")}, code="method")
    amount = money(amount)
    if amount <= 0 or amount > MAX_TOP_UP:
        raise ValidationError({"amount": _("Enter an amount above zero and up to 1,000,000.")}, code="amount")
    top_up = TopUpRequest.objects.create(partner=partner, amount=amount, method=method, comment=comment, created_by=by)
    gateway.start(top_up=top_up, by=by)
    top_up.refresh_from_db()
    return top_up


def _approval_of(top_up: TopUpRequest) -> ApprovalRequest:
    if top_up.approval is None:
        raise ValidationError(_("This top-up does not wait for a confirmation."), code="not_manual")
    return top_up.approval


@transaction.atomic
def top_up_confirm(*, top_up: TopUpRequest, by: User) -> TopUpRequest:
    """The partner above confirms a bank transfer: the balance is credited (Balance Top Up)."""
    approvals.approval_approve(approval=_approval_of(top_up), by=by)
    top_up.refresh_from_db()
    return top_up


@transaction.atomic
def top_up_decline(*, top_up: TopUpRequest, by: User, reason: str) -> TopUpRequest:
    approvals.approval_decline(approval=_approval_of(top_up), by=by, reason=reason)
    top_up.refresh_from_db()
    return top_up


class TopUpApprovalHandler:
    def on_forwarded(self, approval: ApprovalRequest, *, by: User) -> None:
        return None

    def on_approved(self, approval: ApprovalRequest, *, by: User, payload: dict[str, Any]) -> None:
        _top_up_credit(top_up=TopUpRequest.objects.select_related("partner").get(approval=approval), by=by)

    def on_declined(self, approval: ApprovalRequest, *, by: User) -> None:
        TopUpRequest.objects.filter(approval=approval, status=TopUpRequest.Status.PENDING).update(
            status=TopUpRequest.Status.DECLINED, decided_at=timezone.now()
        )

    def on_canceled(self, approval: ApprovalRequest, *, by: User) -> None:
        TopUpRequest.objects.filter(approval=approval, status=TopUpRequest.Status.PENDING).update(
            status=TopUpRequest.Status.CANCELED, decided_at=timezone.now()
        )


# Rate plan requests --------------------------------------------------------------------------------------------


@transaction.atomic
def rate_plan_request_open(*, partner: Partner, by: User | None, comment: str, channel: str = "") -> RatePlanRequest:
    """Ask the partner above for rate plans or packs (shown when nothing is offered yet)."""
    comment = comment.strip()
    if len(comment) > 2000:
        raise ValidationError({"comment": _("Keep the comment under 2000 characters.")}, code="too_long")
    if channel and channel not in BillingChannel.values:
        raise ValidationError({"channel": _("Choose a channel from the list.")}, code="channel")
    title = _("Rate plans wanted")
    if channel:
        title = _("Rate plans wanted: %(channel)s") % {"channel": BillingChannel(channel).label}
    approval = approvals.approval_open(
        partner=partner, by=by, kind=RATE_PLAN_KIND, title=title, route=ApprovalRequest.Route.PARENT
    )
    return RatePlanRequest.objects.create(partner=partner, approval=approval, channel=channel, comment=comment)


@transaction.atomic
def rate_plan_request_approve(*, request: RatePlanRequest, by: User, plan: RatePlan | None = None) -> RatePlanRequest:
    """Approve a request; with ``plan`` the requester is put on that plan at once."""
    approvals.approval_approve(approval=request.approval, by=by, payload={"rate_plan": plan.pk if plan else None})
    request.refresh_from_db()
    return request


class RatePlanApprovalHandler:
    def on_forwarded(self, approval: ApprovalRequest, *, by: User) -> None:
        return None

    def on_approved(self, approval: ApprovalRequest, *, by: User, payload: dict[str, Any]) -> None:
        plan_id = payload.get("rate_plan")
        if not plan_id:
            return
        request = RatePlanRequest.objects.select_related("partner").get(approval=approval)
        plan = RatePlan.objects.filter(pk=plan_id, partner=by.partner).first()
        if plan is None:
            raise ValidationError(_("Choose one of your own rate plans."), code="plan")
        rate_plan_assign(plan=plan, partners=[request.partner], by=by, subscribe=True)
        RatePlanRequest.objects.filter(pk=request.pk).update(granted_plan=plan)

    def on_declined(self, approval: ApprovalRequest, *, by: User) -> None:
        return None

    def on_canceled(self, approval: ApprovalRequest, *, by: User) -> None:
        return None


def register_approval_handlers() -> None:
    approvals.register(TOP_UP_KIND, TopUpApprovalHandler())
    approvals.register(RATE_PLAN_KIND, RatePlanApprovalHandler())

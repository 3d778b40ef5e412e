"""The approval machinery shared by sender ID requests, premoderation and rate-plan requests.

An app plugs in by registering a handler for its kind::

    approvals.register("sender_id", SenderIDApprovalHandler())

and by opening requests with ``approval_open``. Every transition is a conditional update, so a
repeated click or a second worker changes nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy.models import ApprovalRequest, ApprovalStep, Partner, User


class ApprovalHandler(Protocol):
    """What the app owning the subject of an approval does on each transition."""

    def on_forwarded(self, approval: ApprovalRequest, *, by: User) -> None: ...

    def on_approved(self, approval: ApprovalRequest, *, by: User, payload: dict[str, Any]) -> None: ...

    def on_declined(self, approval: ApprovalRequest, *, by: User) -> None: ...

    def on_canceled(self, approval: ApprovalRequest, *, by: User) -> None: ...


@dataclass
class _Registry:
    handlers: dict[str, ApprovalHandler] = field(default_factory=dict)


_registry = _Registry()


def register(kind: str, handler: ApprovalHandler) -> None:
    _registry.handlers[kind] = handler


def handler_for(kind: str) -> ApprovalHandler:
    return _registry.handlers[kind]


def registered_kinds() -> list[str]:
    return sorted(_registry.handlers)


def _parent(partner: Partner) -> Partner | None:
    parent: Partner | None = Partner.objects.get_parent(partner)
    return parent


def is_final_level(approval: ApprovalRequest) -> bool:
    """True when the partner the request waits at takes the final decision."""
    current = approval.current_partner
    if current is None:
        return False
    return approval.route == ApprovalRequest.Route.PARENT or current.kind == Partner.Kind.OWNER


@transaction.atomic
def approval_open(
    *, partner: Partner, by: User | None, kind: str, title: str, route: str = ApprovalRequest.Route.CHAIN
) -> ApprovalRequest:
    parent = _parent(partner)
    if parent is None:
        raise ValidationError(_("There is no partner above you to approve this."), code="no_parent")
    approval = ApprovalRequest.objects.create(
        partner=partner, requested_by=by, kind=kind, title=title, route=route, current_partner=parent
    )
    ApprovalStep.objects.create(approval=approval, partner=partner, actor=by, action=ApprovalStep.Action.SUBMITTED)
    return approval


def _level(approval: ApprovalRequest, by: User) -> Partner:
    """The caller's partner, which must be the level the request waits at."""
    if by.partner is None or approval.current_partner_id != by.partner.pk:
        raise ValidationError(_("This request is not waiting for you."), code="not_yours")
    return by.partner


def _take(approval: ApprovalRequest, by: User, **changes: Any) -> ApprovalRequest:
    """Move a pending request on, only if it still waits at the caller's partner."""
    updated = ApprovalRequest.objects.filter(
        pk=approval.pk, status=ApprovalRequest.Status.PENDING, current_partner=by.partner
    ).update(**changes)
    if not updated:
        raise ValidationError(_("This request is not waiting for you any more."), code="not_yours")
    approval.refresh_from_db()
    return approval


@transaction.atomic
def approval_forward(*, approval: ApprovalRequest, by: User) -> ApprovalRequest:
    level = _level(approval, by)
    if is_final_level(approval):
        raise ValidationError(_("You take the final decision on this request."), code="final")
    next_level = _parent(level)
    if next_level is None:
        raise ValidationError(_("There is no partner above you to forward to."), code="no_parent")
    approval = _take(approval, by, current_partner=next_level)
    ApprovalStep.objects.create(approval=approval, partner=level, actor=by, action=ApprovalStep.Action.FORWARDED)
    handler_for(approval.kind).on_forwarded(approval, by=by)
    return approval


@transaction.atomic
def approval_approve(*, approval: ApprovalRequest, by: User, payload: dict[str, Any] | None = None) -> ApprovalRequest:
    level = _level(approval, by)
    if not is_final_level(approval):
        raise ValidationError(_("Forward this request: the system owner takes the final decision."), code="not_final")
    approval = _take(
        approval, by, status=ApprovalRequest.Status.APPROVED, current_partner=None, decided_at=timezone.now()
    )
    ApprovalStep.objects.create(approval=approval, partner=level, actor=by, action=ApprovalStep.Action.APPROVED)
    handler_for(approval.kind).on_approved(approval, by=by, payload=payload or {})
    return approval


@transaction.atomic
def approval_decline(*, approval: ApprovalRequest, by: User, reason: str) -> ApprovalRequest:
    level = _level(approval, by)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason for the decline.")}, code="reason")
    approval = _take(
        approval,
        by,
        status=ApprovalRequest.Status.DECLINED,
        current_partner=None,
        reason=reason,
        decided_at=timezone.now(),
    )
    ApprovalStep.objects.create(
        approval=approval, partner=level, actor=by, action=ApprovalStep.Action.DECLINED, reason=reason
    )
    handler_for(approval.kind).on_declined(approval, by=by)
    return approval


@transaction.atomic
def approval_cancel(*, approval: ApprovalRequest, by: User) -> ApprovalRequest:
    """The requester withdraws a request that is still pending."""
    updated = ApprovalRequest.objects.filter(
        pk=approval.pk, partner_id=by.partner_id or 0, status=ApprovalRequest.Status.PENDING
    ).update(status=ApprovalRequest.Status.CANCELED, current_partner=None, decided_at=timezone.now())
    if not updated:
        raise ValidationError(_("Only a pending request of yours can be canceled."), code="not_pending")
    approval.refresh_from_db()
    ApprovalStep.objects.create(
        approval=approval, partner=approval.partner, actor=by, action=ApprovalStep.Action.CANCELED
    )
    handler_for(approval.kind).on_canceled(approval, by=by)
    return approval


def approval_queue(*, partner: Partner, kind: str | None = None) -> QuerySet[ApprovalRequest]:
    """Requests waiting for ``partner``'s decision."""
    queryset = ApprovalRequest.objects.filter(current_partner=partner, status=ApprovalRequest.Status.PENDING)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.select_related("partner", "requested_by")


def approval_events(*, partner: Partner, kind: str | None = None) -> QuerySet[ApprovalRequest]:
    """Every request from ``partner``'s subtree (its own included), newest first."""
    queryset = ApprovalRequest.objects.visible_to(partner)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.select_related("partner", "requested_by", "current_partner")


@dataclass(frozen=True)
class StepView:
    """One recorded step as a given partner may see it."""

    who: str
    actor: str
    action: str
    action_label: str
    reason: str
    at: datetime


def approval_steps_for(*, approval: ApprovalRequest, viewer: Partner) -> list[StepView]:
    """The steps of ``approval`` for ``viewer``: partners at or below it by name with the acting user, its direct
    parent by name, and anyone higher only as "a higher-level partner" (a white-label portal hides its upstream).

    Reads ``approval.steps.all()``, so prefetch ``steps__partner`` and ``steps__actor`` for lists.
    """
    parent_path = viewer.path[: -Partner.steplen]
    views = []
    for step in approval.steps.all():
        partner = step.partner
        if partner.is_within(viewer):
            who, actor = partner.name, step.actor.get_full_name() if step.actor else ""
        elif partner.path == parent_path:
            who, actor = partner.name, ""
        else:
            who, actor = _("Higher-level partner"), ""
        views.append(
            StepView(
                who=who,
                actor=actor,
                action=step.action,
                action_label=step.get_action_display(),
                reason=step.reason,
                at=step.at,
            )
        )
    return views

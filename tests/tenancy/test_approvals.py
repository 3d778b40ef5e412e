from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from tenancy import approvals
from tenancy.models import ApprovalRequest, ApprovalStep, Partner, User
from tests.factories import Tenant, make_partner, make_user


class RecordingHandler:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def on_forwarded(self, approval: ApprovalRequest, *, by: User) -> None:
        self.calls.append(("forwarded", approval.pk))

    def on_approved(self, approval: ApprovalRequest, *, by: User, payload: dict[str, Any]) -> None:
        self.calls.append(("approved", approval.pk))

    def on_declined(self, approval: ApprovalRequest, *, by: User) -> None:
        self.calls.append(("declined", approval.pk))

    def on_canceled(self, approval: ApprovalRequest, *, by: User) -> None:
        self.calls.append(("canceled", approval.pk))


@pytest.fixture
def handler() -> Iterator[RecordingHandler]:
    recording = RecordingHandler()
    approvals.register("test", recording)
    yield recording
    del approvals._registry.handlers["test"]  # the process's registry outlives the test


def test_chain_request_climbs_to_the_owner_who_decides(tenant: Tenant, handler: RecordingHandler) -> None:
    approval = approvals.approval_open(
        partner=tenant.end_user, by=tenant.end_user_user, kind="test", title="Please approve"
    )
    assert approval.current_partner == tenant.reseller
    assert list(approvals.approval_queue(partner=tenant.reseller)) == [approval]
    with pytest.raises(ValidationError, match="system owner takes the final decision"):
        approvals.approval_approve(approval=approval, by=tenant.reseller_user)
    with pytest.raises(ValidationError, match="not waiting for you"):
        approvals.approval_forward(approval=approval, by=tenant.owner_user)

    approvals.approval_forward(approval=approval, by=tenant.reseller_user)
    assert approval.current_partner == tenant.owner
    assert list(approvals.approval_queue(partner=tenant.reseller)) == []
    with pytest.raises(ValidationError, match="final decision"):
        approvals.approval_forward(approval=approval, by=tenant.owner_user)

    approvals.approval_approve(approval=approval, by=tenant.owner_user, payload={"months": 12})
    approval.refresh_from_db()
    assert approval.status == ApprovalRequest.Status.APPROVED and approval.current_partner is None
    assert [(s.action, s.partner) for s in approval.steps.all()] == [
        (ApprovalStep.Action.SUBMITTED, tenant.end_user),
        (ApprovalStep.Action.FORWARDED, tenant.reseller),
        (ApprovalStep.Action.APPROVED, tenant.owner),
    ]
    assert handler.calls == [("forwarded", approval.pk), ("approved", approval.pk)]
    with pytest.raises(ValidationError):
        approvals.approval_decline(approval=approval, by=tenant.owner_user, reason="too late")


def test_decline_needs_a_reason_and_stops_the_request(tenant: Tenant, handler: RecordingHandler) -> None:
    approval = approvals.approval_open(partner=tenant.end_user, by=tenant.end_user_user, kind="test", title="X")
    with pytest.raises(ValidationError, match="Give a reason"):
        approvals.approval_decline(approval=approval, by=tenant.reseller_user, reason="  ")
    approvals.approval_decline(approval=approval, by=tenant.reseller_user, reason="Brand not verified")
    approval.refresh_from_db()
    assert (approval.status, approval.reason) == (ApprovalRequest.Status.DECLINED, "Brand not verified")
    assert [step.reason for step in approval.steps.all()][-1] == "Brand not verified"
    assert handler.calls == [("declined", approval.pk)]


def test_parent_route_is_decided_by_the_direct_parent(tenant: Tenant, handler: RecordingHandler) -> None:
    approval = approvals.approval_open(
        partner=tenant.end_user,
        by=tenant.end_user_user,
        kind="test",
        title="Campaign",
        route=ApprovalRequest.Route.PARENT,
    )
    approvals.approval_approve(approval=approval, by=tenant.reseller_user)
    assert ApprovalRequest.objects.get(pk=approval.pk).status == ApprovalRequest.Status.APPROVED


def test_only_the_requester_cancels_and_only_while_pending(tenant: Tenant, handler: RecordingHandler) -> None:
    approval = approvals.approval_open(partner=tenant.end_user, by=tenant.end_user_user, kind="test", title="X")
    colleague_elsewhere = make_user(make_partner(tenant.reseller))
    with pytest.raises(ValidationError):
        approvals.approval_cancel(approval=approval, by=colleague_elsewhere)
    approvals.approval_cancel(approval=approval, by=tenant.end_user_user)
    assert ApprovalRequest.objects.get(pk=approval.pk).status == ApprovalRequest.Status.CANCELED
    with pytest.raises(ValidationError):
        approvals.approval_cancel(approval=approval, by=tenant.end_user_user)
    assert handler.calls == [("canceled", approval.pk)]


def test_events_are_scoped_to_the_subtree(tenant: Tenant, tenant_b: Tenant, handler: RecordingHandler) -> None:
    mine = approvals.approval_open(partner=tenant.end_user, by=tenant.end_user_user, kind="test", title="A")
    approvals.approval_open(partner=tenant_b.end_user, by=tenant_b.end_user_user, kind="test", title="B")
    sibling = make_partner(tenant.owner, Partner.Kind.RESELLER)
    approvals.approval_open(partner=make_partner(sibling), by=None, kind="test", title="C")
    assert list(approvals.approval_events(partner=tenant.reseller)) == [mine]
    assert {a.title for a in approvals.approval_events(partner=tenant.owner)} == {"A", "C"}


def test_the_owner_has_nobody_to_ask(tenant: Tenant, handler: RecordingHandler) -> None:
    with pytest.raises(ValidationError, match="no partner above you"):
        approvals.approval_open(partner=tenant.owner, by=tenant.owner_user, kind="test", title="X")
    assert not ApprovalRequest.objects.exists()

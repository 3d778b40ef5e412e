"""Reads behind the Sender IDs pages of the Campaign Portal and the Admin Panel."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from senders.models import SenderID, SenderIDRequest
from tenancy.approvals import StepView, approval_steps_for
from tenancy.models import ApprovalStep, CustomField, Partner
from tenancy.services import custom_fields_for


def sender_list(*, queryset: QuerySet[SenderID], filters: dict[str, Any]) -> QuerySet[SenderID]:
    """Sender IDs (already scoped to the caller) filtered by channel and status, with their latest request."""
    if filters.get("channel"):
        queryset = queryset.filter(channel=filters["channel"])
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    return queryset.select_related("latest_request")


def requests_with_details(queryset: QuerySet[SenderIDRequest]) -> QuerySet[SenderIDRequest]:
    """Everything a request's detail card shows, in a fixed number of queries."""
    steps = ApprovalStep.objects.select_related("partner", "actor")
    return queryset.select_related("approval", "requested_by", "partner").prefetch_related(
        "documents", Prefetch("approval__steps", queryset=steps)
    )


@dataclass(frozen=True)
class RequestCard:
    """A request with its steps as the viewer may see them and its custom field values by label."""

    request: SenderIDRequest
    steps: list[StepView]
    extra_fields: list[tuple[str, Any]]


def _extra_fields(sender_request: SenderIDRequest, fields: list[CustomField]) -> list[tuple[str, Any]]:
    labels = {field.key: field.label for field in fields}
    values = sender_request.custom_fields or {}
    ordered = [key for key in labels if key in values] + [key for key in values if key not in labels]
    return [(str(labels.get(key, key)), values[key]) for key in ordered]


def request_cards(*, requests: Iterable[SenderIDRequest], viewer: Partner) -> list[RequestCard]:
    fields_by_partner: dict[int, list[CustomField]] = {}
    cards = []
    for sender_request in requests:
        if sender_request.partner_id not in fields_by_partner:
            fields_by_partner[sender_request.partner_id] = custom_fields_for(
                partner=sender_request.partner, form=CustomField.Form.SENDER_ID_REQUEST
            )
        cards.append(
            RequestCard(
                request=sender_request,
                steps=approval_steps_for(approval=sender_request.approval, viewer=viewer),
                extra_fields=_extra_fields(sender_request, fields_by_partner[sender_request.partner_id]),
            )
        )
    return cards

"""Badge colours for sender ID and request statuses."""

from __future__ import annotations

from django import template

register = template.Library()

SENDER_BADGES = {"enabled": "text-bg-success", "waiting": "text-bg-warning", "disabled": "text-bg-secondary"}
REQUEST_BADGES = {
    "new": "text-bg-info",
    "in_progress": "text-bg-primary",
    "confirmed": "text-bg-success",
    "declined": "text-bg-danger",
    "canceled": "text-bg-secondary",
    "unsubscribed": "text-bg-secondary",
    "period_changed": "text-bg-info",
    # approval records (Admin Panel events)
    "pending": "text-bg-warning",
    "approved": "text-bg-success",
}


@register.filter
def sender_badge(status: str) -> str:
    return SENDER_BADGES.get(status, "text-bg-light")


@register.filter
def request_badge(status: str) -> str:
    return REQUEST_BADGES.get(status, "text-bg-light")

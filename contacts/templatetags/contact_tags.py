"""Table cells of the contacts pages, in the signed-in user's date format and time zone."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from contacts.models import Contact, ContactImport
from contacts.values import STANDARD_COLUMNS, STOP_LIST_COLUMN, STRPTIME, Column, display_value
from tenancy.templatetags.tenancy_tags import user_date, user_datetime

register = template.Library()

STATUS_BADGES = {
    ContactImport.Status.QUEUED: "text-bg-secondary",
    ContactImport.Status.PROCESSING: "text-bg-info",
    ContactImport.Status.COMPLETED: "text-bg-success",
    ContactImport.Status.FAILED: "text-bg-danger",
}


@register.simple_tag(takes_context=True)
def contact_cell(context: dict[str, Any], contact: Contact, column: Column) -> str:
    key = column.key
    user = context.get("user")
    date_format = getattr(user, "date_format", "YYYY-MM-DD")
    if key == "phone":
        return str(format_html('<span class="font-monospace">{}</span>', contact.phone))
    if key == "groups":
        return str(
            format_html_join(
                " ", '<span class="badge text-bg-light border">{}</span>', ((g.name,) for g in contact.groups.all())
            )
        )
    if key == "created_at":
        return user_datetime(context, contact.created_at)
    if key == "updated_at":
        return user_datetime(context, contact.updated_at)
    if key == "user":
        return str(format_html("{}", contact.created_by.email if contact.created_by else ""))
    if key == STOP_LIST_COLUMN:
        entries = list(contact.stop_entries.all())
        badges = []
        if any(entry.sender_id is None for entry in entries):
            badges.append(format_html('<span class="badge text-bg-danger">{}</span>', _("All sender IDs")))
        badges += [
            format_html('<span class="badge text-bg-warning">{}</span>', str(entry.sender))
            for entry in entries
            if entry.sender_id is not None
        ]
        return " ".join(str(badge) for badge in badges)
    if key == "birth_date":
        return user_date(context, contact.birth_date)
    if key == "gender":
        return str(format_html("{}", contact.get_gender_display() if contact.gender else ""))
    if key in STANDARD_COLUMNS:
        return str(format_html("{}", getattr(contact, key)))
    if column.field is not None:
        value = display_value(column.field, contact.custom_values.get(column.field.variable), date_format)
        return str(format_html("{}", value))
    return ""


@register.filter
def indent(depth: int) -> str:
    return "\u2003" * int(depth or 0)


@register.filter
def status_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "text-bg-secondary")  # type: ignore[call-overload, no-any-return]


@register.filter
def group_ids(contact: Contact) -> str:
    return ",".join(str(group.pk) for group in contact.groups.all())


@register.filter
def blocked_ids(contact: Contact) -> str:
    return ",".join(str(entry.sender_id or "all") for entry in contact.stop_entries.all())


@register.simple_tag(takes_context=True)
def date_pattern(context: dict[str, Any]) -> str:
    return STRPTIME.get(getattr(context.get("user"), "date_format", ""), "%Y-%m-%d")

"""Dates in the signed-in user's format and time zone."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template
from django.utils import timezone

register = template.Library()

STRFTIME = {
    "DD.MM.YYYY": "%d.%m.%Y",
    "DD/MM/YYYY": "%d/%m/%Y",
    "MM/DD/YYYY": "%m/%d/%Y",
    "YYYY-MM-DD": "%Y-%m-%d",
}


def _format(user: Any) -> str:
    return STRFTIME.get(getattr(user, "date_format", ""), "%Y-%m-%d")


@register.simple_tag(takes_context=True)
def user_date(context: dict[str, Any], value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return value.strftime(_format(context.get("user")))


@register.simple_tag(takes_context=True)
def user_datetime(context: dict[str, Any], value: datetime | None) -> str:
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return local.strftime(_format(context.get("user")) + " %H:%M")


@register.filter
def bs(field: Any) -> str:
    """Render a bound form field with Bootstrap's classes (and the invalid state)."""
    widget_type = field.widget_type
    css = "form-select" if widget_type in ("select", "selectmultiple") else "form-control"
    if field.errors:
        css += " is-invalid"
    return str(field.as_widget(attrs={"class": css}))

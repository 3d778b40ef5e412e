"""Money, validity periods and the Top Up form for the Campaign Portal's billing pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing.forms import TopUpForm
from billing.models import Pack, Transaction, ValidityUnit
from billing.services import payment_gateways

register = template.Library()

UNIT_TEXT = {
    ValidityUnit.DAY: lambda n: ngettext("%(count)d day", "%(count)d days", n),
    ValidityUnit.WEEK: lambda n: ngettext("%(count)d week", "%(count)d weeks", n),
    ValidityUnit.MONTH: lambda n: ngettext("%(count)d month", "%(count)d months", n),
    ValidityUnit.YEAR: lambda n: ngettext("%(count)d year", "%(count)d years", n),
}


@register.filter
def validity(pack: Pack) -> str:
    """How long a pack lasts after purchase: "3 months", or "No limit"."""
    text = UNIT_TEXT.get(pack.validity_unit)  # type: ignore[call-overload]
    if text is None:
        return _("No limit")
    return str(text(pack.validity_count) % {"count": pack.validity_count})


@register.filter
def rate(value: Decimal | None) -> str:
    """A per-message price: at least 2 decimal places, up to 5 when they matter (0.005, 0.10, 1.25)."""
    if value is None:
        return ""
    text = f"{Decimal(value):.5f}".rstrip("0")
    whole, _dot, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


@register.filter
def signed(value: Decimal | None) -> str:
    """An amount with its sign, two decimal places: +10.00, −4.00, 0.00."""
    if value is None:
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"))
    if amount > 0:
        return f"+{amount}"
    if amount < 0:
        return f"−{-amount}"
    return f"{abs(amount)}"


def initiator_text(entry: Transaction, partner_id: int) -> str:
    """Who made the operation, as the partner may see it: its own users by e-mail, anyone above as the administrator."""
    user = entry.initiator
    if user is None:
        return _("System")
    if user.partner_id == partner_id:
        return user.email
    return _("Administrator")


@register.simple_tag(takes_context=True)
def initiator(context: dict[str, Any], entry: Transaction) -> str:
    partner = context.get("current_partner")
    return initiator_text(entry, partner.pk if partner is not None else 0)


@register.inclusion_tag("billing/_top_up_form.html", takes_context=True)
def top_up_form(context: dict[str, Any]) -> dict[str, Any]:
    """The Top Up window's form, on every Campaign Portal page."""
    request = context.get("request")
    gateways = payment_gateways()
    form = TopUpForm(gateways=gateways, initial={"next": request.get_full_path() if request else ""})
    return {
        "form": form,
        "csrf_token": context.get("csrf_token"),
        "request": request,
        "current_partner": context.get("current_partner"),
    }


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key) if mapping else None


@register.filter
def short_list(values: list[str] | None, limit: int = 3) -> str:
    """The first few names and how many more: "Spain, Sweden, Italy +4"."""
    if not values:
        return "—"
    shown = ", ".join(values[:limit])
    rest = len(values) - limit
    return shown if rest <= 0 else _("%(names)s +%(count)d more") % {"names": shown, "count": rest}


@register.filter
def payment_method(code: str) -> str:
    from billing.services.requests import GATEWAYS

    gateway = GATEWAYS.get(code)
    return str(gateway.label) if gateway is not None else code

"""The estimate of a campaign: recipients by destination, cost, what packs and rate plans cover."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext as _

from billing.models import Country, Network
from billing.services import ChargeRejected, quote
from billing.services.reference import NumberResolver, ResolvedNumber
from campaigns.models import Campaign, MessageTemplate
from campaigns.services.files import _file_rows
from campaigns.services.texts import estimate_parts, split_numbers
from campaigns.shortlinks import shortened
from contacts import selectors as contact_selectors
from messaging.models import Purpose
from messaging.services.dispatch import billing_product
from tenancy.models import Channel


@dataclass
class Destination:
    country: str
    network: str
    mccmnc: str
    count: int


@dataclass
class Estimate:
    recipients: int = 0
    invalid: int = 0
    duplicates: int = 0
    cost: Decimal = Decimal(0)
    from_packs: int = 0
    from_plan: int = 0
    uncovered: int = 0
    parts: int = 1
    destinations: list[Destination] = field(default_factory=list)
    groups: list[tuple[str, int]] = field(default_factory=list)


def _resolve_numbers(numbers: Iterable[str], default_country: Country | None, estimate: Estimate) -> dict[str, Any]:
    resolver = NumberResolver()
    seen: dict[str, ResolvedNumber] = {}
    for raw in numbers:
        try:
            number = resolver.resolve(raw, default_country)
        except ValidationError:
            estimate.invalid += 1
            continue
        if number.e164 in seen:
            estimate.duplicates += 1
            continue
        seen[number.e164] = number
    return seen


def campaign_estimate(campaign: Campaign) -> Estimate:
    """Recipients by destination, the estimated cost of the first channel, and what packs or plans cover."""
    estimate = Estimate()
    counts: dict[tuple[int, int | None], int] = {}
    if campaign.source == Campaign.Source.GROUPS:
        groups = list(campaign.groups.all())
        queryset = contact_selectors.recipients_queryset(partner=campaign.partner, groups=groups, sender=None)
        for row in queryset.values("country_id", "network_id").annotate(count=Count("pk")).order_by():
            counts[(row["country_id"], row["network_id"])] = row["count"]
        per_group = contact_selectors.group_counts(groups)
        estimate.groups = [(group.name, per_group.get(group.pk, 0)) for group in groups if per_group.get(group.pk)]
    else:
        if campaign.source == Campaign.Source.MANUAL:
            numbers: Iterable[str] = split_numbers(campaign.manual_numbers)
        elif campaign.source == Campaign.Source.FILE and campaign.file:
            numbers = (row.get("phone", "") for row in _file_rows(campaign))
        else:
            numbers = []
        for number in _resolve_numbers(numbers, campaign.default_country, estimate).values():
            key = (number.country.pk, number.network.pk if number.network else None)
            counts[key] = counts.get(key, 0) + 1
    estimate.recipients = sum(counts.values())
    if not counts:
        return estimate
    countries = Country.objects.in_bulk({key[0] for key in counts if key[0]})
    networks = Network.objects.in_bulk({key[1] for key in counts if key[1]})
    first = campaign.steps[0] if campaign.steps else {}
    channel = first.get("channel", Channel.SMS)
    text = shortened(first.get("text", ""), campaign.short_link)
    estimate.parts = estimate_parts(channel, text) if channel == Channel.SMS else 1
    purpose = first.get("purpose", "")
    if channel == Channel.VIBER:
        purpose = Purpose.PROMOTION if first.get("image_url") or first.get("button_url") else purpose or "transaction"
    elif channel == Channel.WHATSAPP:
        purpose = purpose or Purpose.MARKETING
        template = MessageTemplate.objects.filter(pk=first.get("template_id") or 0).first()
        if template:
            purpose = template.purpose or purpose
    product = billing_product(channel, purpose)
    for (country_id, network_id), count in sorted(counts.items(), key=lambda item: -item[1]):
        country = countries.get(country_id)
        network = networks.get(network_id) if network_id else None
        mccmnc = network.mccmnc if network else (country.mcc if country else "")
        estimate.destinations.append(
            Destination(country.name if country else "?", network.name if network else _("All networks"), mccmnc, count)
        )
        try:
            price = quote(partner=campaign.partner, channel=product, mccmnc=mccmnc, parts=estimate.parts)
        except (ChargeRejected, ValueError):
            estimate.uncovered += count
            continue
        if price.from_pack:
            estimate.from_packs += count
        else:
            estimate.from_plan += count
            estimate.cost += price.amount * count
    return estimate


def _check_recipients(campaign: Campaign, estimate: Estimate) -> None:
    if campaign.source not in Campaign.Source.values:
        raise ValidationError(_("Choose the recipients of the campaign."), code="no_recipients")
    if estimate.recipients == 0:
        raise ValidationError(_("The campaign has no recipients."), code="no_recipients")
    if estimate.uncovered == estimate.recipients:
        raise ValidationError(
            _("No pack or rate plan covers the destinations of this campaign: buy a pack or choose a rate plan."),
            code="no_tariff",
        )
    available = campaign.partner.balance + campaign.partner.credit_limit
    if estimate.cost > 0 and estimate.cost > available:
        raise ValidationError(
            _("The estimated cost %(cost)s is more than your balance allows (%(available)s): top up first.")
            % {"cost": f"{estimate.cost:.2f}", "available": f"{available:.2f}"},
            code="insufficient_funds",
        )

"""The one link of a campaign's text that may be shortened, and the texts with the short link in its place.

The stored steps keep the original URL (so the wizard can show and change it); the messages carry the short link.
Every channel of a cascade shares one short link. A WhatsApp template cannot change, so when its URL button already
holds one of our short links, that link is the campaign's and SMS and Viber cannot shorten another one; otherwise the
link shortened for SMS or Viber never goes into the WhatsApp message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, MessageTemplate
from shortener.models import ShortDomain, ShortLink
from shortener.services import CODE, short_link_create
from tenancy.models import Channel, Partner, User

LINK = re.compile(r"https?://[^\s<>\"']+")
TRAILING = ".,;:!?)"


def fixed_link_error(link: ShortLink) -> str:
    return _(
        "The WhatsApp template already has the short link %(url)s: SMS and Viber send it too and cannot shorten "
        "another link."
    ) % {"url": link.url}


def find_link(text: str) -> str | None:
    match = LINK.search(text or "")
    return match.group(0).rstrip(TRAILING) if match else None


def campaign_link(steps: list[dict[str, Any]]) -> str | None:
    """The link to shorten: the first one in the SMS text, else in the Viber text (WhatsApp templates are fixed)."""
    texts = {step.get("channel"): step.get("text", "") for step in steps}
    for channel in (Channel.SMS, Channel.VIBER):
        link = find_link(texts.get(channel, ""))
        if link:
            return link
    return None


def _button_links(template: MessageTemplate) -> list[tuple[str, str]]:
    """The (host, code) of each URL button of a WhatsApp template that may be a short link."""
    found = []
    for button in template.buttons or []:
        if button.get("type") != "url":
            continue
        parts = urlsplit(str(button.get("value", "")).strip())
        code = parts.path.strip("/")
        if parts.scheme in ("http", "https") and parts.hostname and CODE.match(code):
            found.append((parts.hostname, code))
    return found


def template_short_links(*, partner: Partner, templates: Iterable[MessageTemplate]) -> dict[int, ShortLink]:
    """The short link each WhatsApp template's URL button already holds: a link of the partner on an active short
    domain, by template id (templates without one are left out)."""
    wanted = {template.pk: _button_links(template) for template in templates if template.channel == Channel.WHATSAPP}
    codes = {code for pairs in wanted.values() for _host, code in pairs}
    if not codes:
        return {}
    links = {
        (link.domain.name, link.code): link
        for link in ShortLink.objects.for_partner(partner)
        .filter(code__in=codes, domain__is_active=True)
        .select_related("domain")
    }
    found = {}
    for template_id, pairs in wanted.items():
        link = next((links[pair] for pair in pairs if pair in links), None)
        if link is not None:
            found[template_id] = link
    return found


def whatsapp_short_link(*, partner: Partner, steps: list[dict[str, Any]]) -> ShortLink | None:
    """The short link the URL button of the cascade's WhatsApp template already holds, if any."""
    template_ids = [
        step["template_id"] for step in steps if step.get("channel") == Channel.WHATSAPP and step.get("template_id")
    ]
    if not template_ids:
        return None
    templates = MessageTemplate.objects.for_partner(partner).filter(pk__in=template_ids)
    return next(iter(template_short_links(partner=partner, templates=templates).values()), None)


def follow_whatsapp_link(campaign: Campaign, previous_steps: list[dict[str, Any]]) -> None:
    """After the steps changed (not saved yet): the campaign takes the short link of its WhatsApp template, or drops
    the one the template it had before gave it; a link shortened for SMS or Viber stays."""
    link = whatsapp_short_link(partner=campaign.partner, steps=campaign.steps)
    if link is None and campaign.short_link_id is not None:
        before = whatsapp_short_link(partner=campaign.partner, steps=previous_steps)
        if before is None or before.pk != campaign.short_link_id:
            return
    if link is not None or campaign.short_link_id is not None:
        campaign.short_link = link


def shortened(text: str, link: ShortLink | None) -> str:
    """``text`` with the campaign's original URL replaced by its short link (every step shares the same link)."""
    if link is None or not text:
        return text
    return text.replace(link.original_url, link.url)


@transaction.atomic
def campaign_set_short_link(*, campaign: Campaign, domain: ShortDomain | None, by: User | None) -> Campaign:
    """Shorten the campaign's link with ``domain`` (None: send the link as it is).

    When the WhatsApp template of the cascade holds a short link, the campaign takes it and ``domain`` must be None."""
    if campaign.status != Campaign.Status.DRAFT:
        raise ValidationError(_("Only a draft campaign can be changed."), code="not_draft")
    link = whatsapp_short_link(partner=campaign.partner, steps=campaign.steps)
    if link is not None and domain is not None:
        raise ValidationError({"short_domain": ValidationError(fixed_link_error(link), code="whatsapp_short_link")})
    elif domain is not None:
        original = campaign_link(campaign.steps)
        if original is None:
            raise ValidationError(
                {"short_domain": _("Put a link into the SMS or Viber text to shorten it.")}, code="no_link"
            )
        current = campaign.short_link
        reusable = (
            current is not None
            and current.domain_id == domain.pk
            and current.original_url == original
            and not Campaign.objects.filter(short_link=current).exclude(pk=campaign.pk).exists()
        )
        link = (
            current
            if reusable
            else short_link_create(partner=campaign.partner, domain=domain, original_url=original, by=by)
        )
    if link != campaign.short_link:
        campaign.short_link = link
        Campaign.objects.filter(pk=campaign.pk).update(short_link=link, updated_at=timezone.now())
    return campaign

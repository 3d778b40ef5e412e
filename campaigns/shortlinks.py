"""The one link of a campaign's text that may be shortened, and the texts with the short link in its place.

The stored steps keep the original URL (so the wizard can show and change it); the messages carry the short link.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from shortener.models import ShortDomain, ShortLink
from shortener.services import short_link_create
from tenancy.models import Channel, User

LINK = re.compile(r"https?://[^\s<>\"']+")
TRAILING = ".,;:!?)"


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


def shortened(text: str, link: ShortLink | None) -> str:
    """``text`` with the campaign's original URL replaced by its short link (every step shares the same link)."""
    if link is None or not text:
        return text
    return text.replace(link.original_url, link.url)


@transaction.atomic
def campaign_set_short_link(*, campaign: Campaign, domain: ShortDomain | None, by: User | None) -> Campaign:
    """Shorten the campaign's link with ``domain`` (None: send the link as it is)."""
    if campaign.status != Campaign.Status.DRAFT:
        raise ValidationError(_("Only a draft campaign can be changed."), code="not_draft")
    link: ShortLink | None = None
    if domain is not None:
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

"""A campaign's cascade as the messaging engine takes it, checked."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from campaigns.models import Campaign, MessageTemplate
from campaigns.services.drafts import STEP_KEYS
from campaigns.shortlinks import shortened
from messaging import services as messaging
from senders.services import sender_id_check
from tenancy.models import Channel


def _step_content(campaign: Campaign, step: dict[str, Any]) -> messaging.ChannelContent:
    """The step as the messaging engine takes it, filled from its template."""
    data = {key: step[key] for key in STEP_KEYS if key in step and key != "template_id"}
    template_id = step.get("template_id")
    if template_id:
        template = MessageTemplate.objects.for_partner(campaign.partner).filter(pk=template_id).first()
        if template is None:
            raise ValidationError(_("The template of this campaign was deleted."), code="template_gone")
        if not template.usable:
            raise ValidationError(
                _("The template “%(name)s” is not approved yet.") % {"name": template.name}, code="template_pending"
            )
        if template.channel == Channel.WHATSAPP:
            data["template_name"] = template.name
            data["purpose"] = template.purpose
            data.setdefault("text", template.text)
    if step.get("channel") != Channel.WHATSAPP:  # a WhatsApp template's text cannot change
        data["text"] = shortened(data.get("text", ""), campaign.short_link)
    return messaging.ChannelContent(**data)


def campaign_contents(campaign: Campaign) -> list[messaging.ChannelContent]:
    """The checked cascade of the campaign; raises ValidationError with what to fix."""
    contents = [_step_content(campaign, step) for step in campaign.steps]
    if not contents:
        raise ValidationError(_("Choose at least one channel."), code="no_channels")
    for content in contents:
        if content.channel == Channel.WHATSAPP and not content.template_name:
            raise ValidationError(_("WhatsApp messages are sent from an approved template."), code="no_template")
    checked = messaging.check_steps(partner=campaign.partner, steps=contents, accept_mo=campaign.accept_mo)
    for content in checked:
        sender_id_check(partner=campaign.partner, channel=content.channel, value=content.sender)
    return checked

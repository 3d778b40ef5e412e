"""Demo campaign templates for the demo company: an SMS and a Viber template, and a WhatsApp template that the
reseller has approved; a short domain of the owner that the demo reseller's clients may use. Built through the
services; safe to run again."""

from __future__ import annotations

from django.db import transaction

from campaigns import services
from campaigns.models import MessageTemplate, Moderation
from senders.models import SenderID
from shortener.models import ShortDomain
from shortener.services import short_domain_save
from tenancy import approvals
from tenancy.demo import DemoTenants
from tenancy.models import Channel

TEMPLATES = [
    {"name": "Welcome", "channel": Channel.SMS, "sender": "DemoSMS",
     "text": "Hello {firstname}, welcome to our loyalty club!"},
    {"name": "Weekend offer", "channel": Channel.VIBER, "sender": "DemoViber",
     "text": "*Weekend offer*: 20% off for you, {firstname}.", "button_caption": "Shop now",
     "button_url": "https://demo.local/offer"},
    {"name": "order_update", "channel": Channel.WHATSAPP, "sender": "DemoWA", "text": "Your order {{1}} is on its way.",
     "purpose": "utility", "wa_type": "order", "language": "en", "footer": "Demo shop"},
]  # fmt: skip
SHORT_DOMAIN = "go.demo.local"


@transaction.atomic
def seed(tenants: DemoTenants) -> None:
    partner = tenants.end_user
    for data in TEMPLATES:
        fields = dict(data)
        if MessageTemplate.objects.for_partner(partner).filter(channel=fields["channel"], name=fields["name"]).exists():
            continue
        sender = SenderID.objects.for_partner(partner).filter(value=fields.pop("sender")).first()
        template = services.template_save(
            template=MessageTemplate(partner=partner, sender=sender, **fields), by=tenants.end_user_user
        )
        if template.moderation == Moderation.PENDING and template.approval is not None:
            approvals.approval_approve(approval=template.approval, by=tenants.reseller_user)
    if not ShortDomain.objects.filter(name=SHORT_DOMAIN).exists():
        short_domain_save(
            domain=ShortDomain(partner=tenants.owner, name=SHORT_DOMAIN), partners=[tenants.reseller], by=None
        )

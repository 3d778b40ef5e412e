"""Demo sender IDs: DemoSMS, DemoViber and DemoWA enabled for the demo company, and one SMS request waiting at the
reseller. Built through the services, like a user would; safe to run again."""

from __future__ import annotations

from django.db import transaction

from senders import services
from senders.models import SenderID, SenderIDRequest
from tenancy import approvals
from tenancy.demo import DemoTenants
from tenancy.models import Channel

ENABLED = [("DemoSMS", Channel.SMS), ("DemoViber", Channel.VIBER), ("DemoWA", Channel.WHATSAPP)]
PENDING = ("DemoPromo", Channel.SMS)
VALIDITY_MONTHS = 12
DEMO_WHATSAPP = services.WhatsAppDetails(
    business_manager_id="100200300400500",
    phone="+14155550123",
    description="Demo company for evaluating the campaign portal.",
    address="1 Demo Street, Springfield",
    email="whatsapp@demo.local",
    website="https://demo.local",
)


def _exists(tenants: DemoTenants, value: str, channel: str) -> bool:
    return SenderID.objects.for_partner(tenants.end_user).filter(channel=channel, value__iexact=value).exists()


def _request(tenants: DemoTenants, value: str, channel: str) -> SenderIDRequest:
    return services.sender_request_create(
        partner=tenants.end_user,
        by=tenants.end_user_user,
        value=value,
        channel=channel,
        comment="Demo data.",
        whatsapp=DEMO_WHATSAPP if channel == Channel.WHATSAPP else None,
    )


@transaction.atomic
def seed(tenants: DemoTenants) -> None:
    for value, channel in ENABLED:
        if _exists(tenants, value, channel):
            continue
        sender_request = _request(tenants, value, channel)
        approvals.approval_forward(approval=sender_request.approval, by=tenants.reseller_user)
        services.sender_request_confirm(
            sender_request=sender_request, by=tenants.owner_user, validity_months=VALIDITY_MONTHS
        )
    value, channel = PENDING
    if not _exists(tenants, value, channel):
        _request(tenants, value, channel)

"""Premoderation in the Admin Panel: the queue of campaigns and templates, approve and decline with a reason."""

from __future__ import annotations

from typing import Any

from django.test import Client

from campaigns import services
from campaigns.models import Campaign, MessageTemplate, Moderation
from tenancy.models import Channel
from tests.campaigns.conftest import World, draft


def test_campaign_is_approved_from_the_admin_panel(
    world: World, ap_client: Client, cp_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    world.tenant.end_user.premoderate_campaigns = True
    world.tenant.end_user.save(update_fields=["premoderate_campaigns"])
    send = cp_client.get(f"/campaigns/{draft(world).pk}/send").content.decode()
    assert "Send Request" in send
    campaign = draft(world, name="Needs approval")
    services.campaign_launch(campaign=campaign, by=world.tenant.end_user_user)
    campaign.refresh_from_db()
    events = ap_client.get("/ap/premoderation/campaigns/").content.decode()
    assert "Needs approval" in events
    detail = ap_client.get(f"/ap/approvals/{campaign.approval_id}/").content.decode()
    assert 'data-testid="campaign-subject"' in detail and "Hello {first_name}!" in detail
    with django_capture_on_commit_callbacks(execute=True):
        response = ap_client.post(f"/ap/approvals/{campaign.approval_id}/approve")
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.IN_PROGRESS and campaign.moderation == Moderation.APPROVED


def test_template_is_declined_with_a_reason(world: World, ap_client: Client, cp_client: Client) -> None:
    template = MessageTemplate(partner=world.tenant.end_user, name="Promo WA", channel=Channel.WHATSAPP,
                               text="Sale {{1}}", purpose="marketing", language="en")  # fmt: skip
    services.template_save(template=template, by=world.tenant.end_user_user)
    assert "Promo WA" in ap_client.get("/ap/premoderation/templates/").content.decode()
    ap_client.post(f"/ap/approvals/{template.approval_id}/decline", {"reason": "Too pushy"})
    template.refresh_from_db()
    assert template.moderation == Moderation.DECLINED
    tiles = cp_client.get("/campaigns/templates/").content.decode()
    assert "Too pushy" in tiles and "Declined" in tiles

"""Premoderation in the Admin Panel: campaigns and campaign templates of the subtree waiting for approval.

Both kinds use the shared approval pages (adminpanel.views.approvals); this module says how to show them.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from adminpanel.views.approvals import ApprovalKindUI, register_kind
from campaigns import services
from campaigns.models import CAMPAIGN_KIND, TEMPLATE_KIND, Campaign, MessageTemplate
from tenancy.models import ApprovalRequest, Partner


def campaign_subject(approval: ApprovalRequest, viewer: Partner) -> dict[str, Any]:
    campaign = Campaign.objects.filter(approval=approval).select_related("partner", "created_by").first()
    estimate = services.campaign_estimate(campaign) if campaign is not None else None
    return {"moderated_campaign": campaign, "estimate": estimate}


def template_subject(approval: ApprovalRequest, viewer: Partner) -> dict[str, Any]:
    return {"moderated_template": MessageTemplate.objects.filter(approval=approval).select_related("sender").first()}


register_kind(
    ApprovalKindUI(
        kind=CAMPAIGN_KIND,
        title=gettext_lazy("Campaign Premoderation"),
        section="campaign_premoderation",
        events_url_name="adminpanel:campaign_premoderation",
        subject_template="adminpanel/premoderation/_campaign_subject.html",
        subject_context=campaign_subject,
    )
)
register_kind(
    ApprovalKindUI(
        kind=TEMPLATE_KIND,
        title=gettext_lazy("Template Premoderation"),
        section="template_premoderation",
        events_url_name="adminpanel:template_premoderation",
        subject_template="adminpanel/premoderation/_template_subject.html",
        subject_context=template_subject,
    )
)

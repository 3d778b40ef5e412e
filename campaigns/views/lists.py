"""Campaigns List."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.db.models import QuerySet
from django.views.generic import ListView

from campaigns import selectors
from campaigns.forms import CampaignFilterForm
from campaigns.models import Campaign, campaign_actions
from contacts.models import TableSettings
from tenancy.views import PartnerScopedMixin, caller_partner, caller_user


class CampaignListView(PartnerScopedMixin, ListView):
    model = Campaign
    template_name = "campaigns/list.html"
    paginate_by = 20

    @cached_property
    def filter_form(self) -> CampaignFilterForm:
        form = CampaignFilterForm(self.request.GET or None)
        form.is_valid()
        return form

    def get_queryset(self) -> QuerySet[Campaign]:
        filters = getattr(self.filter_form, "cleaned_data", {})
        return selectors.campaign_list(partner=caller_partner(self.request), filters=filters)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = list(context["object_list"])
        progress = selectors.campaign_progress(page)
        rows = [(campaign, progress[campaign.pk], campaign_actions(campaign)) for campaign in page]
        params = self.request.GET.copy()
        params.pop("page", None)
        drafts = Campaign.objects.for_partner(caller_partner(self.request)).filter(
            status=Campaign.Status.DRAFT, is_deleted=False
        )
        columns = selectors.campaign_columns(user=caller_user(self.request))
        return {
            **context,
            "rows": rows,
            "all_columns": columns,
            "columns": [column.key for column in columns if column.visible],
            "table": TableSettings.Table.CAMPAIGNS,
            "filter_form": self.filter_form,
            "query_string": params.urlencode(),
            "drafts": drafts.order_by("-updated_at")[:5],
            "premoderation": caller_partner(self.request).premoderate_campaigns,
        }

"""CP pages: the dashboard and the sections whose features arrive in later releases."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from billing import selectors as billing_selectors
from tenancy.views import CampaignPortalMixin, caller_partner


class DashboardView(CampaignPortalMixin, TemplateView):
    template_name = "portal/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        running = billing_selectors.active_subscriptions(caller_partner(self.request))
        return super().get_context_data(subscriptions=list(running[:3]), **kwargs)


SECTIONS = {
    "statistics": _("Statistics"),
    "url-shortener": _("URL Shortener"),
}


class SectionView(CampaignPortalMixin, TemplateView):
    """A menu section whose pages are not built yet."""

    template_name = "portal/coming_soon.html"
    section = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(title=SECTIONS[self.section], **kwargs)

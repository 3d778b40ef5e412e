"""The Admin Panel overview."""

from __future__ import annotations

from typing import Any

from django.views.generic import TemplateView

from adminpanel.views.base import SectionMixin
from tenancy.models import Partner, Portal, User
from tenancy.views import AdminPanelMixin, caller_partner


class HomeView(SectionMixin, AdminPanelMixin, TemplateView):
    section = "home"
    template_name = "adminpanel/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        partner = caller_partner(self.request)
        return super().get_context_data(
            partner_count=Partner.objects.below(partner).count(),
            user_count=User.objects.visible_to(partner).count(),
            portal_count=Portal.objects.visible_to(partner).count(),
            **kwargs,
        )

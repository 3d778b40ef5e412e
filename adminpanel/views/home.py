"""Admin Panel pages for owners and resellers."""

from __future__ import annotations

from typing import Any

from django.views.generic import TemplateView

from tenancy.models import Partner, Portal, User
from tenancy.views import AdminPanelMixin


class HomeView(AdminPanelMixin, TemplateView):
    template_name = "adminpanel/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        partner = self.request.partner  # type: ignore[attr-defined]
        return super().get_context_data(
            partner_count=Partner.objects.below(partner).count(),
            user_count=User.objects.visible_to(partner).count(),
            portal_count=Portal.objects.visible_to(partner).count(),
            **kwargs,
        )

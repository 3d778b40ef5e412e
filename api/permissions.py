from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from api.authentication import ApiAuth


class IsCampaignPortalPartner(BasePermission):
    """A bearer token of an end-user account (the API works on Campaign Portal data)."""

    message = _("The API is for Campaign Portal accounts.")

    def has_permission(self, request: Request, view: Any) -> bool:
        auth = request.auth
        if not isinstance(auth, ApiAuth):
            return False
        return not auth.partner.is_manager


class ApiKeyOnly(IsCampaignPortalPartner):
    """Sending needs an API key (its callback URL receives the delivery reports), not a login token."""

    message = _("Send messages with an API key, not a login token.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and request.auth.api_key is not None  # type: ignore[union-attr]

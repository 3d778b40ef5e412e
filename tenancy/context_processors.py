from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from tenancy.models import Portal


def app_version() -> str:
    try:
        return version("campaign-portal")
    except PackageNotFoundError:
        return "dev"


def portal(request: HttpRequest) -> dict[str, Any]:
    current: Portal | None = getattr(request, "portal", None)
    user = getattr(request, "user", None)
    partner = getattr(user, "partner", None) if user is not None and user.is_authenticated else None
    return {
        "portal": current,
        "brand_name": current.brand_name if current else "Campaign Portal",
        "current_partner": partner,
        "in_admin_panel": bool(partner and partner.is_manager),
        "app_version_text": _("Version %(version)s") % {"version": app_version()},
    }

"""What the Campaign Portal pages share: the variables bar, the short link data, errors shown on a form or as
messages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest

from campaigns.placeholders import DATE_FORMATS, DEFAULT_DATE_FORMAT, date_variables
from contacts.selectors import contact_variables
from shortener.models import ShortDomain, ShortLink
from tenancy.models import Partner
from tenancy.views import apply_service_error, report_errors


def variable_context(partner: Partner) -> dict[str, Any]:
    """What the variables bar of a message text needs: the variables, which of them are dates, the date formats."""
    return {
        "variables": contact_variables(partner),
        "date_placeholders": {"{" + name + "}" for name in date_variables(partner)},
        "date_formats": list(DATE_FORMATS),
        "default_date_format": DEFAULT_DATE_FORMAT,
    }


def short_link_data(partner: Partner, link: ShortLink | None) -> dict[str, Any]:
    """What the preview needs to show the short link: the usable domains and the link already made, if any."""
    current = {"domain": str(link.domain_id), "original": link.original_url, "url": link.url} if link else None
    return {
        "domains": {str(domain.pk): domain.name for domain in ShortDomain.objects.usable_by(partner)},
        "current": current,
    }


def _errors(request: HttpRequest, error: ValidationError, form: Any = None) -> None:
    if form is not None and hasattr(error, "error_dict"):
        apply_service_error(form, error)
        return
    report_errors(request, error)

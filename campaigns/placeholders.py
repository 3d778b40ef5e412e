"""The variables of a message text: ``{first_name}``, and dates with a format marker, ``{dateofbirth|DD.MM.YYYY}``.

A date variable holds an ISO date (``YYYY-MM-DD``); the marker after the bar chooses how the recipient sees it.
Without a marker the date stays as stored.
"""

from __future__ import annotations

import re
from datetime import date

from django.utils.translation import gettext as _

from contacts.models import ContactField
from tenancy.models import Partner

PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]+)(?:\|([^{}|\n]{1,20}))?\}")

# Marker → strftime pattern; numeric only, so the result does not depend on a language.
DATE_FORMATS: dict[str, str] = {
    "DD.MM.YYYY": "%d.%m.%Y",
    "DD/MM/YYYY": "%d/%m/%Y",
    "DD-MM-YYYY": "%d-%m-%Y",
    "MM/DD/YYYY": "%m/%d/%Y",
    "YYYY-MM-DD": "%Y-%m-%d",
    "YYYY.MM.DD": "%Y.%m.%d",
    "DD.MM.YY": "%d.%m.%y",
    "DD.MM": "%d.%m",
    "DD/MM": "%d/%m",
    "MM/DD": "%m/%d",
}
DEFAULT_DATE_FORMAT = "DD.MM.YYYY"
DATE_VARIABLES = ("dateofbirth", "birth_date")  # the contact's own date; date custom fields are added per partner


def format_date(value: str, marker: str | None) -> str:
    """``value`` (an ISO date) in the format ``marker``; a value that is not a date is kept as it is."""
    pattern = DATE_FORMATS.get(marker or "")
    if not pattern or not value:
        return value
    try:
        return date.fromisoformat(value[:10]).strftime(pattern)
    except ValueError:
        return value


def marker_errors(text: str, date_variables: set[str]) -> list[str]:
    """What is wrong with the date format markers of ``text`` (unknown formats, a format on a non-date variable)."""
    errors: list[str] = []
    for match in PLACEHOLDER.finditer(text):
        name, marker = match.group(1).lower(), match.group(2)
        if marker is None:
            continue
        if marker not in DATE_FORMATS:
            errors.append(
                _("“%(marker)s” is not a date format; choose one from the Date format list.") % {"marker": marker}
            )
        elif name not in date_variables:
            errors.append(_("{%(name)s} is not a date, so it cannot have a date format.") % {"name": match.group(1)})
    return errors


def date_variables(partner: Partner) -> set[str]:
    """The variables of a partner's contacts that hold dates: the birth date and the date custom fields."""
    fields = ContactField.objects.for_partner(partner).filter(data_type=ContactField.DataType.DATE)
    return {*DATE_VARIABLES, *(variable.lower() for variable in fields.values_list("variable", flat=True))}

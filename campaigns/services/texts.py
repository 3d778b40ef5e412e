"""Campaign texts: the length estimate of a text with variables, filling the variables in, e-mail lists and
number lists."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from campaigns.placeholders import PLACEHOLDER, format_date
from messaging.segments import message_parts

VARIABLE_WIDTH = 10  # a variable counts as ten characters in the estimate of the message length
ALIASES = {"first_name": "firstname", "last_name": "lastname", "birth_date": "dateofbirth"}


def estimate_text(text: str) -> str:
    """The text with every variable as ten characters: what the character and part counter shows."""
    return PLACEHOLDER.sub("x" * VARIABLE_WIDTH, text)


def estimate_parts(channel: str, text: str) -> int:
    return message_parts(channel, estimate_text(text))


class MissingValue(Exception):
    """A recipient has no value for a placeholder and the campaign skips such recipients."""


def render(text: str, values: dict[str, str], mode: str) -> str:
    """``text`` with ``{variable}`` placeholders filled from ``values``, a date in the format of its marker
    (``{dateofbirth|DD.MM.YYYY}``); ``mode`` says what a missing value does."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        value = values.get(ALIASES.get(name, name), values.get(name, ""))
        if value:
            return format_date(str(value), match.group(2))
        if mode == Campaign.Placeholders.STRIP:
            return ""
        if mode == Campaign.Placeholders.REJECT:
            raise MissingValue(name)
        return match.group(0)

    return PLACEHOLDER.sub(replace, text)


def parse_emails(value: str) -> str:
    emails = [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    for email in emails:
        try:
            validate_email(email)
        except ValidationError as error:
            raise ValidationError(
                {"notify_emails": _("“%(email)s” is not an e-mail address.") % {"email": email}}, code="email"
            ) from error
    return ", ".join(emails)


def split_numbers(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[\n,;]+", value) if part.strip()]

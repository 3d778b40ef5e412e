"""Contact columns and field values: what a column is, how a typed value is read from text and shown again.

Forms, services, the import task and the exports share these functions, so a value means the same
thing whichever way it enters the system.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts.models import ContactField, Gender

# Columns every contacts table has; they can be moved and hidden, never renamed or deleted.
SYSTEM_COLUMNS: dict[str, Promise] = {
    "phone": gettext_lazy("Phone"),
    "groups": gettext_lazy("Groups"),
    "created_at": gettext_lazy("Creation date"),
    "updated_at": gettext_lazy("Last updated"),
    "user": gettext_lazy("User"),
}
# Built-in details of a contact, shown like custom columns but part of the contact itself.
STANDARD_COLUMNS: dict[str, Promise] = {
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "birth_date": gettext_lazy("Date of birth"),
    "gender": gettext_lazy("Gender"),
    "comment": gettext_lazy("Comment"),
}
STOP_LIST_COLUMN = "blocked"
DEFAULT_VISIBLE = ("phone", "groups", "created_at", "updated_at", "first_name", "last_name")

# Variables a custom field may not take: campaign texts already use them for the contact's own details.
RESERVED_VARIABLES = frozenset(
    {
        "phone",
        "number",
        "firstname",
        "lastname",
        "name",
        "birthdate",
        "dateofbirth",
        "gender",
        "comment",
        "groups",
        "group",
        "user",
        "creationdate",
        "lastupdated",
        *SYSTEM_COLUMNS,
        *STANDARD_COLUMNS,
    }
)

STRPTIME = {
    "DD.MM.YYYY": "%d.%m.%Y",
    "DD/MM/YYYY": "%d/%m/%Y",
    "MM/DD/YYYY": "%m/%d/%Y",
    "YYYY-MM-DD": "%Y-%m-%d",
}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")
_DATE_PARTS = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")

_TRUE = frozenset({"1", "yes", "y", "true", "t", "si", "sí", "да", "evet", "x", "+"})
_FALSE = frozenset({"0", "no", "n", "false", "f", "нет", "hayır", "hayir", "-"})
_MALE = frozenset({"m", "male", "man", "h", "hombre", "masculino", "м", "муж", "мужской", "e", "erkek"})
_FEMALE = frozenset({"f", "female", "woman", "w", "mujer", "femenino", "ж", "жен", "женский", "k", "kadın", "kadin"})


@dataclass(frozen=True)
class Column:
    """One column of a contacts table as a user has arranged it."""

    key: str
    label: str
    visible: bool
    kind: str  # "system", "standard", "custom" or "stop"
    field: ContactField | None = None

    @property
    def editable(self) -> bool:
        return self.kind == "custom"


def text(value: Any) -> str:
    """A cell as text: numbers without a spurious ".0", dates in ISO form, None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if not (value.hour or value.minute or value.second) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def parse_date(value: Any, date_format: str = "YYYY-MM-DD") -> date:
    """A date from a spreadsheet cell or text: ISO (with or without time), the user's format, or D.M.Y."""
    if type(value) is str and len(value) == 10 and value[4] == "-":
        try:
            return date.fromisoformat(value)  # the usual case, cheaply
        except ValueError:
            pass
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    match = _ISO_DATE.match(raw)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
        pattern = STRPTIME.get(date_format)
        if pattern:
            try:
                return datetime.strptime(raw, pattern).date()  # noqa: DTZ007 - a calendar date, no time zone
            except ValueError:
                pass
        parts = _DATE_PARTS.match(raw)
        if parts:
            first, second = int(parts[1]), int(parts[2])
            day, month = (second, first) if date_format == "MM/DD/YYYY" else (first, second)
            return date(int(parts[3]), month, day)
    except ValueError:
        pass
    raise ValidationError(_("“%(value)s” is not a date.") % {"value": raw}, code="date")


def parse_gender(value: Any) -> str:
    raw = text(value).lower()
    if not raw:
        return ""
    if raw in _MALE or raw == Gender.MALE:
        return str(Gender.MALE)
    if raw in _FEMALE or raw == Gender.FEMALE:
        return str(Gender.FEMALE)
    raise ValidationError(
        _("“%(value)s” is not a gender (use male or female).") % {"value": text(value)}, code="gender"
    )


def parse_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raw = text(value).lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValidationError(_("“%(value)s” is not yes or no.") % {"value": text(value)}, code="boolean")


def parse_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": value}, code="number")
    if isinstance(value, int | float):
        number: Decimal = Decimal(str(value))
    else:
        raw = text(value).replace(" ", "").replace("\u00a0", "")
        if raw.count(",") == 1 and "." not in raw:
            raw = raw.replace(",", ".")
        try:
            number = Decimal(raw)
        except InvalidOperation as error:
            raise ValidationError(_("“%(value)s” is not a number.") % {"value": text(value)}, code="number") from error
    if not number.is_finite():
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": text(value)}, code="number")
    return int(number) if number == number.to_integral_value() else float(number)


def clean_custom_value(field: ContactField, value: Any, date_format: str = "YYYY-MM-DD") -> Any:
    """The JSON value stored for ``field`` (None when empty), or a ValidationError naming the field."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if field.data_type == ContactField.DataType.NUMBER:
            return parse_number(value)
        if field.data_type == ContactField.DataType.DATE:
            return parse_date(value, date_format).isoformat()
        if field.data_type == ContactField.DataType.BOOLEAN:
            return parse_boolean(value)
        raw = text(value)
        if field.data_type == ContactField.DataType.LIST:
            options = {option.lower(): option for option in field.option_list}
            if raw.lower() not in options:
                raise ValidationError(
                    _("“%(value)s” is not one of: %(options)s.")
                    % {"value": raw, "options": ", ".join(field.option_list)},
                    code="option",
                )
            return options[raw.lower()]
        if len(raw) > 500:
            raise ValidationError(_("The text is longer than 500 characters."), code="too_long")
        return raw
    except ValidationError as error:
        raise ValidationError(
            _("%(field)s: %(error)s") % {"field": field.name, "error": " ".join(error.messages)}, code=error.code
        ) from error


def display_value(field: ContactField | None, value: Any, date_format: str = "YYYY-MM-DD") -> str:
    """A stored custom value as the user reads it (and as a campaign text receives it)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if field is not None and field.data_type == ContactField.DataType.DATE:
        try:
            return parse_date(value).strftime(STRPTIME.get(date_format, "%Y-%m-%d"))
        except ValidationError:
            return str(value)
    return text(value)

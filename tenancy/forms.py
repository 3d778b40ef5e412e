"""Form fields built from Form Customization definitions."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from tenancy.models import CustomField

PREFIX = "cf_"


def _form_field(field: CustomField) -> forms.Field:
    common: dict[str, Any] = {"label": field.label, "required": field.required}
    match field.data_type:
        case CustomField.DataType.NUMBER:
            return forms.DecimalField(**common)
        case CustomField.DataType.DATE:
            return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        case CustomField.DataType.BOOLEAN:
            return forms.BooleanField(**common)
        case CustomField.DataType.LIST:
            choices = [("", "—"), *[(option, option) for option in field.option_list]]
            return forms.ChoiceField(choices=choices, **common)
        case _:
            return forms.CharField(max_length=500, **common)


def add_custom_fields(form: forms.BaseForm, fields: list[CustomField], values: dict[str, Any] | None = None) -> None:
    """Append the custom fields to ``form`` (after its system fields), filled from ``values``."""
    values = values or {}
    for field in fields:
        name = PREFIX + field.key
        form.fields[name] = _form_field(field)
        if field.key in values:
            form.initial[name] = values[field.key]


def custom_values(form: forms.BaseForm, fields: list[CustomField]) -> dict[str, Any]:
    """The cleaned custom values keyed by field key, ready for a JSON column."""
    result: dict[str, Any] = {}
    for field in fields:
        value = form.cleaned_data.get(PREFIX + field.key)
        if isinstance(value, date):
            value = value.isoformat()
        elif value is not None and field.data_type == CustomField.DataType.NUMBER:
            value = str(value)
        result[field.key] = value
    return result

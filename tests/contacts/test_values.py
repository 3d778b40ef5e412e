"""Reading typed values the same way wherever they come from (forms, files, services)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.core.exceptions import ValidationError

from contacts.files import safe_cell
from contacts.models import ContactField, variable_for
from contacts.values import (
    clean_custom_value,
    display_value,
    parse_boolean,
    parse_date,
    parse_gender,
    parse_number,
    text,
)


@pytest.mark.parametrize(
    ("name", "variable"),
    [("Favourite colour", "favouritecolour"), ("City", "city"), ("Loyalty-Card #", "loyaltycard"), ("Город", "город")],
)
def test_variable_is_the_lower_case_name_without_spaces_or_symbols(name: str, variable: str) -> None:
    assert variable_for(name) == variable


@pytest.mark.parametrize(
    ("value", "date_format", "expected"),
    [
        ("1988-07-15", "DD.MM.YYYY", date(1988, 7, 15)),
        ("1988-07-15T00:00:00.000Z", "YYYY-MM-DD", date(1988, 7, 15)),
        ("15.07.1988", "DD.MM.YYYY", date(1988, 7, 15)),
        ("07/15/1988", "MM/DD/YYYY", date(1988, 7, 15)),
        ("15/07/1988", "DD/MM/YYYY", date(1988, 7, 15)),
        (datetime(1988, 7, 15, 0, 0), "YYYY-MM-DD", date(1988, 7, 15)),  # noqa: DTZ001 - a spreadsheet cell
    ],
)
def test_dates_in_the_usual_forms(value: object, date_format: str, expected: date) -> None:
    assert parse_date(value, date_format) == expected


def test_a_bad_date_says_so() -> None:
    with pytest.raises(ValidationError, match="is not a date"):
        parse_date("31.02.1990", "DD.MM.YYYY")


def test_gender_boolean_number() -> None:
    assert parse_gender("F") == "female" and parse_gender("hombre") == "male" and parse_gender("") == ""
    with pytest.raises(ValidationError):
        parse_gender("robot")
    assert parse_boolean("yes") is True and parse_boolean("0") is False
    with pytest.raises(ValidationError):
        parse_boolean("maybe")
    assert parse_number("1 234,5") == 1234.5 and parse_number(42.0) == 42 and parse_number("7") == 7
    with pytest.raises(ValidationError):
        parse_number("seven")


def test_cells_as_text() -> None:
    assert text(34600111222.0) == "34600111222"
    assert text(None) == "" and text("  Ana ") == "Ana" and text(date(2000, 1, 2)) == "2000-01-02"


def test_custom_values_are_typed_and_named_in_errors() -> None:
    number = ContactField(name="Points", variable="points", data_type=ContactField.DataType.NUMBER)
    listed = ContactField(name="Tier", variable="tier", data_type=ContactField.DataType.LIST, options="Gold\nSilver")
    when = ContactField(name="Joined", variable="joined", data_type=ContactField.DataType.DATE)
    assert clean_custom_value(number, "12") == 12
    assert clean_custom_value(listed, "gold") == "Gold"
    assert clean_custom_value(when, "02.03.2024", "DD.MM.YYYY") == "2024-03-02"
    assert clean_custom_value(number, "") is None
    with pytest.raises(ValidationError, match="Tier: “Bronze” is not one of: Gold, Silver."):
        clean_custom_value(listed, "Bronze")
    assert display_value(when, "2024-03-02", "DD.MM.YYYY") == "02.03.2024"
    assert display_value(None, True) == "Yes"


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x")', "+1+2", "-3", "@SUM(A1)", "\tcmd"])
def test_exported_text_never_runs_as_a_formula(value: str) -> None:
    assert safe_cell(value) == "'" + value
    assert safe_cell("Ana") == "Ana" and safe_cell(5) == 5

"""normalize_number's shortcut for plain international numbers gives exactly what phonenumbers gives."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from django.core.exceptions import ValidationError

from billing.services.reference import _plain_e164, normalize_number


def _by_phonenumbers(digits: str) -> str | None:
    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]


def test_the_shortcut_agrees_with_phonenumbers_on_random_numbers() -> None:
    rng = random.Random(2026)
    codes = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    answered = 0
    for _ in range(30_000):
        digits = str(rng.choice(codes)) + "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 13)))
        if not 6 <= len(digits) <= 17:
            continue
        plain = _plain_e164(digits)
        if plain is not None:
            answered += 1
            assert plain == _by_phonenumbers(digits), digits
    assert answered > 3_000  # the shortcut is taken often enough to matter


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("34 612 345 678", "34612345678"),
        ("+44 7700 900123", "447700900123"),
        ("0049 151 12345678", "4915112345678"),
        ("+7 916 123-45-67", "79161234567"),
        ("+44 (0) 7700 900123", "447700900123"),  # a national prefix: the long way strips it
    ],
)
def test_normalize_number_keeps_its_results(raw: str, expected: str) -> None:
    assert normalize_number(raw) == expected


def test_impossible_numbers_are_still_refused() -> None:
    with pytest.raises(ValidationError):
        normalize_number("34 612 345")

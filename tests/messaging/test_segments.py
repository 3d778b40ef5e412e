from __future__ import annotations

import pytest

from messaging.segments import Encoding, count_segments, message_parts
from tenancy.models import Channel


@pytest.mark.parametrize(
    ("length", "parts"), [(0, 1), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
)
def test_gsm7_boundaries(length: int, parts: int) -> None:
    result = count_segments("a" * length)
    assert (result.encoding, result.units, result.parts) == (Encoding.GSM7, length, parts)


def test_extension_characters_take_two_septets() -> None:
    assert count_segments("€" * 80).parts == 1  # 160 septets
    assert count_segments("€" * 81).parts == 2
    assert count_segments("[]{}^~|\\").units == 16
    assert count_segments("a" * 159 + "€").parts == 2  # 161 septets


def test_an_escape_pair_is_never_split_across_parts() -> None:
    # 152 septets then an escape pair: 154 does not fit the first part's 153, so the pair opens part two.
    text = "a" * 152 + "€" + "a" * 152
    assert count_segments(text).units == 306
    assert count_segments(text).parts == 3


@pytest.mark.parametrize(("length", "parts"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_boundaries(length: int, parts: int) -> None:
    text = "ж" * length
    assert count_segments(text).encoding == Encoding.UCS2
    assert count_segments(text).parts == parts


def test_one_non_gsm_character_switches_the_whole_message_to_ucs2() -> None:
    assert count_segments("a" * 69 + "ç").parts == 1  # ç is not in the GSM alphabet (Ç is)
    assert count_segments("a" * 70 + "ç").parts == 2
    assert count_segments("Ça va? ñ ü ß").encoding == Encoding.GSM7


def test_emoji_are_surrogate_pairs_and_are_not_split() -> None:
    assert count_segments("🙂" * 35).units == 70
    assert count_segments("🙂" * 35).parts == 1
    assert count_segments("🙂" * 36).parts == 2
    assert count_segments("ж" * 66 + "🙂" + "ж").parts == 1  # 69 units fit one part
    # 134 units would fill two parts exactly, but after 66 units the emoji does not fit the first part's 67.
    assert count_segments("ж" * 66 + "🙂" + "ж" * 66).parts == 3


def test_im_channels_count_one_message() -> None:
    assert message_parts(Channel.VIBER, "x" * 1000) == 1
    assert message_parts(Channel.WHATSAPP, "🙂" * 500) == 1
    assert message_parts(Channel.SMS, "x" * 161) == 2

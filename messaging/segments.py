"""How many parts (segments) a message takes on its channel (DESIGN.md §9).

SMS text that fits the GSM 03.38 default alphabet is sent in 7-bit septets: 160 in one part, 153 per
part of a concatenated message (the rest carries the header). Characters of the extension table take
two septets (an escape and the character) and are never split across parts. Anything else goes as
UCS-2: 70 UTF-16 code units in one part, 67 per part, and a surrogate pair (an emoji) is never split.
Viber and WhatsApp messages always count as one.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenancy.models import Channel

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


class Encoding:
    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True, slots=True)
class Segments:
    encoding: str
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    parts: int

    @property
    def per_part(self) -> int:
        if self.encoding == Encoding.GSM7:
            return GSM7_SINGLE if self.parts <= 1 else GSM7_MULTI
        return UCS2_SINGLE if self.parts <= 1 else UCS2_MULTI


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def _pack(widths: list[int], single: int, multi: int) -> int:
    """Parts needed for characters of the given widths, never splitting a character across parts."""
    total = sum(widths)
    if total <= single:
        return 1
    parts, used = 1, 0
    for width in widths:
        if used + width > multi:
            parts += 1
            used = 0
        used += width
    return parts


def count_segments(text: str) -> Segments:
    if is_gsm7(text):
        widths = [2 if char in GSM7_EXTENSION else 1 for char in text]
        return Segments(Encoding.GSM7, sum(widths), _pack(widths, GSM7_SINGLE, GSM7_MULTI))
    widths = [2 if ord(char) > 0xFFFF else 1 for char in text]
    return Segments(Encoding.UCS2, sum(widths), _pack(widths, UCS2_SINGLE, UCS2_MULTI))


def message_parts(channel: str, text: str) -> int:
    """Parts billed for ``text`` on ``channel`` (at least one)."""
    if channel != Channel.SMS:
        return 1
    return count_segments(text).parts

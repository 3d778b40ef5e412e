from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command

from billing import services
from billing.models import Country, Network, NumberPrefix
from billing.services import reference
from tests.billing.conftest import Book

GUIDE_COUNTRIES = {"ES", "SE", "ID", "BR", "RU", "AI", "IT"}


def test_shipped_book_has_the_guides_countries_and_their_networks(book: Book) -> None:
    assert Country.objects.count() >= 40
    assert GUIDE_COUNTRIES <= set(Country.objects.values_list("iso_code", flat=True))
    for iso in GUIDE_COUNTRIES:
        assert Network.objects.filter(country__iso_code=iso).count() >= 2, iso
    assert Network.objects.get(mcc="510", mnc="10").name == "Telkomsel"
    assert Network.objects.get(mcc="365", mnc="840").country.name == "Anguilla"
    assert NumberPrefix.objects.filter(network=book.movistar).exists()


@pytest.mark.parametrize(
    ("raw", "default", "e164", "iso", "mccmnc"),
    [
        ("34 762 398 274", None, "34762398274", "ES", "214"),  # a possible Spanish number of no known network
        ("+34 600 12 34 56", None, "34600123456", "ES", "21401"),  # Vodafone prefix 34600
        ("0034-622-123-456", None, "34622123456", "ES", "21404"),  # Yoigo
        ("622 123 456", "ES", "34622123456", "ES", "21404"),  # national format with a default country
        ("+46 (0)70 012 34 56", None, "46700123456", "SE", "24007"),  # Tele2; the (0) trunk digit is dropped
        ("+62 811-234-5678", None, "628112345678", "ID", "51010"),  # Telkomsel
        ("+7 701 123 4567", None, "77011234567", "KZ", "40102"),  # +7 shared: Kazakhstan's Kcell
        ("+7 916 123 45 67", None, "79161234567", "RU", "250"),
        ("+1 264 581 2345", None, "12645812345", "AI", "365010"),  # Anguilla, Digicel
    ],
)
def test_resolve_number(book: Book, raw: str, default: str | None, e164: str, iso: str, mccmnc: str) -> None:
    resolved = services.resolve_number(raw, default)
    assert (resolved.e164, resolved.country.iso_code, resolved.mccmnc) == (e164, iso, mccmnc)
    assert resolved.network_name == (resolved.network.name if resolved.network else "All networks")


def test_resolver_in_memory_gives_the_same_answers(book: Book) -> None:
    resolver = services.NumberResolver()
    for raw in ("+34 600 12 34 56", "34 762 398 274", "+7 701 123 4567", "+1 264 581 2345"):
        assert resolver.resolve(raw).mccmnc == services.resolve_number(raw).mccmnc


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "is not a phone number"),
        ("hello", "is not a phone number"),
        ("+34 12", "is not a phone number"),
        ("+34 612 345 678 901 23", "wrong number of digits"),
        ("0612345678 ES", "is not a phone number"),
        ("0612345678", "with a country code"),  # no default country: read as international
        ("+998 90 123 45 67", "no country"),  # Uzbekistan is not in the shipped book
    ],
)
def test_resolve_number_rejects_bad_input_clearly(book: Book, raw: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as error:
        services.resolve_number(raw)
    assert error.value.code in {"invalid_number", "no_country"}


GOOD_BOOK = (
    "iso,country,dial_code,mcc,mnc,network,carriers\n"
    "UZ,Uzbekistan,998,434,04,Beeline,Beeline\n"
    "UZ,Uzbekistan,998,434,05,Ucell,Ucell\n"
)


def test_book_csv_upload_creates_and_is_idempotent(book: Book) -> None:
    rows = services.parse_book_csv(GOOD_BOOK.encode())
    services.reference_book_load(rows=rows)
    services.reference_book_load(rows=rows)
    assert Network.objects.filter(country__iso_code="UZ").count() == 2
    assert Country.objects.get(iso_code="UZ").mcc == "434"
    assert services.resolve_number("+998 90 123 45 67").country.iso_code == "UZ"


def test_book_csv_with_a_bad_row_names_it_and_loads_nothing(book: Book) -> None:
    bad = GOOD_BOOK + "UZ,Uzbekistan,998,43X,07,MTS,\nUZ,Uzbekistan,998,434,04,Again,\n"
    before = Network.objects.count()
    with pytest.raises(ValidationError) as error:
        services.parse_book_csv(bad.encode())
    assert error.value.messages == [
        "Line 4: the MCC must be 3 digits.",
        "Line 5: MCC 434 MNC 04 repeats line 2.",
    ]
    assert Network.objects.count() == before


def test_book_csv_round_trips(book: Book) -> None:
    exported = services.reference_book_csv()
    assert len(services.parse_book_csv(exported)) == Network.objects.count()


def test_load_reference_book_command_is_idempotent(book: Book) -> None:
    counts = (Country.objects.count(), Network.objects.count(), NumberPrefix.objects.count())
    call_command("load_reference_book", verbosity=0)
    assert (Country.objects.count(), Network.objects.count(), NumberPrefix.objects.count()) == counts


def test_prefix_must_belong_to_the_networks_country(book: Book) -> None:
    with pytest.raises(ValidationError):
        services.prefix_add(network=book.movistar, prefix="+46 70")
    assert services.resolve_number("34 762 398 274").network is None
    services.prefix_add(network=book.movistar, prefix="+34 762")
    assert services.resolve_number("34 762 398 274").network == book.movistar


def test_a_committed_change_gives_the_book_a_new_version_for_the_other_processes(
    book: Book, django_capture_on_commit_callbacks: Any
) -> None:
    assert services.resolve_number("34 762 398 274").network is None
    before = cache.get(reference.BOOK_VERSION_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        services.prefix_add(network=book.movistar, prefix="+34 762")
    assert cache.get(reference.BOOK_VERSION_KEY) not in (None, before)
    assert services.resolve_number("34 762 398 274").network == book.movistar


def test_a_process_sees_another_ones_change_at_its_next_version_check(
    book: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert services.resolve_number("34 762 398 274").network is None
    NumberPrefix.objects.create(prefix="34762", network=book.movistar)  # written by another process
    assert services.resolve_number("34 762 398 274").network is None  # until this process checks the version
    cache.set(reference.BOOK_VERSION_KEY, "published by the other process", timeout=None)
    shared = reference._shared
    assert shared is not None
    monkeypatch.setattr(reference, "_shared", dataclasses.replace(shared, checked_until=0.0))
    assert services.resolve_number("34 762 398 274").network == book.movistar

"""The E.212 / E.164 reference book: loading it from CSV, editing it, and resolving phone numbers.

The shipped data (``billing/data/networks.csv``) has one row per network. Number prefixes are derived
from the carrier metadata of the ``phonenumbers`` library: a prefix goes to the network whose
``carrier_names`` list the carrier the library names for it.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from phonenumbers.carrierdata import CARRIER_DATA

from billing.models import Country, Network, NumberPrefix

SHIPPED_BOOK = Path(__file__).resolve().parent.parent / "data" / "networks.csv"
BOOK_COLUMNS = ("iso", "country", "dial_code", "mcc", "mnc", "network", "carriers")
MAX_ERRORS_SHOWN = 10
_SEPARATORS = re.compile(r"[\s\-./()]+")


@dataclass(frozen=True)
class BookRow:
    line: int
    iso: str
    country: str
    dial_code: str
    mcc: str
    mnc: str
    network: str
    carriers: tuple[str, ...]


@dataclass
class LoadReport:
    countries: int = 0
    networks: int = 0
    prefixes: int = 0
    created: dict[str, int] = field(default_factory=dict)


def csv_errors(errors: list[str]) -> ValidationError:
    shown = errors[:MAX_ERRORS_SHOWN]
    if len(errors) > MAX_ERRORS_SHOWN:
        shown.append(_("…and %(count)d more errors.") % {"count": len(errors) - MAX_ERRORS_SHOWN})
    return ValidationError(shown, code="csv")


def read_csv(data: bytes | str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header (lower-cased) and the rows with their line numbers; accepts UTF-8 (with BOM) and ``;`` delimiters."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError(_("The file is not UTF-8 text."), code="encoding") from error
    data = data.lstrip("\ufeff")
    first_line = data.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(data), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration as error:
        raise ValidationError(_("The file is empty."), code="empty") from error
    rows = []
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        padded = values + [""] * (len(header) - len(values))
        rows.append((reader.line_num, {name: value.strip() for name, value in zip(header, padded, strict=False)}))
    return header, rows


def parse_book_csv(data: bytes | str) -> list[BookRow]:
    """Validate a reference book CSV; any bad line raises a ValidationError naming every bad line."""
    header, rows = read_csv(data)
    missing = [name for name in BOOK_COLUMNS[:-1] if name not in header]
    if missing:
        raise ValidationError(
            _("Missing columns: %(columns)s. Expected: %(expected)s.")
            % {"columns": ", ".join(missing), "expected": ",".join(BOOK_COLUMNS)},
            code="columns",
        )
    errors: list[str] = []
    parsed: list[BookRow] = []
    seen: dict[tuple[str, str], int] = {}
    countries: dict[str, tuple[str, str]] = {}
    for line, row in rows:
        problems = []
        iso = row["iso"].upper()
        if not re.fullmatch(r"[A-Z]{2}", iso):
            problems.append(_("the ISO code must be two letters"))
        if not row["country"]:
            problems.append(_("the country name is empty"))
        if not re.fullmatch(r"\d{1,4}", row["dial_code"]):
            problems.append(_("the dial code must be 1 to 4 digits"))
        if not re.fullmatch(r"\d{3}", row["mcc"]):
            problems.append(_("the MCC must be 3 digits"))
        if not re.fullmatch(r"\d{2,3}", row["mnc"]):
            problems.append(_("the MNC must be 2 or 3 digits"))
        if not row["network"]:
            problems.append(_("the network name is empty"))
        key = (row["mcc"], row["mnc"])
        if not problems and key in seen:
            problems.append(
                _("MCC %(mcc)s MNC %(mnc)s repeats line %(line)d")
                % {**dict(zip(("mcc", "mnc"), key, strict=True)), "line": seen[key]}
            )
        if not problems and iso in countries and countries[iso] != (row["country"], row["dial_code"]):
            problems.append(_("country %(iso)s has another name or dial code on an earlier line") % {"iso": iso})
        if problems:
            errors.append(_("Line %(line)d: %(problems)s.") % {"line": line, "problems": "; ".join(problems)})
            continue
        seen[key] = line
        countries[iso] = (row["country"], row["dial_code"])
        carriers = tuple(name.strip() for name in row.get("carriers", "").split("|") if name.strip())
        parsed.append(
            BookRow(line, iso, row["country"], row["dial_code"], row["mcc"], row["mnc"], row["network"], carriers)
        )
    if errors:
        raise csv_errors(errors)
    if not parsed:
        raise ValidationError(_("The file has no rows."), code="empty")
    return parsed


def region_of(e164: str) -> str | None:
    """ISO region of an E.164 digit string (or prefix); shared country codes use the regions' leading digits."""
    for length in (1, 2, 3):
        code = int(e164[:length]) if e164[:length].isdigit() else 0
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code)
        if not regions:
            continue
        national = e164[length:]
        for region in regions[1:]:
            metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
            leading = metadata.leading_digits if metadata is not None else None
            if leading and national and re.match(leading, national):
                return str(region)
        return str(regions[0])
    return None


def derived_prefixes(networks: Iterable[tuple[int, str, str]]) -> dict[str, int]:
    """prefix → network id from the carrier metadata, for ``(network id, country ISO code, carrier names)``."""
    by_region: dict[str, dict[str, int]] = {}
    for network_id, iso, carrier_names in networks:
        for name in carrier_names.split("|"):
            if name.strip():
                by_region.setdefault(iso, {})[name.strip().casefold()] = network_id
    found: dict[str, int] = {}
    for prefix, names in CARRIER_DATA.items():
        carrier = names.get("en")
        if not carrier:
            continue
        region = region_of(prefix)
        if region in by_region:
            match = by_region[region].get(carrier.casefold())
            if match is not None:
                found[prefix] = match
    return found


@transaction.atomic
def reference_book_load(*, rows: list[BookRow], derive_prefixes: bool = True) -> LoadReport:
    """Create or update the countries and networks of ``rows`` (idempotent) and their derived prefixes."""
    report = LoadReport()
    mccs: dict[str, Counter[str]] = {}
    for row in rows:
        mccs.setdefault(row.iso, Counter())[row.mcc] += 1
    countries: dict[str, Country] = {}
    for row in rows:
        if row.iso in countries:
            continue
        country, created = Country.objects.update_or_create(
            iso_code=row.iso,
            defaults={"name": row.country, "dial_code": row.dial_code, "mcc": mccs[row.iso].most_common(1)[0][0]},
        )
        countries[row.iso] = country
        report.created["countries"] = report.created.get("countries", 0) + int(created)
    networks = []
    for row in rows:
        network, created = Network.objects.update_or_create(
            mcc=row.mcc,
            mnc=row.mnc,
            defaults={"country": countries[row.iso], "name": row.network, "carrier_names": "|".join(row.carriers)},
        )
        networks.append(network)
        report.created["networks"] = report.created.get("networks", 0) + int(created)
    report.countries, report.networks = len(countries), len(networks)
    if derive_prefixes:
        derived = derived_prefixes((n.pk, n.country.iso_code, n.carrier_names) for n in networks)
        NumberPrefix.objects.bulk_create(
            [NumberPrefix(prefix=prefix, network_id=network_id) for prefix, network_id in sorted(derived.items())],
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["prefix"],
            update_fields=["network"],
        )
        report.prefixes = len(derived)
    reference_book_changed()
    return report


def reference_book_load_shipped() -> LoadReport:
    return reference_book_load(rows=parse_book_csv(SHIPPED_BOOK.read_bytes()))


def reference_book_csv() -> str:
    """The book in the upload format, for download and round trips."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(BOOK_COLUMNS)
    for network in Network.objects.select_related("country").order_by("country__iso_code", "mcc", "mnc"):
        country = network.country
        writer.writerow(
            [country.iso_code, country.name, country.dial_code, network.mcc, network.mnc, network.name,
             network.carrier_names]
        )  # fmt: skip
    return out.getvalue()


@transaction.atomic
def network_save(*, network: Network) -> Network:
    network.full_clean()
    network.save()
    reference_book_changed()
    return network


@transaction.atomic
def country_save(*, country: Country) -> Country:
    country.full_clean()
    country.save()
    reference_book_changed()
    return country


@transaction.atomic
def prefix_add(*, network: Network, prefix: str) -> NumberPrefix:
    digits = re.sub(r"\D", "", prefix)
    if not digits or region_of(digits) != network.country.iso_code:
        raise ValidationError(
            {"prefix": _("Give the digits with the country code of %(country)s.") % {"country": network.country}},
            code="prefix",
        )
    number_prefix, _created = NumberPrefix.objects.update_or_create(prefix=digits, defaults={"network": network})
    reference_book_changed()
    return number_prefix


@transaction.atomic
def prefix_delete(*, number_prefix: NumberPrefix) -> None:
    number_prefix.delete()
    reference_book_changed()


# Resolving numbers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedNumber:
    e164: str
    country: Country
    network: Network | None  # None: the number matches no known prefix ("All networks")

    @property
    def mccmnc(self) -> str:
        return self.network.mccmnc if self.network is not None else self.country.mcc

    @property
    def network_name(self) -> str:
        return self.network.name if self.network is not None else str(_("All networks"))


@functools.cache
def _calling_code_rules(code: int) -> tuple[re.Pattern[str] | None, frozenset[int]] | None:
    """The national-prefix pattern and the possible national lengths ``phonenumbers`` uses for a calling code."""
    region = phonenumbers.region_code_for_country_code(code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(code, region)
    if metadata is None or metadata.general_desc is None:
        return None
    lengths = frozenset(length for length in metadata.general_desc.possible_length or () if length > 1)
    prefix = metadata.national_prefix_for_parsing
    return (re.compile(prefix) if prefix else None), lengths


def _plain_e164(digits: str) -> str | None:
    """``digits`` when parsing them as an international number would keep them as they are and find them possible.

    The same decisions as ``phonenumbers.parse`` + ``is_possible_number`` take for most numbers, without their
    cost (a million-row contact import spends most of its time there); None sends the number the long way.
    """
    for length in (1, 2, 3):
        code = int(digits[:length])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    rules = _calling_code_rules(code) if digits[0] != "0" else None
    if rules is None:
        return None
    prefix, lengths = rules
    national = digits[length:]
    if prefix is not None and prefix.match(national):
        return None  # phonenumbers may strip a national prefix here
    return digits if len(national) in lengths else None


def normalize_number(raw: str, default_region: str | None = None) -> str:
    """E.164 digits of ``raw`` (spaces, dashes, dots, brackets, ``+`` and ``00`` allowed), or ValidationError."""
    text = raw.replace(" ", "") if type(raw) is str else ""
    if not text.isdigit():  # the usual "34 612 345 678" needs no regular expression
        text = _SEPARATORS.sub("", str(raw or ""))
    international = text.startswith("+") or text.startswith("00")
    digits = text[1:] if text.startswith("+") else text[2:] if text.startswith("00") else text
    if not digits.isdigit() or not 6 <= len(digits) <= 17:
        raise ValidationError(_("“%(raw)s” is not a phone number.") % {"raw": raw}, code="invalid_number")
    if (international or not default_region) and digits.isascii():
        plain = _plain_e164(digits)
        if plain is not None:
            return plain
    try:
        if international or not default_region:
            number = phonenumbers.parse("+" + digits)
        else:
            number = phonenumbers.parse(digits, default_region.upper())
    except phonenumbers.NumberParseException as error:
        raise ValidationError(
            _("“%(raw)s” is not a phone number with a country code.") % {"raw": raw}, code="invalid_number"
        ) from error
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(
            _("“%(raw)s” has the wrong number of digits for its country.") % {"raw": raw}, code="invalid_number"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]


@dataclass(frozen=True)
class _BookSnapshot:
    countries: dict[str, Country]
    networks: dict[int, Network]
    prefixes: dict[str, int]
    longest: int


def _book_snapshot() -> _BookSnapshot:
    countries = {country.iso_code: country for country in Country.objects.all()}
    by_id = {country.pk: country for country in countries.values()}
    networks = {network.pk: network for network in Network.objects.all()}
    for network in networks.values():
        network.country = by_id[network.country_id]
    prefixes = dict(NumberPrefix.objects.values_list("prefix", "network_id"))
    return _BookSnapshot(countries, networks, prefixes, max(map(len, prefixes), default=0))


# Resolutions remembered per resolver: enough for the number ranges of a large import, bounded all the same.
_MAX_REMEMBERED = 200_000
_SHORT_KEY = 6  # digits of the E.164 number that decide most resolutions (country code and network range)


class NumberResolver:
    """Resolves many numbers against one in-memory copy of the book (a chunk of a campaign's recipients)."""

    def __init__(self) -> None:
        self.book = _book_snapshot()
        # Numbers that share their first _SHORT_KEY digits resolve alike, unless a longer prefix starts with them.
        self._ambiguous = {prefix[:_SHORT_KEY] for prefix in self.book.prefixes if len(prefix) > _SHORT_KEY}
        self._located: dict[str, tuple[Country, Network | None]] = {}

    def resolve(self, raw: str, default_country: Country | str | None = None) -> ResolvedNumber:
        region = default_country.iso_code if isinstance(default_country, Country) else default_country
        e164 = normalize_number(raw, region)
        country, network = self.locate(e164, raw)
        return ResolvedNumber(e164, country, network)

    def locate(self, e164: str, raw: str = "") -> tuple[Country, Network | None]:
        """Country and network (None = all networks) of E.164 digits; ``raw`` is what an error message shows."""
        key = e164[:_SHORT_KEY] if e164[:_SHORT_KEY] not in self._ambiguous else e164[: self.book.longest]
        if len(key) < len(e164):
            found = self._located.get(key)
            if found is not None:
                return found
        iso = region_of(e164)
        country = self.book.countries.get(iso or "")
        if country is None:
            raise ValidationError(
                _("“%(raw)s”: the reference book has no country for this number.") % {"raw": raw or e164},
                code="no_country",
            )
        located: tuple[Country, Network | None] = (country, None)
        for length in range(min(self.book.longest, len(e164)), len(country.dial_code), -1):
            network_id = self.book.prefixes.get(e164[:length])
            if network_id is not None:
                network = self.book.networks[network_id]
                if network.country_id == country.pk:
                    located = (country, network)
                    break
        # The key decides the network when the number is longer; it decides the country when no other country
        # shares the calling code (region_of may read further digits then).
        code = int(country.dial_code) if country.dial_code.isdigit() else 0
        single = len(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ())) == 1 and e164.startswith(country.dial_code)
        if single and len(key) < len(e164) and len(self._located) < _MAX_REMEMBERED:
            self._located[key] = located
        return located


# Single numbers (the API, a contact form) are resolved against one NumberResolver per process. Every change of
# the book goes through the services above: they drop this process's resolver at once and, after commit, give the
# book a new version in the cache, which the other processes compare with theirs at most every few seconds.
BOOK_VERSION_KEY = "billing:reference-book-version"
BOOK_CHECK_SECONDS = 2.0


@dataclass(frozen=True)
class _SharedResolver:
    resolver: NumberResolver
    version: str
    checked_until: float  # monotonic clock


_shared: _SharedResolver | None = None
_shared_lock = threading.Lock()


def _book_version() -> str:
    version = cache.get(BOOK_VERSION_KEY)
    if version is None:  # first use, or the cache lost it: any new version makes every process reload
        cache.add(BOOK_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(BOOK_VERSION_KEY)
    return str(version)


def _forget_shared_resolver() -> None:
    global _shared
    with _shared_lock:
        _shared = None


def reference_book_changed() -> None:
    """Resolve against the changed book: in this process at once, in the others once the change is committed."""
    _forget_shared_resolver()

    def publish() -> None:
        cache.set(BOOK_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        _forget_shared_resolver()

    transaction.on_commit(publish)


def shared_resolver() -> NumberResolver:
    """This process's resolver, checked against the book's version at most every BOOK_CHECK_SECONDS."""
    global _shared
    shared, now = _shared, time.monotonic()
    if shared is not None and shared.checked_until > now:
        return shared.resolver
    version = _book_version()  # read before the book: a change committed meanwhile gives a newer version
    resolver = shared.resolver if shared is not None and shared.version == version else NumberResolver()
    with _shared_lock:
        _shared = _SharedResolver(resolver, version, now + BOOK_CHECK_SECONDS)
    return resolver


def resolve_number(raw: str, default_country: Country | str | None = None) -> ResolvedNumber:
    """E.164 digits, country, network (None = all networks) and MCCMNC of a phone number.

    ``default_country`` (a Country or ISO code) is used for numbers written without a country code.
    """
    return shared_resolver().resolve(raw, default_country)

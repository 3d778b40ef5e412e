"""Which vendor carries a message: the routes of the system owner at the root of the sender's partner tree.

The most specific enabled route wins (network, then country, then "all countries"); among routes
equally specific the lowest priority number wins, then the oldest. Routes whose vendor is disabled
are skipped. Simulation messages go to the owner's simulator vendor whatever the routes say.

Route tables and vendors are cached per process for a few seconds (``ROUTE_CACHE_SECONDS``); the
services that change them clear the cache of the process they run in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from messaging import connectors
from messaging.models import ConnectorType, Route, Vendor
from tenancy.models import Partner

ROUTE_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class VendorInfo:
    id: int
    partner_id: int
    name: str
    code: str
    kind: str
    settings: dict[str, Any]
    tps: int
    token: str
    enabled: bool

    def connector(self) -> connectors.Connector:
        return _connector(self)


@dataclass
class RouteTable:
    owner_id: int
    loaded_at: float
    # (channel, country_id, network_id) → vendor ids in order of preference
    entries: dict[tuple[str, int | None, int | None], list[int]] = field(default_factory=dict)
    simulator_id: int | None = None

    def vendor_for(self, channel: str, country_id: int | None, network_id: int | None) -> int | None:
        keys: list[tuple[str, int | None, int | None]] = []
        if network_id is not None:
            keys.append((channel, country_id, network_id))
        if country_id is not None:
            keys.append((channel, country_id, None))
        keys.append((channel, None, None))
        for key in keys:
            found = self.entries.get(key)
            if found:
                return found[0]
        return None


_tables: dict[int, RouteTable] = {}
_vendors: dict[int, tuple[float, VendorInfo | None]] = {}
_roots: dict[int, int] = {}
_connectors: dict[tuple[int, str], connectors.Connector] = {}


def clear_cache() -> None:
    _tables.clear()
    _vendors.clear()
    _connectors.clear()


def owner_ids(partner_ids: set[int]) -> dict[int, int]:
    """The system owner (root partner) of each partner."""
    missing = [pk for pk in partner_ids if pk not in _roots]
    if missing:
        rows = list(Partner.objects.filter(pk__in=missing).values_list("pk", "path"))
        roots = {path[: Partner.steplen] for _pk, path in rows}
        root_ids = dict(Partner.objects.filter(path__in=roots).values_list("path", "pk"))
        for pk, path in rows:
            _roots[pk] = root_ids[path[: Partner.steplen]]
    return {pk: _roots[pk] for pk in partner_ids}


def route_table(owner_id: int) -> RouteTable:
    now = time.monotonic()
    table = _tables.get(owner_id)
    if table is not None and now - table.loaded_at < ROUTE_CACHE_SECONDS:
        return table
    table = RouteTable(owner_id, now)
    rows = (
        Route.objects.filter(partner_id=owner_id, enabled=True, vendor__enabled=True)
        .order_by("priority", "pk")
        .values_list("channel", "country_id", "network_id", "vendor_id")
    )
    for channel, country_id, network_id, vendor_id in rows:
        table.entries.setdefault((channel, country_id, network_id), []).append(vendor_id)
    table.simulator_id = (
        Vendor.objects.filter(partner_id=owner_id, connector=ConnectorType.SIMULATOR, enabled=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    _tables[owner_id] = table
    return table


def vendor_info(vendor_id: int) -> VendorInfo | None:
    now = time.monotonic()
    cached = _vendors.get(vendor_id)
    if cached is not None and now - cached[0] < ROUTE_CACHE_SECONDS:
        return cached[1]
    row = (
        Vendor.objects.filter(pk=vendor_id)
        .values_list("pk", "partner_id", "name", "code", "connector", "settings", "tps", "dlr_token", "enabled")
        .first()
    )
    info = VendorInfo(*row) if row else None
    _vendors[vendor_id] = (now, info)
    return info


def _connector(info: VendorInfo) -> connectors.Connector:
    key = (info.id, repr(sorted(info.settings.items())) + info.token)
    found = _connectors.get(key)
    if found is None:
        found = connectors.build(
            kind=info.kind, vendor_id=info.id, code=info.code, settings=info.settings, token=info.token
        )
        _connectors[key] = found
    return found


def resolve(
    *, owner_id: int, channel: str, country_id: int | None, network_id: int | None, simulation: bool = False
) -> int | None:
    """The vendor id for one message, or None when no enabled route covers it."""
    table = route_table(owner_id)
    if simulation:
        return table.simulator_id
    return table.vendor_for(channel, country_id, network_id)

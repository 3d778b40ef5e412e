"""Vendors and routes of a system owner, for the isolation test and the messaging tests."""

from __future__ import annotations

import itertools
from typing import Any

from messaging import routing
from messaging.models import ConnectorType, Route, Vendor
from tenancy.models import Channel, Partner

_seq = itertools.count(1)


def make_vendor(owner: Partner, **fields: Any) -> Vendor:
    number = next(_seq)
    fields.setdefault("name", f"Vendor {number}")
    fields.setdefault("code", f"vendor-{number}")
    fields.setdefault("connector", ConnectorType.SIMULATOR)
    fields.setdefault("settings", {"latency": 0, "delivery_ratio": 1.0, "seen_ratio": 0.0})
    vendor = Vendor.objects.create(partner=owner, **fields)
    routing.clear_cache()
    return vendor


def make_route(owner: Partner, vendor: Vendor | None = None, **fields: Any) -> Route:
    fields.setdefault("channel", Channel.SMS)
    route = Route.objects.create(partner=owner, vendor=vendor or make_vendor(owner), **fields)
    routing.clear_cache()
    return route

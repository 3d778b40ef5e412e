"""Channel / vendor connectors behind one interface (``base.Connector``), chosen by the vendor's type."""

from __future__ import annotations

from typing import Any

from messaging.connectors.base import Connector, Inbound, Lookup, Outbound, Receipt, SubmitResult
from messaging.connectors.http import HttpConnector
from messaging.connectors.simulator import SimulatorConnector

CONNECTORS: dict[str, type[Connector]] = {
    SimulatorConnector.kind: SimulatorConnector,
    HttpConnector.kind: HttpConnector,
}

__all__ = ["Connector", "Inbound", "Lookup", "Outbound", "Receipt", "SubmitResult", "build", "check_settings"]


def check_settings(kind: str, settings: Any) -> dict[str, Any]:
    if kind not in CONNECTORS:
        raise ValueError(f"unknown connector {kind!r}")
    return CONNECTORS[kind].check_settings(settings)


def build(*, kind: str, vendor_id: int, code: str, settings: dict[str, Any], token: str = "") -> Connector:
    cls = CONNECTORS[kind]
    if cls is HttpConnector:
        return HttpConnector(vendor_id=vendor_id, code=code, settings=settings, token=token)
    return cls(vendor_id=vendor_id, code=code, settings=settings)

"""Demo delivery set-up: the owner's simulator vendor and a route for every channel. Safe to run again."""

from __future__ import annotations

from django.db import transaction

from messaging import services
from messaging.models import ConnectorType, Route, Vendor
from tenancy.demo import DemoTenants
from tenancy.models import Channel

DEMO_VENDOR_CODE = "demo-simulator"
DEMO_SETTINGS = {
    "seed": 2026,
    "delivery_ratio": 0.92,
    "reject_ratio": 0.01,
    "latency": [1, 8],
    "seen_ratio": 0.6,
    "seen_delay": 20,
    "mo_ratio": 0.03,
    "mo_texts": ["YES", "STOP", "INFO"],
}


@transaction.atomic
def seed(tenants: DemoTenants) -> Vendor:
    vendor = Vendor.objects.filter(code=DEMO_VENDOR_CODE).first()
    if vendor is None:
        vendor = services.vendor_save(
            vendor=Vendor(
                partner=tenants.owner,
                name="Simulator",
                code=DEMO_VENDOR_CODE,
                connector=ConnectorType.SIMULATOR,
                settings=DEMO_SETTINGS,
            ),
            by=tenants.owner_user,
        )
    for channel in Channel.values:
        if not Route.objects.filter(partner=tenants.owner, channel=channel, country__isnull=True).exists():
            services.route_save(
                route=Route(partner=tenants.owner, channel=channel, vendor=vendor), by=tenants.owner_user
            )
    return vendor

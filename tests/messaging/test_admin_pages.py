"""Admin Panel: vendors, routes and queues, for the system owner only."""

from __future__ import annotations

import json

from django.test import Client

from messaging.models import Route, Vendor, VendorStat
from tests.conftest import HOST_B, signed_in
from tests.factories import Tenant, make_tenant
from tests.messaging.conftest import Setup, send
from tests.messaging.factories import make_route, make_vendor


def test_the_owner_creates_edits_and_lists_vendors(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post(
        "/ap/vendors/new",
        {"name": "Acme SMS", "code": "acme", "connector": "http", "settings": json.dumps({"url": "https://acme.test/send"}),
         "tps": "50", "enabled": "on"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    vendor = Vendor.objects.get(code="acme")
    assert (vendor.partner, vendor.tps, vendor.settings["method"]) == (tenant.owner, 50, "POST")
    page = owner_client.get(f"/ap/vendors/{vendor.pk}/")
    assert page.status_code == 200
    assert "/hooks/vendors/acme/dlr" in page.content.decode() and vendor.dlr_token in page.content.decode()
    old_token = vendor.dlr_token
    assert owner_client.post(f"/ap/vendors/{vendor.pk}/token").status_code == 302
    vendor.refresh_from_db()
    assert vendor.dlr_token != old_token
    listing = owner_client.get("/ap/vendors/?q=acme")
    assert listing.status_code == 200 and "Acme SMS" in listing.content.decode()


def test_bad_vendor_settings_are_shown_on_the_form(owner_client: Client) -> None:
    response = owner_client.post(
        "/ap/vendors/new",
        {"name": "Broken", "code": "broken", "connector": "http", "settings": json.dumps({"url": "nope"}), "tps": "0"},
    )
    assert response.status_code == 400
    assert "url must be an http" in response.content.decode()
    response = owner_client.post(
        "/ap/vendors/new", {"name": "Broken", "code": "broken", "connector": "simulator", "settings": "[1]", "tps": "0"}
    )
    assert response.status_code == 400
    assert not Vendor.objects.exists()


def test_routes_are_created_checked_and_deleted(owner_client: Client, tenant: Tenant) -> None:
    from billing.models import Country, Network

    vendor = make_vendor(tenant.owner)
    spain = Country.objects.get(iso_code="ES")
    swedish = Network.objects.filter(country__iso_code="SE").first()
    assert swedish is not None
    bad = owner_client.post(
        "/ap/routes/new",
        {"channel": "sms", "country": spain.pk, "network": swedish.pk, "vendor": vendor.pk, "priority": 1},
    )
    assert bad.status_code == 400 and "not in the chosen country" in bad.content.decode()
    good = owner_client.post(
        "/ap/routes/new", {"channel": "viber", "country": spain.pk, "vendor": vendor.pk, "priority": 2, "enabled": "on"}
    )
    assert good.status_code == 302
    route = Route.objects.get()
    assert (route.channel, route.country, route.priority, route.partner) == ("viber", spain, 2, tenant.owner)
    other_owner = make_tenant("Other", "other.testserver")
    foreign = make_vendor(other_owner.owner)
    refused = owner_client.post(
        f"/ap/routes/{route.pk}/", {"channel": "viber", "vendor": foreign.pk, "priority": 1, "enabled": "on"}
    )
    assert refused.status_code == 400
    assert owner_client.get("/ap/routes/").status_code == 200
    assert owner_client.post(f"/ap/routes/{route.pk}/delete").status_code == 302
    assert not Route.objects.exists()


def test_resellers_and_end_users_do_not_manage_delivery(tenant: Tenant, ap_client: Client) -> None:
    route = make_route(tenant.owner)
    for url in ("/ap/vendors/", "/ap/vendors/new", "/ap/routes/", "/ap/routes/new", "/ap/queues/"):
        assert ap_client.get(url).status_code == 403, url
    assert ap_client.get(f"/ap/vendors/{route.vendor_id}/").status_code == 404
    assert ap_client.post(f"/ap/routes/{route.pk}/delete").status_code == 404
    assert Route.objects.exists()
    assert "Vendors" not in ap_client.get("/ap/").content.decode()


def test_another_owner_sees_none_of_it(tenant: Tenant) -> None:
    route = make_route(tenant.owner)
    intruder = make_tenant("Beta", HOST_B)
    client = signed_in(intruder.owner_user, HOST_B)
    assert route.vendor.name not in client.get("/ap/vendors/").content.decode()
    assert client.get(f"/ap/routes/{route.pk}/").status_code == 404


def test_the_queue_view_shows_depth_and_throughput(setup: Setup, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    from messaging import services

    send(setup, ["34600000001", "34600000002"])
    services.dispatch_batch()
    send(setup, ["34600000003"])
    client = signed_in(setup.tenant.owner_user)
    with django_assert_max_num_queries(20):
        response = client.get("/ap/queues/")
    assert response.status_code == 200
    context = response.context["overview"]
    assert context.queued_by_channel["sms"] == 1
    [load] = [load for load in context.vendors if load.vendor == setup.vendor]
    assert load.awaiting_report == 2 and load.submitted == [2, 2, 2]
    assert VendorStat.objects.get().submitted == 2
    assert "Vendors" in client.get("/ap/").content.decode()

"""v1 XLSX exports: contacts (with the list's filters), a group's contacts, the stop list, a transaction's details;
formula injection is neutralised, and another tenant's rows are never in a file nor reachable by id."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from contacts import services as contact_services
from contacts.models import Contact
from tests.api.conftest import api_client, new_key
from tests.contacts import factories as contact_factories
from tests.factories import Tenant, make_payment

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet(response: Any) -> list[list[Any]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == XLSX and "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def phones(rows: list[list[Any]]) -> set[str]:
    column = rows[0].index("Phone")
    return {str(row[column]) for row in rows[1:]}


@pytest.fixture
def client(tenant: Tenant) -> Client:
    return api_client(new_key(tenant).secret)


def test_contacts_export_follows_the_filters(tenant: Tenant, tenant_b: Tenant, client: Client) -> None:
    clients = contact_factories.make_group(tenant.end_user, "Clients")
    staff = contact_factories.make_group(tenant.end_user, "Staff")
    contact_factories.make_contact(tenant.end_user, [clients], phone="34600000001", first_name="=HYPERLINK(1)")
    contact_factories.make_contact(tenant.end_user, [staff], phone="34700000002")
    contact_factories.make_contact(tenant_b.end_user, phone="34600000009")
    everything = sheet(client.get("/api/v1/contacts/export"))
    assert phones(everything) == {"34600000001", "34700000002"}
    assert "'=HYPERLINK(1)" in everything[1] + everything[2]  # a formula is written as text
    assert phones(sheet(client.get(f"/api/v1/contacts/export?group={clients.pk}"))) == {"34600000001"}
    assert phones(sheet(client.get("/api/v1/contacts/export?phone=347"))) == {"34700000002"}
    bad = client.get("/api/v1/contacts/export?group=abc")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"


def test_group_export_and_stop_list_export(tenant: Tenant, tenant_b: Tenant, client: Client) -> None:
    group = contact_factories.make_group(tenant.end_user, "Clients")
    other = contact_factories.make_group(tenant.end_user, "Other")
    ana = contact_factories.make_contact(tenant.end_user, [group], phone="34600000001")
    contact_factories.make_contact(tenant.end_user, [other], phone="34600000002")
    theirs = contact_factories.make_contact(tenant_b.end_user, phone="34600000003")
    for partner, contact in ((tenant.end_user, ana), (tenant_b.end_user, theirs)):
        contact_services.stop_list_block(
            partner=partner, contacts=Contact.objects.filter(pk=contact.pk), sender_ids=None, by=None
        )
    assert phones(sheet(client.get(f"/api/v1/groups/{group.pk}/export"))) == {"34600000001"}
    stop_list = sheet(client.get("/api/v1/stop-list/export"))
    assert phones(stop_list) == {"34600000001"}
    assert "Blocked sender IDs" in stop_list[0]


def test_transaction_export(tenant: Tenant, client: Client) -> None:
    entry = make_payment(tenant.end_user)
    rows = sheet(client.get(f"/api/v1/transactions/{entry.pk}/export"))
    assert rows[0][:2] == ["Transaction", entry.pk]
    assert [row[:2] for row in rows if row and row[0] == "Amount"] == [["Amount", float(entry.amount)]]


@pytest.mark.parametrize("kind", ["group", "transaction"])
def test_another_tenants_export_is_404(tenant: Tenant, tenant_b: Tenant, client: Client, kind: str) -> None:
    theirs: Any
    if kind == "group":
        theirs = contact_factories.make_group(tenant_b.end_user, "Theirs")
        url = "/api/v1/groups/{pk}/export"
    else:
        theirs = make_payment(tenant_b.end_user)
        url = "/api/v1/transactions/{pk}/export"
    response = client.get(url.format(pk=theirs.pk))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    own = api_client(new_key(tenant_b, "owner").secret).get(url.format(pk=theirs.pk))
    assert own.status_code == 200


def test_contacts_export_with_another_tenants_group_has_no_rows(
    tenant: Tenant, tenant_b: Tenant, client: Client
) -> None:
    contact_factories.make_contact(tenant.end_user, phone="34600000001")
    theirs = contact_factories.make_group(tenant_b.end_user, "Theirs")
    contact_factories.make_contact(tenant_b.end_user, [theirs], phone="34600000009")
    assert phones(sheet(client.get(f"/api/v1/contacts/export?group={theirs.pk}"))) == set()

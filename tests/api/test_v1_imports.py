"""v1 contact imports: upload (the wizard's refusals), preview, configure, start into a group or a new one, status,
the error and original files, discarding a draft, filters, and isolation of every route."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from contacts.models import Contact, ContactImport, Group, StopEntry
from tests.api.conftest import api_client, new_key
from tests.contacts import factories as contact_factories
from tests.factories import Tenant, make_sender_id

ROWS = [["Phone", "First name"], ["+34 600 111 222", "Ana"], ["34600111333", "Bea"], ["not a number", "Bad"]]


def post(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


def upload(client: Client, file: Any) -> Any:
    return client.post("/api/v1/imports", {"file": file})


def put_file(client: Client, path: str, file: Any) -> Any:
    return client.put(path, encode_multipart(BOUNDARY, {"file": file}), content_type=MULTIPART_CONTENT)


@pytest.fixture
def client(tenant: Tenant) -> Client:
    return api_client(new_key(tenant).secret)


def test_upload_configure_start_and_follow_the_import(
    tenant: Tenant, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    sender = make_sender_id(tenant.end_user, value="Shop")
    created = upload(client, contact_factories.csv_upload(ROWS))
    assert created.status_code == 201, created.content
    job = created.json()
    assert (job["status"], job["fileFormat"], job["hasHeader"]) == ("draft", "csv", True)
    assert job["mapping"] == ["phone", "first_name"]  # guessed from the header
    preview = client.get(f"/api/v1/imports/{job['id']}/preview").json()
    assert preview["header"] == ["Phone", "First name"] and preview["rows"][0] == ["+34 600 111 222", "Ana"]
    assert {"key": "phone", "label": "Phone"} in preview["fields"]
    configured = post(client, f"/api/v1/imports/{job['id']}/configure", {
        "mapping": ["phone", "first_name"], "existingAction": "add_new", "stopListAction": "block",
        "senderIds": [sender.pk], "defaultCountry": "ES",
    })  # fmt: skip
    assert configured.status_code == 200, configured.content
    assert configured.json()["senderIds"] == [sender.pk] and configured.json()["defaultCountry"] == "ES"
    with django_capture_on_commit_callbacks(execute=True):
        started = post(client, f"/api/v1/imports/{job['id']}/start", {"newGroup": "From the API"})
    assert started.status_code == 200, started.content
    status = client.get(f"/api/v1/imports/{job['id']}").json()
    assert (status["status"], status["progress"], status["groupName"]) == ("completed", 100, "From the API")
    assert (status["totalRows"], status["created"], status["invalid"], status["hasErrorFile"]) == (3, 2, 1, True)
    group = Group.objects.get(partner=tenant.end_user, name="From the API")
    assert set(Contact.objects.for_partner(tenant.end_user).in_groups([group]).values_list("first_name", flat=True)) \
        == {"Ana", "Bea"}  # fmt: skip
    assert StopEntry.objects.filter(contact__partner=tenant.end_user, sender=sender).count() == 2
    errors = client.get(f"/api/v1/imports/{job['id']}/errors")
    assert errors.status_code == 200 and errors["Content-Type"] == "text/csv"
    assert "not a number" in b"".join(errors.streaming_content).decode()  # type: ignore[attr-defined]
    original = client.get(f"/api/v1/imports/{job['id']}/original")
    assert original.status_code == 200 and b"Ana" in b"".join(original.streaming_content)  # type: ignore[attr-defined]
    again = post(client, f"/api/v1/imports/{job['id']}/start", {"groupId": group.pk})
    assert again.status_code == 400 and again.json()["error"]["code"] == "started"
    assert client.get("/api/v1/imports?status=completed").json()["count"] == 1
    assert client.get("/api/v1/imports?status=draft").json()["count"] == 0
    assert client.get("/api/v1/imports?fileName=contacts").json()["count"] == 1


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (SimpleUploadedFile("contacts.pdf", b"%PDF-1.4 something"), "not a CSV, XLS or XLSX"),
        (SimpleUploadedFile("contacts.csv", b""), "empty"),
        (SimpleUploadedFile("contacts.csv", contact_factories.xlsx_bytes(ROWS)), "looks like an XLSX"),
    ],
)
def test_upload_refuses_what_the_wizard_refuses(client: Client, file: Any, message: str) -> None:
    response = upload(client, file)
    assert response.status_code == 400, response.content
    body = response.json()["error"]
    assert "file" in body["details"] and message in body["message"]
    assert not ContactImport.objects.exists()


def test_upload_over_10_mb_is_refused(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("api.v1_imports.MAX_UPLOAD_BYTES", 10)
    response = upload(client, contact_factories.csv_upload(ROWS))
    assert response.status_code == 400 and "10 MB" in response.json()["error"]["message"]
    assert not ContactImport.objects.exists()


def test_an_xlsx_upload_and_a_replaced_file(client: Client) -> None:
    job = upload(client, contact_factories.xlsx_upload(ROWS)).json()
    assert job["fileFormat"] == "xlsx"
    replacement = contact_factories.csv_upload([["Mobile"], ["34600111222"]], name="other.csv")
    replaced = put_file(client, f"/api/v1/imports/{job['id']}/file", replacement)
    assert replaced.status_code == 200, replaced.content
    assert (replaced.json()["fileName"], replaced.json()["mapping"]) == ("other.csv", ["phone"])


def test_configure_and_start_refusals_name_the_parameters(tenant: Tenant, client: Client) -> None:
    job = upload(client, contact_factories.csv_upload(ROWS)).json()
    url = f"/api/v1/imports/{job['id']}"
    no_phone = post(client, f"{url}/configure", {"mapping": ["first_name", ""]})
    assert no_phone.status_code == 400 and "mapping" in no_phone.json()["error"]["details"]
    no_senders = post(client, f"{url}/configure", {"mapping": ["phone", ""], "stopListAction": "block"})
    assert no_senders.status_code == 400 and "senderIds" in no_senders.json()["error"]["details"]
    unknown_country = post(client, f"{url}/configure", {"mapping": ["phone", ""], "defaultCountry": "XX"})
    assert unknown_country.status_code == 400 and "defaultCountry" in unknown_country.json()["error"]["details"]
    neither = post(client, f"{url}/start", {})
    assert neither.status_code == 400 and "groupId" in neither.json()["error"]["details"]
    existing = contact_factories.make_group(tenant.end_user, "Clients")
    taken = post(client, f"{url}/start", {"newGroup": "Clients"})
    assert taken.status_code == 400 and "newGroup" in taken.json()["error"]["details"]
    unmapped = upload(client, contact_factories.csv_upload([["Col A"], ["34600111222"]])).json()
    assert unmapped["mapping"] == [""]
    refused = post(client, f"/api/v1/imports/{unmapped['id']}/start", {"newGroup": "Fresh"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "mapping"
    assert list(Group.objects.filter(partner=tenant.end_user)) == [existing]  # no group was left behind
    assert set(ContactImport.objects.values_list("status", flat=True)) == {ContactImport.Status.DRAFT}


def test_a_draft_is_discarded_and_a_started_import_is_not(tenant: Tenant, client: Client) -> None:
    draft = upload(client, contact_factories.csv_upload(ROWS)).json()
    assert client.delete(f"/api/v1/imports/{draft['id']}").status_code == 204
    assert not ContactImport.objects.exists()
    finished = contact_factories.make_contact_import(tenant.end_user)
    refused = client.delete(f"/api/v1/imports/{finished.pk}")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "started"
    assert ContactImport.objects.filter(pk=finished.pk).exists()


ROUTES = [
    ("get", "/api/v1/imports/{pk}", None),
    ("get", "/api/v1/imports/{pk}/preview", None),
    ("get", "/api/v1/imports/{pk}/errors", None),
    ("get", "/api/v1/imports/{pk}/original", None),
    ("post", "/api/v1/imports/{pk}/configure", {"mapping": ["phone", ""]}),
    ("post", "/api/v1/imports/{pk}/start", {"newGroup": "Mine"}),
    ("put", "/api/v1/imports/{pk}/file", None),
    ("delete", "/api/v1/imports/{pk}", None),
]


@pytest.mark.parametrize(("method", "url", "data"), ROUTES, ids=[f"{route[0]} {route[1]}" for route in ROUTES])
def test_another_tenants_import_is_404_on_every_route(
    tenant: Tenant, tenant_b: Tenant, method: str, url: str, data: dict[str, Any] | None
) -> None:
    theirs = contact_factories.make_contact_import(tenant_b.end_user)
    before = (theirs.status, theirs.mapping, theirs.file.name)
    intruder = api_client(new_key(tenant, "intruder").secret)
    path = url.format(pk=theirs.pk)
    if method == "put":
        response = put_file(intruder, path, contact_factories.csv_upload(ROWS))
    elif data is not None:
        response = getattr(intruder, method)(path, json.dumps(data), content_type="application/json")
    else:
        response = getattr(intruder, method)(path)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert (theirs.status, theirs.mapping, theirs.file.name) == before
    assert not Group.objects.filter(name="Mine").exists()
    own = api_client(new_key(tenant_b, "owner").secret).get(f"/api/v1/imports/{theirs.pk}")
    assert own.status_code == 200


def test_the_list_shows_own_imports_only_and_the_start_takes_own_groups_only(
    tenant: Tenant, tenant_b: Tenant, client: Client
) -> None:
    contact_factories.make_contact_import(tenant_b.end_user)
    mine = upload(client, contact_factories.csv_upload(ROWS)).json()
    listed = client.get("/api/v1/imports").json()
    assert [row["id"] for row in listed["results"]] == [mine["id"]]
    their_group = contact_factories.make_group(tenant_b.end_user, "Theirs")
    refused = post(client, f"/api/v1/imports/{mine['id']}/start", {"groupId": their_group.pk})
    assert refused.status_code == 400 and "groupId" in refused.json()["error"]["details"]
    their_sender = make_sender_id(tenant_b.end_user, value="Theirs")
    refused = post(client, f"/api/v1/imports/{mine['id']}/configure", {
        "mapping": ["phone", ""], "stopListAction": "block", "senderIds": [their_sender.pk]})  # fmt: skip
    assert refused.status_code == 400 and "senderIds" in refused.json()["error"]["details"]


def test_the_list_reads_a_fixed_number_of_queries(
    tenant: Tenant, client: Client, django_assert_max_num_queries: Any
) -> None:
    sender = make_sender_id(tenant.end_user, value="Shop")
    for _index in range(3):
        job = upload(client, contact_factories.csv_upload(ROWS)).json()
        post(client, f"/api/v1/imports/{job['id']}/configure", {
            "mapping": ["phone", ""], "stopListAction": "block", "senderIds": [sender.pk]})  # fmt: skip
    with django_assert_max_num_queries(5):
        listed = client.get("/api/v1/imports").json()
    assert listed["count"] == 3 and all(row["senderIds"] == [sender.pk] for row in listed["results"])

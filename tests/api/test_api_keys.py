"""The API key lifecycle over v1: create (secret once), list newest first, refresh, remove, validation."""

from __future__ import annotations

import pytest
from django.test import Client

from api.models import ApiKey
from tests.api.conftest import api_client, new_key
from tests.factories import Tenant


def post(client: Client, url: str, data: dict[str, object]) -> object:
    return client.post(url, data, content_type="application/json")


def test_create_shows_the_key_once_and_lists_newest_first(tenant: Tenant, client_with_key: Client) -> None:
    created = post(client_with_key, "/api/v1/api-keys", {"name": "Second", "expiration": "never"})
    assert created.status_code == 201, created.content  # type: ignore[attr-defined]
    body = created.json()  # type: ignore[attr-defined]
    assert body["key"].count(".") == 2 and body["expiresAt"] is None and body["callbackSecret"]
    listed = client_with_key.get("/api/v1/api-keys").json()
    assert [row["name"] for row in listed["results"]] == ["Second", "Shop"]
    assert all("key" not in row for row in listed["results"])
    stored = ApiKey.objects.get(name="Second")
    assert body["key"] not in (stored.jti_hash, stored.callback_secret)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "expiration": "7d"}, "name"),
        ({"name": "x" * 61, "expiration": "7d"}, "name"),
        ({"name": "Shop", "expiration": "7d"}, "name"),  # taken
        ({"name": "New", "expiration": "2w"}, "expiration"),
        ({"name": "New", "expiration": "7d", "callbackUrl": "ftp://example.com"}, "callback_url"),
        ({"name": "New", "expiration": "7d", "callbackUrl": "https://u:p@example.com/x"}, "callback_url"),
    ],
)
def test_create_refuses_bad_input_with_a_json_error(
    client_with_key: Client, data: dict[str, object], field: str
) -> None:
    response = post(client_with_key, "/api/v1/api-keys", data)
    assert response.status_code == 400, response.content  # type: ignore[attr-defined]
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] and error["message"]
    assert field in error["details"] or field.replace("_u", "U") in error["details"]


def test_private_callback_addresses_need_the_setting(tenant: Tenant, settings: object) -> None:
    settings.API_CALLBACK_ALLOW_PRIVATE = False  # type: ignore[attr-defined]
    from django.core.exceptions import ValidationError

    for url in ("http://127.0.0.1:8080/cb", "http://10.1.2.3/cb", "http://localhost/cb", "http://[::1]/cb"):
        with pytest.raises(ValidationError):
            new_key(tenant, name=url[-12:], callback_url=url)
    assert new_key(tenant, name="public", callback_url="https://hooks.example.com/cb").api_key.pk


def test_a_name_of_a_removed_key_can_be_used_again(tenant: Tenant, client_with_key: Client, key: object) -> None:
    pk = key.api_key.pk  # type: ignore[attr-defined]
    assert client_with_key.delete(f"/api/v1/api-keys/{pk}").status_code == 204
    again = new_key(tenant, "Shop")
    assert api_client(again.secret).get("/api/v1/api-keys").json()["count"] == 1


def test_keys_of_another_tenant_are_invisible(tenant: Tenant, tenant_b: Tenant, client_with_key: Client) -> None:
    other = new_key(tenant_b, "Theirs")
    pk = other.api_key.pk
    assert client_with_key.post(f"/api/v1/api-keys/{pk}/refresh").status_code == 404
    assert client_with_key.delete(f"/api/v1/api-keys/{pk}").status_code == 404
    assert ApiKey.objects.get(pk=pk).revoked_at is None
    names = [row["name"] for row in client_with_key.get("/api/v1/api-keys").json()["results"]]
    assert names == ["Shop"]


def test_manager_accounts_get_403(tenant: Tenant) -> None:
    from api import tokens

    token, _ = tokens.issue_login_token(user_id=tenant.reseller_user.pk)
    response = api_client(token).get("/api/v1/api-keys")
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"

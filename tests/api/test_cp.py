"""Campaign Portal → API Connections: keys (shown once), refresh, remove, Callback Settings, MO routes, methods."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from api.models import ApiKey, CallbackSettings, MoRoute
from api.services import api_key_touch
from tests.api.factories import make_api_key
from tests.factories import Tenant, make_sender_id


def test_the_menu_opens_the_api_keys_tab(cp_client: Client) -> None:
    page = cp_client.get("/dashboard").content.decode()
    assert 'href="/api-connections"' in page
    response = cp_client.get("/api-connections")
    assert response.status_code == 200
    assert "Add Key" in response.content.decode() and "No API keys yet." in response.content.decode()


def test_create_shows_the_key_once_with_the_warning_and_copy(tenant: Tenant, cp_client: Client) -> None:
    form = cp_client.get("/api-connections/keys/new").content.decode()
    assert "Never expires" in form and "until" in form  # the computed dates
    response = cp_client.post(
        "/api-connections/keys/new", {"name": "Shop", "callback_url": "https://hooks.example.com/dlr",
                                      "expiration": "7d"})  # fmt: skip
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "never again" in page and "data-copy-target" in page and "Copy" in page
    key = ApiKey.objects.get()
    assert key.partner == tenant.end_user and key.user == tenant.end_user_user and key.callback_url
    assert key.expires_at is not None and timedelta(days=6) < key.expires_at - timezone.now() <= timedelta(days=7)
    secret = page.split('data-testid="new-key">', 1)[1].split("<", 1)[0]
    assert secret.count(".") == 2
    listing = cp_client.get("/api-connections").content.decode()
    assert "Shop" in listing and secret not in listing and "Never used" in listing and "Active" in listing


def test_create_refuses_a_taken_name_and_a_bad_url(tenant: Tenant, cp_client: Client) -> None:
    make_api_key(tenant.end_user, tenant.end_user_user, name="Shop")
    taken = cp_client.post("/api-connections/keys/new", {"name": "shop", "expiration": "7d"})
    assert taken.status_code == 400 and "already have an API key" in taken.content.decode()
    bad = cp_client.post("/api-connections/keys/new", {"name": "New", "expiration": "7d", "callback_url": "mailto:x"})
    assert bad.status_code == 400 and ApiKey.objects.count() == 1


def test_list_newest_first_with_status_expiry_and_last_use(tenant: Tenant, cp_client: Client) -> None:
    old = make_api_key(tenant.end_user, tenant.end_user_user, name="Old", expiration="1d")
    ApiKey.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    new = make_api_key(tenant.end_user, tenant.end_user_user, name="New", expiration="never")
    api_key_touch(api_key=new)
    page = cp_client.get("/api-connections").content.decode()
    assert page.index('data-key="New"') < page.index('data-key="Old"')
    assert "Expired" in page and "Last used" in page and "Never expires" in page


def test_refresh_and_remove(tenant: Tenant, cp_client: Client) -> None:
    key = make_api_key(tenant.end_user, tenant.end_user_user, expiration="1d")
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    assert cp_client.post(f"/api-connections/keys/{key.pk}/refresh").status_code == 302
    key.refresh_from_db()
    assert not key.is_expired()
    assert cp_client.post(f"/api-connections/keys/{key.pk}/remove").status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert f'data-key="{key.name}"' not in cp_client.get("/api-connections").content.decode()


def test_callback_settings_default_url_and_routes(tenant: Tenant, cp_client: Client) -> None:
    sender = make_sender_id(tenant.end_user, value="Shop")
    assert cp_client.get("/api-connections/callbacks").status_code == 200
    saved = cp_client.post("/api-connections/callbacks", {"default_mo_url": "https://hooks.example.com/mo"})
    assert saved.status_code == 302
    assert CallbackSettings.objects.get(partner=tenant.end_user).default_mo_url == "https://hooks.example.com/mo"
    bad = cp_client.post("/api-connections/callbacks", {"default_mo_url": "ftp://x"})
    assert bad.status_code == 400
    added = cp_client.post("/api-connections/callbacks/routes/new",
                           {"sender_ids": [sender.pk], "url": "https://hooks.example.com/shop"})  # fmt: skip
    assert added.status_code == 302
    route = MoRoute.objects.get()
    assert list(route.sender_ids.all()) == [sender]
    edit_page = cp_client.get(f"/api-connections/callbacks/routes/{route.pk}")
    assert edit_page.status_code == 200 and "hooks.example.com/shop" in edit_page.content.decode()
    cp_client.post(f"/api-connections/callbacks/routes/{route.pk}",
                   {"sender_ids": [sender.pk], "url": "https://hooks.example.com/new"})  # fmt: skip
    route.refresh_from_db()
    assert route.url == "https://hooks.example.com/new"
    assert "hooks.example.com/new" in cp_client.get("/api-connections/callbacks").content.decode()
    assert cp_client.post(f"/api-connections/callbacks/routes/{route.pk}/delete").status_code == 302
    assert not MoRoute.objects.exists()


def test_route_form_offers_own_sender_ids_only(tenant: Tenant, tenant_b: Tenant, cp_client: Client) -> None:
    theirs = make_sender_id(tenant_b.end_user, value="Theirs")
    response = cp_client.post("/api-connections/callbacks/routes/new",
                              {"sender_ids": [theirs.pk], "url": "https://hooks.example.com/x"})  # fmt: skip
    assert response.status_code == 400 and not MoRoute.objects.exists()


def test_methods_page_documents_send_sms_for_this_host(cp_client: Client) -> None:
    page = cp_client.get("/api-connections/methods").content.decode()
    assert "http://testserver/api/send_sms" in page
    for name in ("channels", "fallbackTtl", "isFlashed", "acceptMO", "templateParams", "viberTemplateName"):
        assert f"<code>{name}</code>" in page
    assert "cURL" in page and "Python" in page and "JavaScript" in page and "PHP" in page
    assert "&lt;?php" in page and "/api-connections/keys/new" in page

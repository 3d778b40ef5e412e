"""Login tokens (HTTP Basic, 2FA) and bearer API keys: signature, expiry, removal, last use."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone
from django_otp.oath import TOTP

from api import services as api_services
from api import throttling, tokens
from api.models import ApiKey
from api.throttling import ApiKeyRateThrottle
from tenancy import services as tenancy_services
from tests.api.conftest import api_client, basic, new_key
from tests.factories import Tenant, make_partner


def test_basic_credentials_give_a_short_lived_token_that_manages_keys(tenant: Tenant) -> None:
    response = api_client().post("/api/auth/token", HTTP_AUTHORIZATION=basic(tenant.end_user_user.email))
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"token", "expiresAt"}
    client = api_client(body["token"])
    created = client.post(
        "/api/v1/api-keys", {"name": "Shop", "callbackUrl": "https://example.com/dlr", "expiration": "7d"},
        content_type="application/json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    assert created.json()["key"] and created.json()["status"] == "ACTIVE"


def test_wrong_password_and_missing_credentials_are_401_json(tenant: Tenant) -> None:
    wrong = api_client().post("/api/auth/token", HTTP_AUTHORIZATION=basic(tenant.end_user_user.email, "nope-nope"))
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_credentials"
    missing = api_client().post("/api/auth/token")
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "credentials_required"
    garbled = api_client().post("/api/auth/token", HTTP_AUTHORIZATION="Basic !!!")
    assert garbled.status_code == 401


def test_users_with_2fa_need_a_valid_code_in_x_otp(tenant: Tenant) -> None:
    user = tenant.end_user_user
    device = tenancy_services.totp_provision(user=user, portal=tenant.portal)
    device.confirmed = True
    device.save()
    auth = basic(user.email)
    no_code = api_client().post("/api/auth/token", HTTP_AUTHORIZATION=auth)
    assert no_code.status_code == 401 and no_code.json()["error"]["code"] == "otp_required"
    bad = api_client().post("/api/auth/token", HTTP_AUTHORIZATION=auth, HTTP_X_OTP="000000")
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "otp_invalid"
    device.refresh_from_db()
    device.throttle_reset()  # django-otp waits a moment after a wrong code
    code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    good = api_client().post("/api/auth/token", HTTP_AUTHORIZATION=auth, HTTP_X_OTP=f"{code:06d}")
    assert good.status_code == 200, good.content


def test_login_token_expires(tenant: Tenant) -> None:
    token, _expires = tokens.issue_login_token(user_id=tenant.end_user_user.pk)
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        response = api_client(token).get("/api/v1/api-keys")
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_token"


def test_key_works_and_records_its_last_use(tenant: Tenant) -> None:
    issued = new_key(tenant)
    assert ApiKey.objects.get().last_used_at is None
    response = api_client(issued.secret).get("/api/v1/api-keys")
    assert response.status_code == 200
    assert ApiKey.objects.get().last_used_at is not None


def test_removed_expired_forged_and_missing_keys_are_401_json(tenant: Tenant) -> None:
    removed = new_key(tenant, "Removed")
    api_client(removed.secret).delete(f"/api/v1/api-keys/{removed.api_key.pk}")
    response = api_client(removed.secret).get("/api/v1/api-keys")
    assert response.status_code == 401 and response.json()["error"]["code"] == "key_revoked"

    expiring = new_key(tenant, "Daily", expiration="1d")
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        response = api_client(expiring.secret).get("/api/v1/api-keys")
    assert response.status_code == 401 and response.json()["error"]["code"] == "key_expired"

    forged = expiring.secret[:-3] + ("aaa" if not expiring.secret.endswith("aaa") else "bbb")
    response = api_client(forged).get("/api/v1/api-keys")
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_token"

    response = api_client().get("/api/v1/api-keys")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_refresh_brings_an_expired_key_back_with_a_new_expiry(tenant: Tenant) -> None:
    issued = new_key(tenant, "Daily", expiration="1d")
    later = timezone.now() + timedelta(days=2)
    with time_machine.travel(later):
        token, _expires = tokens.issue_login_token(user_id=tenant.end_user_user.pk)
        client = api_client(token)
        listed = client.get("/api/v1/api-keys").json()["results"]
        assert listed[0]["status"] == "EXPIRED"
        refreshed = client.post(f"/api/v1/api-keys/{issued.api_key.pk}/refresh", {"expiration": "1y"},
                                content_type="application/json")  # fmt: skip
        assert refreshed.status_code == 200, refreshed.content
        assert refreshed.json()["status"] == "ACTIVE" and refreshed.json()["expiration"] == "1y"
        assert "key" not in refreshed.json()
        assert api_client(issued.secret).get("/api/v1/api-keys").status_code == 200


def test_a_key_stops_working_while_its_partner_or_one_above_is_off_and_its_user_is_inactive(tenant: Tenant) -> None:
    client = api_client(new_key(tenant).secret)
    for partner in (tenant.reseller, tenant.end_user):
        tenancy_services.partner_set_active(partner=partner, active=False, by=tenant.owner_user)
        response = client.get("/api/v1/api-keys")
        assert response.status_code == 401 and response.json()["error"]["code"] == "account_disabled"
        tenancy_services.partner_set_active(partner=partner, active=True, by=tenant.owner_user)
        assert client.get("/api/v1/api-keys").status_code == 200
    tenancy_services.user_set_active(user=tenant.end_user_user, active=False, by=tenant.owner_user)
    response = client.get("/api/v1/api-keys")
    assert response.status_code == 401 and response.json()["error"]["code"] == "account_disabled"


def test_a_key_of_another_partner_with_the_same_prefix_is_not_affected(tenant: Tenant) -> None:
    """Only the partners above the key's own partner count, not a sibling whose path shares digits."""
    sibling = make_partner(tenant.reseller, name="Sibling")
    tenancy_services.partner_set_active(partner=sibling, active=False, by=tenant.owner_user)
    assert api_client(new_key(tenant).secret).get("/api/v1/api-keys").status_code == 200


def test_the_rate_limit_window_slides_across_periods(tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    cache.clear()
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "2/minute"})
    client = api_client(new_key(tenant).secret)
    start = timezone.now().replace(second=50, microsecond=0) + timedelta(minutes=1)
    with time_machine.travel(start, tick=False):
        assert [client.get("/api/v1/api-keys").status_code for _ in range(2)] == [200, 200]
    # Just after the minute turns, the two requests of the last seconds still count almost fully.
    with time_machine.travel(start + timedelta(seconds=15), tick=False):
        limited = client.get("/api/v1/api-keys")
        assert limited.status_code == 429
        assert 0 < int(limited["Retry-After"]) <= 30
    # Half a period later, the previous period counts for half: one more request fits, a second does not.
    with time_machine.travel(start + timedelta(seconds=40), tick=False):
        assert [client.get("/api/v1/api-keys").status_code for _ in range(2)] == [200, 429]
    cache.clear()


def test_partners_deeper_than_the_query_checks_are_checked_apart(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api_services, "CHAIN_DEPTH", 1)
    api_services._auth_query.cache_clear()
    try:
        client = api_client(new_key(tenant).secret)
        assert client.get("/api/v1/api-keys").status_code == 200
        tenancy_services.partner_set_active(partner=tenant.reseller, active=False, by=tenant.owner_user)
        response = client.get("/api/v1/api-keys")
        assert response.status_code == 401 and response.json()["error"]["code"] == "account_disabled"
    finally:
        api_services._auth_query.cache_clear()


def test_at_high_rates_a_process_counts_in_batches_and_refused_requests_do_not_count(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.clear()
    monkeypatch.setattr(throttling, "_periods", {})
    monkeypatch.setattr(throttling, "BATCH_SHARE", 2)  # 4 a minute: batches of 2
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "4/minute"})
    issued = new_key(tenant)
    client = api_client(issued.secret)
    moment = timezone.now().replace(second=10, microsecond=0) + timedelta(minutes=1)
    shared = f"throttle_api_key_key{issued.api_key.pk}:{int(moment.timestamp() // 60)}"
    with time_machine.travel(moment, tick=False):
        assert [client.get("/api/v1/api-keys").status_code for _ in range(5)] == [200, 200, 200, 200, 429]
        assert cache.get(shared) == 4
        monkeypatch.setattr(throttling, "_periods", {})  # another web process sees the shared count at once
        assert client.get("/api/v1/api-keys").status_code == 429
        assert cache.get(shared) == 4
    cache.clear()

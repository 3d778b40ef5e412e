"""Sign-up and 2FA e-mails rendered and sent by a real Celery worker over Redis, on PostgreSQL."""

from __future__ import annotations

import base64
import re

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenancy import services
from tenancy.models import Portal, User
from tests.factories import PASSWORD, make_portal, make_tenant, make_user
from tests.integration.conftest import Worker, text_of

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

HOST = "testserver"
SIGN_UP = {
    "first_name": "Ann",
    "last_name": "Lee",
    "company_name": "Sky Ltd",
    "email": "ann@sky.test",
    "password1": "blue-Harbour-77",
    "password2": "blue-Harbour-77",
    "captcha_0": "x",
    "captcha_1": "PASSED",
    "language": "en",
}


def _secret(text: str) -> bytes:
    match = re.search(r"Secret key: ([A-Z2-7]+)", text)
    assert match, text
    secret = match.group(1)
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def _code(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():0{device.digits}d}"


def test_sign_up_confirmation_and_2fa_secret_are_mailed_by_the_worker(worker: Worker) -> None:
    tenant = make_tenant("Alpha", HOST)
    Portal.objects.filter(pk=tenant.portal.pk).update(require_2fa=True)
    client = Client(HTTP_HOST=HOST)

    response = client.post("/sign-up", SIGN_UP)
    assert response.status_code == 200
    assert "Check your e-mail" in response.content.decode()

    confirmation = worker.wait_for_mail("ann@sky.test", "/sign-up/confirm/")
    assert confirmation["Subject"] == "Confirm your Alpha Brand account"
    match = re.search(r"http://testserver(/sign-up/confirm/\S+)", text_of(confirmation))
    assert match, text_of(confirmation)
    user = User.objects.get(email="ann@sky.test")
    assert not user.email_confirmed

    confirmed = client.get(match.group(1), follow=True)
    assert "Your e-mail is confirmed" in confirmed.content.decode()
    user.refresh_from_db()
    assert user.email_confirmed

    secret_mail = worker.wait_for_mail("ann@sky.test", "Secret key")
    device = TOTPDevice.objects.get(user=user)
    assert _secret(text_of(secret_mail)) == device.bin_key
    assert [part.get_content_type() for part in secret_mail.iter_attachments()] == ["image/png"]

    signed_in = client.post("/", {"email": "ann@sky.test", "password": SIGN_UP["password1"]})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/sign-in/code"
    verified = client.post("/sign-in/code", {"token": _code(device)})
    assert verified.status_code == 302
    assert verified["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200


def test_switching_on_2fa_mails_a_secret_to_every_user_below_the_portal(worker: Worker) -> None:
    tenant = make_tenant("Beta", f"beta.{HOST}")
    colleague = make_user(tenant.end_user, email="colleague@beta.test")
    portal = make_portal(tenant.reseller, f"reseller.{HOST}", brand_name="Beta Reseller Brand")
    assert not TOTPDevice.objects.exists()

    portal.require_2fa = True
    services.portal_save(portal=portal, hosts=[f"reseller.{HOST}"], by=tenant.owner_user)

    for user in (tenant.reseller_user, tenant.end_user_user, colleague):
        message = worker.wait_for_mail(user.email, "Secret key")
        assert message["Subject"] == "Your Beta Reseller Brand authenticator secret"
        assert _secret(text_of(message)) == TOTPDevice.objects.get(user=user).bin_key
    # The owner is above the reseller's portal: no secret for it.
    assert not TOTPDevice.objects.filter(user=tenant.owner_user).exists()
    assert worker.mails_to(tenant.owner_user.email) == []

    client = Client(HTTP_HOST=f"reseller.{HOST}")
    response = client.post("/", {"email": colleague.email, "password": PASSWORD})
    assert response["Location"] == "/sign-in/code"
    verified = client.post("/sign-in/code", {"token": _code(TOTPDevice.objects.get(user=colleague))})
    assert verified["Location"] == "/dashboard"

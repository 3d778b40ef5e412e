from __future__ import annotations

import re
import time

import time_machine
from django.core import mail
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenancy import services
from tenancy.models import User
from tests.factories import PASSWORD, Tenant, make_user


def _code(device: TOTPDevice) -> str:
    """The code an authenticator app shows right now (time_machine moves "now")."""
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def _require_2fa(tenant: Tenant) -> None:
    tenant.portal.require_2fa = True
    tenant.portal.save()


def _secret_from_mail(user: User) -> str:
    bodies = [m.body for m in mail.outbox if m.to == [user.email] and "Secret key" in m.body]
    assert bodies, [m.subject for m in mail.outbox]
    match = re.search(r"Secret key: ([A-Z2-7]+)", str(bodies[-1]))
    assert match
    return match.group(1)


def test_enabling_2fa_on_a_portal_mails_a_secret_to_every_user_of_its_tree(
    tenant: Tenant, tenant_b: Tenant, owner_client: Client, django_capture_on_commit_callbacks
) -> None:
    tenant.portal.require_2fa = True
    with django_capture_on_commit_callbacks(execute=True):
        services.portal_save(portal=tenant.portal, hosts=["testserver"], by=tenant.owner_user)
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([tenant.owner_user.email, tenant.reseller_user.email, tenant.end_user_user.email])
    qr = mail.outbox[0].attachments[0]
    assert qr[0] == "authenticator-qr.png" and qr[1][:4] == b"\x89PNG"
    assert TOTPDevice.objects.filter(user__partner__path__startswith=tenant_b.owner.path).count() == 0


def test_sign_in_asks_for_a_code_and_refuses_a_wrong_one(tenant: Tenant, django_capture_on_commit_callbacks) -> None:
    _require_2fa(tenant)
    user = tenant.end_user_user
    device = services.totp_provision(user=user, portal=tenant.portal)
    client = Client()
    step_one = client.post("/", {"email": user.email, "password": PASSWORD})
    assert step_one["Location"] == "/sign-in/code"
    assert client.get("/dashboard").status_code == 302  # not signed in yet

    wrong = client.post("/sign-in/code", {"token": "000000" if _code(device) != "000000" else "111111"})
    assert "This code is not valid" in wrong.content.decode()
    assert client.get("/dashboard").status_code == 302

    with time_machine.travel(time.time() + 60, tick=False):  # past the throttle delay of the wrong try
        right = client.post("/sign-in/code", {"token": _code(device)})
        assert right["Location"] == "/dashboard"
        assert client.get("/dashboard").status_code == 200


def test_user_without_a_secret_gets_one_by_mail_at_sign_in(tenant: Tenant, django_capture_on_commit_callbacks) -> None:
    _require_2fa(tenant)
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/", {"email": tenant.end_user_user.email, "password": PASSWORD}, follow=True)
    assert "e-mailed you a new authenticator secret" in response.content.decode()
    assert _secret_from_mail(tenant.end_user_user)


def test_confirmed_sign_up_on_a_2fa_portal_receives_a_secret(
    tenant: Tenant, client: Client, django_capture_on_commit_callbacks
) -> None:
    _require_2fa(tenant)
    user = make_user(tenant.end_user)
    User.objects.filter(pk=user.pk).update(email_confirmed=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.sign_up_confirm(user=user, portal=tenant.portal)
    assert _secret_from_mail(user)


def test_reset_in_security_settings_replaces_the_secret(tenant: Tenant, django_capture_on_commit_callbacks) -> None:
    _require_2fa(tenant)
    user = tenant.end_user_user
    old = services.totp_provision(user=user, portal=tenant.portal)
    client = Client()
    client.post("/", {"email": user.email, "password": PASSWORD})
    client.post("/sign-in/code", {"token": _code(old)})
    assert client.get("/account/security").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        page = client.post("/account/security", {"action": "reset_2fa"}).content.decode()
    new = TOTPDevice.objects.get(user=user)
    assert new.pk != old.pk
    shown = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page)
    assert shown and shown.group(1) == _secret_from_mail(user)
    assert "data:image/svg+xml" in page

    client.post("/sign-out")
    client.post("/", {"email": user.email, "password": PASSWORD})
    assert "This code is not valid" in client.post("/sign-in/code", {"token": _code(old)}).content.decode()
    with time_machine.travel(time.time() + 60, tick=False):
        assert client.post("/sign-in/code", {"token": _code(new)})["Location"] == "/dashboard"


def test_session_without_a_verified_code_cannot_use_a_2fa_portal(tenant: Tenant, cp_client: Client) -> None:
    _require_2fa(tenant)
    response = cp_client.get("/dashboard")
    assert response.status_code == 302
    assert response["Location"].startswith("/?next=")

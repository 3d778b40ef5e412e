from __future__ import annotations

import re

from django.core import mail
from django.test import Client

from tenancy import services
from tests.conftest import HOST_B
from tests.factories import PASSWORD, Tenant


def test_each_kind_of_user_lands_on_its_own_side(tenant: Tenant) -> None:
    for user, home in (
        (tenant.end_user_user, "/dashboard"),
        (tenant.reseller_user, "/ap/"),
        (tenant.owner_user, "/ap/"),
    ):
        client = Client()
        response = client.post("/", {"email": user.email, "password": PASSWORD})
        assert response["Location"] == home, user.email
        assert client.get(home).status_code == 200


def test_the_cp_and_the_ap_send_the_wrong_kind_of_user_home(cp_client: Client, ap_client: Client) -> None:
    assert cp_client.get("/ap/")["Location"] == "/dashboard"
    assert ap_client.get("/dashboard")["Location"] == "/ap/"


def test_wrong_password_is_refused_with_a_clear_message(tenant: Tenant) -> None:
    response = Client().post("/", {"email": tenant.end_user_user.email, "password": "nope"})
    assert response.status_code == 200
    assert "The e-mail or password is not correct." in response.content.decode()


def test_a_user_cannot_sign_in_on_another_tenants_portal(tenant: Tenant, tenant_b: Tenant) -> None:
    response = Client(HTTP_HOST=HOST_B).post("/", {"email": tenant.end_user_user.email, "password": PASSWORD})
    assert "The e-mail or password is not correct." in response.content.decode()


def test_repeated_failures_lock_the_account_out_even_for_the_right_password(tenant: Tenant, settings) -> None:
    client = Client()
    email = tenant.end_user_user.email
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/", {"email": email, "password": "bad-guess"}).status_code == 200
    locked = client.post("/", {"email": email, "password": "bad-guess"})
    assert locked.status_code == 429
    assert "Too many attempts" in locked.content.decode()
    right = client.post("/", {"email": email, "password": PASSWORD})
    assert right.status_code == 429
    assert client.get("/dashboard").status_code == 302


def test_a_disabled_partner_above_the_user_blocks_sign_in_and_open_sessions(tenant: Tenant) -> None:
    client = Client()
    client.post("/", {"email": tenant.end_user_user.email, "password": PASSWORD})
    assert client.get("/dashboard").status_code == 200
    services.partner_set_active(partner=tenant.reseller, active=False, by=tenant.owner_user)
    assert client.get("/dashboard").status_code == 302
    response = Client().post("/", {"email": tenant.end_user_user.email, "password": PASSWORD})
    assert "This account is disabled" in response.content.decode()


def test_next_parameter_is_followed_only_inside_the_site(tenant: Tenant) -> None:
    data = {"email": tenant.end_user_user.email, "password": PASSWORD}
    assert Client().post("/?next=/account", data)["Location"] == "/account"
    assert Client().post("/?next=https://evil.example/", data)["Location"] == "/dashboard"


def test_password_reset_by_email(tenant: Tenant) -> None:
    client = Client()
    client.post("/password-reset", {"email": tenant.end_user_user.email})
    assert len(mail.outbox) == 1
    assert tenant.portal.brand_name in mail.outbox[0].subject
    link = re.search(r"http://testserver(/password-reset/\S+)", str(mail.outbox[0].body))
    assert link
    form_page = client.get(link.group(1), follow=True)
    new = "fresh-Lantern-42"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, follow=True)
    assert "Your new password is set." in done.content.decode()
    assert Client().post("/", {"email": tenant.end_user_user.email, "password": new})["Location"] == "/dashboard"


def test_sign_out_ends_the_session(cp_client: Client) -> None:
    assert cp_client.post("/sign-out").status_code == 302
    assert cp_client.get("/dashboard").status_code == 302

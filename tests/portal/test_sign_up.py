from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from django.core import mail
from django.test import Client

from tenancy.models import CustomField, Partner, User
from tests.factories import Tenant, make_custom_field

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

GOOD = {
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


def _sign_up(client: Client, **changes: str) -> _MonkeyPatchedWSGIResponse:
    return client.post("/sign-up", {**GOOD, **changes})


def _confirm_link(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/sign-up/confirm/\S+)", str(message.body))
    assert match, message.body
    return match.group(1)


def test_sign_up_creates_end_user_under_portal_partner_and_needs_confirmation(
    tenant: Tenant, client: Client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _sign_up(client)
    assert response.status_code == 200
    assert "ann@sky.test" in response.content.decode()
    user = User.objects.get(email="ann@sky.test")
    assert user.partner.kind == Partner.Kind.END_USER
    assert user.partner.name == "Sky Ltd"
    assert Partner.objects.get_parent(user.partner) == tenant.owner
    assert not user.email_confirmed
    assert [m.to for m in mail.outbox] == [["ann@sky.test"]]

    refused = client.post("/", {"email": "ann@sky.test", "password": GOOD["password1"]})
    assert "confirm your e-mail" in refused.content.decode()

    confirmed = client.get(_confirm_link(mail.outbox[0]), follow=True)
    assert "Your e-mail is confirmed" in confirmed.content.decode()
    user.refresh_from_db()
    assert user.email_confirmed

    signed_in = client.post("/", {"email": "ann@sky.test", "password": GOOD["password1"]})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/dashboard"


def test_confirmation_link_works_once_and_rejects_tampering(
    tenant: Tenant, client: Client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _sign_up(client)
    link = _confirm_link(mail.outbox[0])
    assert client.get(link[:-3] + "xyz").status_code == 400
    assert client.get(link).status_code == 302
    assert client.get(link).status_code == 400


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"captcha_1": "WRONG"}, "Invalid CAPTCHA"),
        ({"password1": "password123", "password2": "password123"}, "too common"),
        ({"password2": "other-Harbour-77"}, "do not match"),
        ({"email": "not-an-email"}, "valid email"),
        ({"company_name": ""}, "This field is required"),
    ],
)
def test_bad_sign_up_input_gets_a_clear_error_and_creates_nothing(
    tenant: Tenant, client: Client, changes: dict[str, str], message: str
) -> None:
    partners, users = Partner.objects.count(), User.objects.count()
    response = _sign_up(client, **changes)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (Partner.objects.count(), User.objects.count()) == (partners, users)
    assert mail.outbox == []


def test_duplicate_email_is_refused_case_insensitively(tenant: Tenant, client: Client) -> None:
    response = _sign_up(client, email="USER@alpha.test")
    assert "already exists" in response.content.decode()
    assert User.objects.filter(email__iexact="user@alpha.test").count() == 1


def test_terms_and_consent_must_be_accepted_when_the_portal_has_them(tenant: Tenant, client: Client) -> None:
    tenant.portal.terms_of_service = "Be nice."
    tenant.portal.consent_text = "I agree to the processing of my personal data."
    tenant.portal.save()
    page = client.get("/sign-up").content.decode()
    assert "I agree to the processing of my personal data." in page
    refused = _sign_up(client)
    assert refused.content.decode().count("This field is required") == 2
    assert not User.objects.filter(email="ann@sky.test").exists()
    accepted = _sign_up(client, accept_terms="on", consent="on")
    assert User.objects.filter(email="ann@sky.test").exists(), accepted.content.decode()


def test_sign_up_is_not_offered_when_the_portal_is_closed(tenant: Tenant, client: Client) -> None:
    tenant.portal.allow_self_registration = False
    tenant.portal.save()
    assert "Sign Up" not in client.get("/").content.decode()
    assert _sign_up(client).status_code == 404
    assert not User.objects.filter(email="ann@sky.test").exists()


def test_custom_registration_fields_are_asked_and_stored(tenant: Tenant, client: Client) -> None:
    make_custom_field(tenant.owner, label="VAT number", key="vat", required=True)
    make_custom_field(
        tenant.owner, label="Industry", key="industry", data_type=CustomField.DataType.LIST, options="Retail\nBanking"
    )
    make_custom_field(tenant.owner, form=CustomField.Form.SENDER_ID_REQUEST, label="Licence", key="licence")
    page = client.get("/sign-up").content.decode()
    assert "VAT number" in page and "Industry" in page and "Licence" not in page
    assert "This field is required" in _sign_up(client).content.decode()
    _sign_up(client, cf_vat="ES123", cf_industry="Banking")
    assert User.objects.get(email="ann@sky.test").profile_fields == {"vat": "ES123", "industry": "Banking"}


def test_unknown_host_gets_a_clear_page_and_creates_nothing(tenant: Tenant) -> None:
    client = Client(HTTP_HOST="unknown.example")
    response = client.post("/sign-up", GOOD)
    assert response.status_code == 404
    assert "No portal is configured for the address unknown.example" in response.content.decode()
    assert not User.objects.filter(email="ann@sky.test").exists()


def test_language_choice_is_kept_on_the_new_user(tenant: Tenant, client: Client) -> None:
    _sign_up(client, language="es")
    assert User.objects.get(email="ann@sky.test").language == "es"

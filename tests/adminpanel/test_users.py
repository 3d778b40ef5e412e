from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tenancy.models import Partner, User
from tests.factories import Sibling, Tenant, make_partner, make_user

LIST = reverse("adminpanel:user_list")
CREATE = reverse("adminpanel:user_create")


def _emails(client: Client, query: str = "") -> set[str]:
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    return {user.email for user in response.context["object_list"]}


def _create_data(partner: Partner, **changes: Any) -> dict[str, Any]:
    data = {"email": "New.Person@Example.test", "first_name": "New", "last_name": "Person", "language": "es"}
    data.update(changes)
    return {"partner": partner.pk, **data}


# List ----------------------------------------------------------------------------------------------------------


def test_reseller_sees_only_users_of_its_subtree(
    ap_client: Client, tenant: Tenant, tenant_b: Tenant, sibling: Sibling
) -> None:
    assert _emails(ap_client) == {"reseller@alpha.test", "user@alpha.test"}


def test_owner_sees_every_user_of_its_tree(
    owner_client: Client, tenant: Tenant, tenant_b: Tenant, sibling: Sibling
) -> None:
    assert _emails(owner_client) == {
        "owner@alpha.test",
        "reseller@alpha.test",
        "user@alpha.test",
        "reseller@sibling.test",
        "user@sibling.test",
    }


def test_filters_and_search(owner_client: Client, tenant: Tenant, sibling: Sibling) -> None:
    make_user(tenant.end_user, email="zed@alpha.test", first_name="Zed", last_name="Quinn")
    User.objects.filter(email="user@sibling.test").update(is_active=False)
    assert _emails(owner_client, f"partner={tenant.end_user.pk}") == {"user@alpha.test", "zed@alpha.test"}
    assert _emails(owner_client, "status=disabled") == {"user@sibling.test"}
    assert _emails(owner_client, "q=quinn") == {"zed@alpha.test"}
    assert _emails(owner_client, "q=SIBLING") == {"reseller@sibling.test", "user@sibling.test"}


def test_partner_filter_offers_only_the_subtree(ap_client: Client, tenant: Tenant, sibling: Sibling) -> None:
    form = ap_client.get(LIST).context["filter_form"]
    assert set(form.fields["partner"].queryset) == {tenant.reseller, tenant.end_user}
    # a partner outside the subtree in the query string is ignored, never shown
    assert _emails(ap_client, f"partner={sibling.end_user.pk}") == {"reseller@alpha.test", "user@alpha.test"}


def test_pagination(owner_client: Client, tenant: Tenant) -> None:
    for number in range(25):
        make_user(tenant.end_user, email=f"bulk{number:02}@alpha.test")
    first = owner_client.get(LIST)
    assert len(first.context["object_list"]) == 20
    second = owner_client.get(f"{LIST}?page=2")
    assert len(second.context["object_list"]) == 8
    assert len(owner_client.get(f"{LIST}?per_page=50").context["object_list"]) == 28


def test_list_does_not_query_per_row(owner_client: Client, tenant: Tenant, django_assert_max_num_queries: Any) -> None:
    owner_client.get(LIST)
    for number in range(30):
        make_user(make_partner(tenant.reseller), email=f"bulk{number:02}@alpha.test")
    with django_assert_max_num_queries(10):
        response = owner_client.get(f"{LIST}?per_page=50")
    assert len(response.context["object_list"]) == 33


# Create --------------------------------------------------------------------------------------------------------


def test_create_user_emails_a_generated_password(
    ap_client: Client, tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = ap_client.post(CREATE, _create_data(tenant.end_user))
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.test")
    assert user.partner == tenant.end_user
    assert (user.first_name, user.last_name, user.language) == ("New", "Person", "es")
    assert user.is_active
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.test"]
    assert "Alpha Brand" in message.subject
    # the e-mail is in the new user's language: the password is on the line after the login
    match = re.search(r"new\.person@example\.test\n[^:\n]+: (\S+)\n", str(message.body))
    assert match, message.body
    assert user.check_password(match.group(1))


def test_duplicate_email_is_refused(ap_client: Client, tenant: Tenant, django_capture_on_commit_callbacks: Any) -> None:
    before = User.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = ap_client.post(CREATE, _create_data(tenant.end_user, email="USER@alpha.test"))
    assert response.status_code == 400
    assert "already exists" in str(response.context["form"].errors["email"])
    assert User.objects.count() == before
    assert mail.outbox == []


def test_duplicate_email_of_another_tenant_is_refused_too(ap_client: Client, tenant: Tenant, tenant_b: Tenant) -> None:
    response = ap_client.post(CREATE, _create_data(tenant.end_user, email="user@beta.test"))
    assert response.status_code == 400
    assert User.objects.filter(email="user@beta.test").get().partner == tenant_b.end_user


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": ""}, "email"),
        ({"language": "xx"}, "language"),
    ],
)
def test_bad_input_creates_nothing(ap_client: Client, tenant: Tenant, changes: dict[str, Any], field: str) -> None:
    before = User.objects.count()
    response = ap_client.post(CREATE, _create_data(tenant.end_user, **changes))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert User.objects.count() == before


def test_partner_outside_the_subtree_is_refused(
    ap_client: Client, tenant: Tenant, tenant_b: Tenant, sibling: Sibling
) -> None:
    for partner in (tenant.owner, sibling.end_user, tenant_b.end_user):
        response = ap_client.post(CREATE, _create_data(partner))
        assert response.status_code == 400
        assert response.context["form"].errors["partner"]
    assert not User.objects.filter(email="new.person@example.test").exists()


def test_partner_is_preselected_from_the_query_string(ap_client: Client, tenant: Tenant) -> None:
    form = ap_client.get(f"{CREATE}?partner={tenant.end_user.pk}").context["form"]
    assert form.initial["partner"] == tenant.end_user.pk


# Disable / enable ----------------------------------------------------------------------------------------------


def test_disable_and_enable_a_user(ap_client: Client, tenant: Tenant) -> None:
    user = tenant.end_user_user
    assert ap_client.post(reverse("adminpanel:user_disable", args=[user.pk])).status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    assert ap_client.post(reverse("adminpanel:user_enable", args=[user.pk])).status_code == 302
    user.refresh_from_db()
    assert user.is_active


def test_disabling_yourself_is_refused(ap_client: Client, tenant: Tenant) -> None:
    response = ap_client.post(reverse("adminpanel:user_disable", args=[tenant.reseller_user.pk]), follow=True)
    assert response.status_code == 200
    assert "You cannot disable yourself." in response.content.decode()
    tenant.reseller_user.refresh_from_db()
    assert tenant.reseller_user.is_active


def test_reseller_cannot_disable_users_outside_its_subtree(
    ap_client: Client, tenant: Tenant, tenant_b: Tenant, sibling: Sibling
) -> None:
    for user in (tenant.owner_user, sibling.end_user_user, tenant_b.end_user_user):
        assert ap_client.post(reverse("adminpanel:user_disable", args=[user.pk])).status_code == 404
    assert not User.objects.filter(is_active=False).exists()

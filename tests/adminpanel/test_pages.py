"""Every AP page renders for owners and resellers and sends end users back to the Campaign Portal."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import Tenant, make_custom_field

LIST_AND_CREATE_PAGES = [
    "adminpanel:home",
    "adminpanel:partner_list",
    "adminpanel:partner_create",
    "adminpanel:user_list",
    "adminpanel:user_create",
    "adminpanel:portal_list",
    "adminpanel:portal_create",
    "adminpanel:custom_field_list",
    "adminpanel:custom_field_create",
]


@pytest.mark.parametrize("name", LIST_AND_CREATE_PAGES)
def test_pages_render_for_reseller_and_owner(name: str, ap_client: Client, owner_client: Client) -> None:
    for client in (ap_client, owner_client):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert 'aria-label="Main menu"' in response.content.decode()


def test_edit_pages_render(owner_client: Client, tenant: Tenant) -> None:
    field = make_custom_field(tenant.owner)
    for url in (
        reverse("adminpanel:partner_edit", args=[tenant.reseller.pk]),
        reverse("adminpanel:portal_edit", args=[tenant.portal.pk]),
        reverse("adminpanel:custom_field_edit", args=[field.pk]),
        reverse("adminpanel:custom_field_delete", args=[field.pk]),
    ):
        assert owner_client.get(url).status_code == 200, url


@pytest.mark.parametrize("name", LIST_AND_CREATE_PAGES)
def test_end_user_is_sent_to_the_campaign_portal(name: str, cp_client: Client) -> None:
    response = cp_client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard")


def test_anonymous_visitor_is_sent_to_sign_in(client: Client, tenant: Tenant) -> None:
    response = client.get(reverse("adminpanel:partner_list"))
    assert response.status_code == 302
    assert response["Location"].startswith("/")
    assert "partners" in response["Location"]


def test_navigation_highlights_the_section(ap_client: Client) -> None:
    html = ap_client.get(reverse("adminpanel:user_list")).content.decode()
    assert f'nav-link active" href="{reverse("adminpanel:user_list")}"' in html
    for name in ("partner_list", "portal_list", "custom_field_list"):
        assert reverse(f"adminpanel:{name}") in html

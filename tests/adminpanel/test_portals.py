from __future__ import annotations

import io
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from tenancy.models import Portal, PortalHost
from tests.factories import Sibling, Tenant, make_portal

LIST = reverse("adminpanel:portal_list")
CREATE = reverse("adminpanel:portal_create")


def _png(size: tuple[int, int] = (40, 20), name: str = "logo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#336699").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _data(partner_id: int, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "partner": partner_id,
        "brand_name": "Reseller SMS",
        "hosts": "sms.reseller.test, SMS2.reseller.test\nsms3.reseller.test",
        "primary_color": "#AA3300",
        "languages": ["en", "tr"],
        "allow_self_registration": "on",
        "support_email": "help@reseller.test",
        "terms_of_service": "Be nice.",
        "privacy_policy": "We keep little.",
        "consent_text": "I agree to the processing of my data.",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _edit_data(portal: Portal, **changes: Any) -> dict[str, Any]:
    data = {
        "partner": portal.partner_id,
        "brand_name": portal.brand_name,
        "hosts": "\n".join(portal.host_names),
        "primary_color": portal.primary_color,
        "languages": portal.language_codes,
    }
    data.update(changes)
    return data


# List ----------------------------------------------------------------------------------------------------------


def test_reseller_sees_only_its_own_portals(
    ap_client: Client, tenant: Tenant, tenant_b: Tenant, sibling: Sibling
) -> None:
    own = make_portal(tenant.reseller, "own.reseller.test", brand_name="Own Brand")
    response = ap_client.get(LIST)
    assert [portal.pk for portal in response.context["object_list"]] == [own.pk]
    html = response.content.decode()
    assert "own.reseller.test" in html
    assert "Alpha Brand" not in html.split('data-testid="portal-table"')[1]


def test_owner_sees_all_portals_of_its_tree(
    owner_client: Client, tenant: Tenant, tenant_b: Tenant, sibling: Sibling
) -> None:
    names = {portal.brand_name for portal in owner_client.get(LIST).context["object_list"]}
    assert names == {"Alpha Brand", "Sibling Brand"}


def test_search_by_host(owner_client: Client, tenant: Tenant, sibling: Sibling) -> None:
    response = owner_client.get(f"{LIST}?q=sibling.example")
    assert [portal.brand_name for portal in response.context["object_list"]] == ["Sibling Brand"]


def test_list_does_not_query_per_row(owner_client: Client, tenant: Tenant, django_assert_max_num_queries: Any) -> None:
    owner_client.get(LIST)
    for number in range(30):
        portal = make_portal(tenant.reseller, f"p{number}.example.test")
        PortalHost.objects.create(portal=portal, name=f"alt{number}.example.test")
    with django_assert_max_num_queries(10):
        response = owner_client.get(f"{LIST}?per_page=50")
    assert len(response.context["object_list"]) == 31


# Create --------------------------------------------------------------------------------------------------------


def test_create_portal_with_all_settings(ap_client: Client, tenant: Tenant) -> None:
    response = ap_client.post(CREATE, _data(tenant.reseller.pk, logo=_png()))
    assert response.status_code == 302, response.context["form"].errors
    portal = Portal.objects.get(brand_name="Reseller SMS")
    assert portal.partner == tenant.reseller
    assert portal.host_names == ["sms.reseller.test", "sms2.reseller.test", "sms3.reseller.test"]
    assert portal.primary_color == "#aa3300"
    assert portal.languages == ["en", "tr"]
    assert portal.allow_self_registration
    assert not portal.require_2fa
    assert portal.support_email == "help@reseller.test"
    assert (portal.terms_of_service, portal.privacy_policy) == ("Be nice.", "We keep little.")
    assert portal.consent_text.startswith("I agree")
    assert portal.logo.name.startswith("portal-logos/")


def test_new_portal_serves_its_host(ap_client: Client, tenant: Tenant) -> None:
    ap_client.post(CREATE, _data(tenant.reseller.pk))
    page = Client(HTTP_HOST="sms2.reseller.test").get("/")
    assert page.status_code == 200
    assert "Reseller SMS" in page.content.decode()


def test_partner_choices_are_managers_of_the_subtree(ap_client: Client, owner_client: Client, tenant: Tenant) -> None:
    assert set(ap_client.get(CREATE).context["form"].fields["partner"].queryset) == {tenant.reseller}
    assert set(owner_client.get(CREATE).context["form"].fields["partner"].queryset) == {tenant.owner, tenant.reseller}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"primary_color": "red"}, "primary_color"),
        ({"primary_color": "#12345"}, "primary_color"),
        ({"hosts": "b.testserver"}, "hosts"),  # tenant B's portal has it
        ({"hosts": "new.reseller.test, testserver"}, "hosts"),  # tenant A's portal has it
        ({"hosts": "bad host!"}, "hosts"),
        ({"hosts": " , "}, "hosts"),
        ({"languages": None}, "languages"),
        ({"languages": ["xx"]}, "languages"),
        ({"brand_name": ""}, "brand_name"),
        ({"support_email": "nope"}, "support_email"),
        ({"logo": SimpleUploadedFile("logo.png", b"not an image", content_type="image/png")}, "logo"),
    ],
)
def test_bad_input_shows_an_error_and_creates_nothing(
    ap_client: Client, tenant: Tenant, tenant_b: Tenant, changes: dict[str, Any], field: str
) -> None:
    before = (Portal.objects.count(), PortalHost.objects.count())
    response = ap_client.post(CREATE, _data(tenant.reseller.pk, **changes))
    assert response.status_code == 400
    assert response.context["form"].errors[field], response.context["form"].errors
    assert (Portal.objects.count(), PortalHost.objects.count()) == before


def test_host_of_another_portal_names_the_host(ap_client: Client, tenant: Tenant, tenant_b: Tenant) -> None:
    response = ap_client.post(CREATE, _data(tenant.reseller.pk, hosts="free.reseller.test\nb.testserver"))
    assert "Already used by another portal: b.testserver" in response.content.decode()
    assert not PortalHost.objects.filter(name="free.reseller.test").exists()


def test_logo_larger_than_2_mb_is_refused(ap_client: Client, tenant: Tenant) -> None:
    buffer = io.BytesIO()
    Image.frombytes("RGB", (1100, 1100), bytes(range(256)) * (1100 * 1100 * 3 // 256 + 1)).save(buffer, format="BMP")
    assert buffer.tell() > 2 * 1024 * 1024
    big = SimpleUploadedFile("logo.bmp", buffer.getvalue(), content_type="image/bmp")
    response = ap_client.post(CREATE, _data(tenant.reseller.pk, logo=big))
    assert response.status_code == 400
    assert "2 MB" in str(response.context["form"].errors["logo"])
    assert not Portal.objects.filter(brand_name="Reseller SMS").exists()


def test_reseller_cannot_create_a_portal_for_its_parent(ap_client: Client, tenant: Tenant) -> None:
    response = ap_client.post(CREATE, _data(tenant.owner.pk))
    assert response.status_code == 400
    assert response.context["form"].errors["partner"]
    assert not Portal.objects.filter(brand_name="Reseller SMS").exists()


def test_end_user_cannot_own_a_portal(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post(CREATE, _data(tenant.end_user.pk))
    assert response.status_code == 400
    assert response.context["form"].errors["partner"]


# Edit ----------------------------------------------------------------------------------------------------------


def test_edit_settings_and_hosts(ap_client: Client, tenant: Tenant) -> None:
    portal = make_portal(tenant.reseller, "old.reseller.test", brand_name="Old")
    url = reverse("adminpanel:portal_edit", args=[portal.pk])
    form = ap_client.get(url).context["form"]
    assert form.initial["hosts"] == "old.reseller.test"
    assert form.initial["languages"] == ["en", "es", "ru", "tr"]  # an empty list means every language
    response = ap_client.post(
        url, _edit_data(portal, brand_name="New", hosts="new.reseller.test", languages=["ru"], require_2fa="")
    )
    assert response.status_code == 302
    portal.refresh_from_db()
    assert portal.brand_name == "New"
    assert portal.host_names == ["new.reseller.test"]
    assert portal.languages == ["ru"]


def test_edit_keeps_and_clears_the_logo(ap_client: Client, tenant: Tenant) -> None:
    ap_client.post(CREATE, _data(tenant.reseller.pk, logo=_png()))
    portal = Portal.objects.get(brand_name="Reseller SMS")
    url = reverse("adminpanel:portal_edit", args=[portal.pk])
    ap_client.post(url, _edit_data(portal, brand_name="Kept"))
    portal.refresh_from_db()
    assert portal.brand_name == "Kept"
    assert portal.logo
    ap_client.post(url, _edit_data(portal, **{"logo-clear": "on"}))
    portal.refresh_from_db()
    assert not portal.logo


def test_bad_colour_on_edit_changes_nothing(owner_client: Client, tenant: Tenant) -> None:
    url = reverse("adminpanel:portal_edit", args=[tenant.portal.pk])
    response = owner_client.post(url, _edit_data(tenant.portal, brand_name="Changed", primary_color="blue"))
    assert response.status_code == 400
    tenant.portal.refresh_from_db()
    assert tenant.portal.brand_name == "Alpha Brand"


def test_host_taken_on_edit_changes_nothing(owner_client: Client, tenant: Tenant, tenant_b: Tenant) -> None:
    url = reverse("adminpanel:portal_edit", args=[tenant.portal.pk])
    response = owner_client.post(url, _edit_data(tenant.portal, brand_name="Changed", hosts="testserver\nb.testserver"))
    assert response.status_code == 400
    assert "b.testserver" in str(response.context["form"].errors["hosts"])
    tenant.portal.refresh_from_db()
    assert tenant.portal.brand_name == "Alpha Brand"
    assert tenant.portal.host_names == ["testserver"]
    assert tenant_b.portal.host_names == ["b.testserver"]


def test_removing_the_host_you_are_on_is_refused(owner_client: Client, tenant: Tenant) -> None:
    url = reverse("adminpanel:portal_edit", args=[tenant.portal.pk])
    response = owner_client.post(url, _edit_data(tenant.portal, hosts="elsewhere.alpha.test"))
    assert response.status_code == 400
    assert "testserver" in str(response.context["form"].errors["hosts"])
    assert tenant.portal.host_names == ["testserver"]


def test_switching_2fa_on_emails_secrets(
    owner_client: Client, tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    url = reverse("adminpanel:portal_edit", args=[tenant.portal.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(url, _edit_data(tenant.portal, require_2fa="on"))
    assert response.status_code == 302
    assert {address for message in mail.outbox for address in message.to} == {
        "owner@alpha.test",
        "reseller@alpha.test",
        "user@alpha.test",
    }


def test_reseller_cannot_edit_its_parents_portal(ap_client: Client, tenant: Tenant, sibling: Sibling) -> None:
    for portal in (tenant.portal, sibling.portal):
        url = reverse("adminpanel:portal_edit", args=[portal.pk])
        assert ap_client.get(url).status_code == 404
        assert ap_client.post(url, _edit_data(portal, brand_name="Hijacked")).status_code == 404
    assert not Portal.objects.filter(brand_name="Hijacked").exists()

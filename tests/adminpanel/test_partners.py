from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tenancy.models import Partner
from tests.factories import Sibling, Tenant, make_partner

LIST = reverse("adminpanel:partner_list")
CREATE = reverse("adminpanel:partner_create")


def _names(client: Client, query: str = "") -> set[str]:
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    return {partner.name for partner in response.context["object_list"]}


def _create_data(parent: Partner, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "parent": parent.pk,
        "kind": Partner.Kind.END_USER,
        "name": "Acme Ltd",
        "premoderate_campaigns": "on",
        "mo_enabled": "on",
        "allowed_channels": ["sms", "viber"],
        "credit_limit": "150.50",
        "currency": "usd",
        "support_email": "help@acme.test",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _options(partner: Partner, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": partner.name,
        "allowed_channels": partner.allowed_channels,
        "credit_limit": str(partner.credit_limit),
        "currency": partner.currency,
        "support_email": partner.support_email,
    }
    data.update(changes)
    return data


# List ----------------------------------------------------------------------------------------------------------


def test_reseller_sees_only_partners_below_it(
    ap_client: Client, tenant: Tenant, tenant_b: Tenant, sibling: Sibling
) -> None:
    child = make_partner(tenant.reseller, Partner.Kind.RESELLER, name="Sub Reseller")
    make_partner(child, name="Grandchild Company")
    names = _names(ap_client)
    assert names == {"Alpha Company", "Sub Reseller", "Grandchild Company"}
    # not itself, its parent, a sibling reseller's tree or another tenant
    assert not names & {"Alpha Reseller", "Alpha Owner", "Sibling Reseller", "Sibling Company", "Beta Company"}


def test_owner_sees_the_whole_tree_below_it(owner_client: Client, tenant: Tenant, sibling: Sibling) -> None:
    assert _names(owner_client) == {"Alpha Reseller", "Alpha Company", "Sibling Reseller", "Sibling Company"}


def test_list_shows_parent_kind_currency_balance_and_date(owner_client: Client, tenant: Tenant) -> None:
    Partner.objects.filter(pk=tenant.end_user.pk).update(balance=Decimal("12.345"), currency="USD")
    owner_client.force_login(tenant.owner_user)
    tenant.owner_user.date_format = "DD.MM.YYYY"
    tenant.owner_user.save()
    response = owner_client.get(LIST)
    row = next(p for p in response.context["object_list"] if p.pk == tenant.end_user.pk)
    assert row.parent_name == "Alpha Reseller"
    html = response.content.decode()
    assert "12.35" in html
    assert "USD" in html
    assert tenant.end_user.created_at.strftime("%d.%m.%Y") in html
    assert "End User" in html


def test_filters_by_kind_status_and_name(owner_client: Client, tenant: Tenant, sibling: Sibling) -> None:
    Partner.objects.filter(pk=sibling.end_user.pk).update(is_active=False)
    assert _names(owner_client, "kind=reseller") == {"Alpha Reseller", "Sibling Reseller"}
    assert _names(owner_client, "status=disabled") == {"Sibling Company"}
    assert _names(owner_client, "status=active&kind=end_user") == {"Alpha Company"}
    assert _names(owner_client, "q=sibl") == {"Sibling Reseller", "Sibling Company"}
    # an unknown filter value is ignored rather than failing the page
    assert len(_names(owner_client, "kind=bogus&per_page=7")) == 4


def test_pagination_20_50_100(owner_client: Client, tenant: Tenant) -> None:
    for number in range(60):
        make_partner(tenant.reseller, name=f"Bulk {number:02}")
    first = owner_client.get(LIST)
    assert len(first.context["object_list"]) == 20
    assert first.context["paginator"].count == 62
    assert len(owner_client.get(f"{LIST}?per_page=50").context["object_list"]) == 50
    assert len(owner_client.get(f"{LIST}?per_page=100").context["object_list"]) == 62
    last = owner_client.get(f"{LIST}?per_page=50&page=9")  # out of range: last page, not an error
    assert last.status_code == 200
    assert len(last.context["object_list"]) == 12
    assert "per_page=50&amp;page=1" in last.content.decode()


def test_list_does_not_query_per_row(owner_client: Client, tenant: Tenant, django_assert_max_num_queries: Any) -> None:
    owner_client.get(LIST)  # warm up session and caches
    for number in range(40):
        make_partner(tenant.reseller, name=f"Bulk {number:02}")
    with django_assert_max_num_queries(10):
        response = owner_client.get(f"{LIST}?per_page=50")
    assert len(response.context["object_list"]) == 42


# Create --------------------------------------------------------------------------------------------------------


def test_reseller_creates_end_user_below_itself(ap_client: Client, tenant: Tenant) -> None:
    response = ap_client.post(CREATE, _create_data(tenant.reseller))
    assert response.status_code == 302
    partner = Partner.objects.get(name="Acme Ltd")
    assert Partner.objects.get_parent(partner) == tenant.reseller
    assert partner.kind == Partner.Kind.END_USER
    assert partner.premoderate_campaigns and partner.mo_enabled
    assert not partner.premoderate_templates and not partner.flash_enabled
    assert partner.allowed_channels == ["sms", "viber"]
    assert partner.credit_limit == Decimal("150.50")
    assert partner.currency == "USD"
    assert partner.support_email == "help@acme.test"


def test_owner_creates_reseller_under_a_reseller_below_it(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post(CREATE, _create_data(tenant.reseller, kind=Partner.Kind.RESELLER, name="Sub"))
    assert response.status_code == 302
    partner = Partner.objects.get(name="Sub")
    assert partner.kind == Partner.Kind.RESELLER
    assert Partner.objects.get_parent(partner) == tenant.reseller


def test_parent_choices_are_own_partner_and_managers_below(
    owner_client: Client, tenant: Tenant, tenant_b: Tenant, sibling: Sibling
) -> None:
    form = owner_client.get(CREATE).context["form"]
    assert set(form.fields["parent"].queryset) == {tenant.owner, tenant.reseller, sibling.reseller}


@pytest.mark.parametrize("parent_attr", ["owner", "end_user"])
def test_reseller_cannot_create_under_its_parent_or_an_end_user(
    ap_client: Client, tenant: Tenant, parent_attr: str
) -> None:
    before = Partner.objects.count()
    response = ap_client.post(CREATE, _create_data(getattr(tenant, parent_attr)))
    assert response.status_code == 400
    assert response.context["form"].errors["parent"]
    assert Partner.objects.count() == before


def test_reseller_cannot_create_under_another_tenant(ap_client: Client, tenant: Tenant, tenant_b: Tenant) -> None:
    before = Partner.objects.count()
    response = ap_client.post(CREATE, _create_data(tenant_b.reseller))
    assert response.status_code == 400
    assert Partner.objects.count() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"currency": "EURO"}, "currency"),
        ({"currency": "E1"}, "currency"),
        ({"credit_limit": "-5"}, "credit_limit"),
        ({"credit_limit": "lots"}, "credit_limit"),
        ({"allowed_channels": None}, "allowed_channels"),
        ({"allowed_channels": ["fax"]}, "allowed_channels"),
        ({"kind": Partner.Kind.OWNER}, "kind"),
        ({"name": ""}, "name"),
        ({"support_email": "not-an-address"}, "support_email"),
    ],
)
def test_bad_input_shows_an_error_and_creates_nothing(
    ap_client: Client, tenant: Tenant, changes: dict[str, Any], field: str
) -> None:
    before = Partner.objects.count()
    response = ap_client.post(CREATE, _create_data(tenant.reseller, **changes))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert 'class="invalid-feedback' in response.content.decode()
    assert Partner.objects.count() == before


def test_channels_are_limited_to_the_parents(ap_client: Client, tenant: Tenant) -> None:
    Partner.objects.filter(pk=tenant.reseller.pk).update(allowed_channels=["sms"])
    response = ap_client.post(CREATE, _create_data(tenant.reseller, allowed_channels=["sms", "whatsapp"]))
    assert response.status_code == 400
    assert "WhatsApp" in str(response.context["form"].errors["allowed_channels"])
    assert not Partner.objects.filter(name="Acme Ltd").exists()


# Edit ----------------------------------------------------------------------------------------------------------


def test_edit_options(ap_client: Client, tenant: Tenant) -> None:
    url = reverse("adminpanel:partner_edit", args=[tenant.end_user.pk])
    data = _options(tenant.end_user, name="Renamed", flash_enabled="on", allowed_channels=["whatsapp"], currency="gbp")
    response = ap_client.post(url, data)
    assert response.status_code == 302
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.name == "Renamed"
    assert tenant.end_user.flash_enabled
    assert not tenant.end_user.mo_enabled
    assert tenant.end_user.allowed_channels == ["whatsapp"]
    assert tenant.end_user.currency == "GBP"


def test_edit_with_bad_currency_changes_nothing(ap_client: Client, tenant: Tenant) -> None:
    url = reverse("adminpanel:partner_edit", args=[tenant.end_user.pk])
    response = ap_client.post(url, _options(tenant.end_user, name="Renamed", currency="xx1"))
    assert response.status_code == 400
    assert response.context["form"].errors["currency"]
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.name == "Alpha Company"
    assert tenant.end_user.currency == "EUR"


def test_own_options_are_read_only(ap_client: Client, tenant: Tenant) -> None:
    url = reverse("adminpanel:partner_edit", args=[tenant.reseller.pk])
    page = ap_client.get(url)
    assert page.status_code == 200
    assert page.context["read_only"]
    response = ap_client.post(url, _options(tenant.reseller, name="Mine now", credit_limit="99999"))
    assert response.status_code == 400
    assert "set by the partner above you" in str(response.context["form"].non_field_errors())
    tenant.reseller.refresh_from_db()
    assert tenant.reseller.name == "Alpha Reseller"
    assert tenant.reseller.credit_limit == 0


def test_reseller_cannot_edit_its_parent_or_sibling(ap_client: Client, tenant: Tenant, sibling: Sibling) -> None:
    for partner in (tenant.owner, sibling.reseller, sibling.end_user):
        url = reverse("adminpanel:partner_edit", args=[partner.pk])
        assert ap_client.get(url).status_code == 404
        assert ap_client.post(url, _options(partner, name="Hijacked")).status_code == 404
    assert not Partner.objects.filter(name="Hijacked").exists()


# Disable / enable ----------------------------------------------------------------------------------------------


def test_disable_and_enable(ap_client: Client, tenant: Tenant) -> None:
    response = ap_client.post(reverse("adminpanel:partner_disable", args=[tenant.end_user.pk]), {"next": f"{LIST}?q=a"})
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?q=a"
    tenant.end_user.refresh_from_db()
    assert not tenant.end_user.is_active
    # its users can no longer work
    end_user_client = Client()
    end_user_client.force_login(tenant.end_user_user)
    assert end_user_client.get(reverse("portal:dashboard")).status_code == 302

    ap_client.post(reverse("adminpanel:partner_enable", args=[tenant.end_user.pk]))
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.is_active


def test_disable_is_post_only(ap_client: Client, tenant: Tenant) -> None:
    assert ap_client.get(reverse("adminpanel:partner_disable", args=[tenant.end_user.pk])).status_code == 405
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.is_active


def test_disabling_own_partner_is_refused(ap_client: Client, tenant: Tenant) -> None:
    response = ap_client.post(reverse("adminpanel:partner_disable", args=[tenant.reseller.pk]), follow=True)
    assert response.status_code == 200
    assert "You cannot disable your own partner." in response.content.decode()
    tenant.reseller.refresh_from_db()
    assert tenant.reseller.is_active


def test_next_must_stay_on_site(ap_client: Client, tenant: Tenant) -> None:
    url = reverse("adminpanel:partner_disable", args=[tenant.end_user.pk])
    response = ap_client.post(url, {"next": "https://evil.example/"})
    assert response["Location"] == LIST


def test_reseller_cannot_disable_its_parent_or_sibling(ap_client: Client, tenant: Tenant, sibling: Sibling) -> None:
    for partner in (tenant.owner, sibling.reseller):
        assert ap_client.post(reverse("adminpanel:partner_disable", args=[partner.pk])).status_code == 404
    assert Partner.objects.filter(is_active=False).count() == 0


def test_create_form_starts_from_the_callers_own_settings(ap_client: Client, tenant: Tenant) -> None:
    Partner.objects.filter(pk=tenant.reseller.pk).update(currency="USD", allowed_channels=["sms", "viber"])
    form = ap_client.get(CREATE).context["form"]
    assert form["parent"].value() == tenant.reseller.pk
    assert form["currency"].value() == "USD"
    assert form["allowed_channels"].value() == ["sms", "viber"]

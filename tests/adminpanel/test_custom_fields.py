from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tenancy.models import CustomField
from tests.factories import Sibling, Tenant, make_custom_field

LIST = reverse("adminpanel:custom_field_list")
CREATE = reverse("adminpanel:custom_field_create")


def _data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "form": CustomField.Form.REGISTRATION,
        "label": "Company VAT number",
        "key": "",
        "data_type": CustomField.DataType.TEXT,
        "options": "",
        "position": "3",
    }
    data.update(changes)
    return data


def _edit_data(field: CustomField, **changes: Any) -> dict[str, Any]:
    data = {
        "form": field.form,
        "label": field.label,
        "key": field.key,
        "data_type": field.data_type,
        "options": field.options,
        "position": field.position,
    }
    if field.required:
        data["required"] = "on"
    data.update(changes)
    return data


# List ----------------------------------------------------------------------------------------------------------


def test_reseller_lists_its_own_fields_and_sees_inherited_ones_apart(
    ap_client: Client, tenant: Tenant, tenant_b: Tenant, sibling: Sibling
) -> None:
    own = make_custom_field(tenant.reseller, label="Own field")
    make_custom_field(tenant.owner, label="Owner field")
    make_custom_field(sibling.reseller, label="Sibling field")
    make_custom_field(tenant_b.reseller, label="Beta field")
    response = ap_client.get(LIST)
    assert list(response.context["object_list"]) == [own]
    assert [field.label for field in response.context["inherited"]] == ["Owner field"]
    html = response.content.decode()
    assert "Sibling field" not in html
    assert "Beta field" not in html


def test_owner_sees_fields_of_partners_below_read_only(owner_client: Client, tenant: Tenant) -> None:
    own = make_custom_field(tenant.owner, label="Owner field")
    below = make_custom_field(tenant.reseller, label="Reseller field")
    response = owner_client.get(LIST)
    assert list(response.context["object_list"]) == [own, below]
    html = response.content.decode()
    assert reverse("adminpanel:custom_field_delete", args=[own.pk]) in html
    assert reverse("adminpanel:custom_field_delete", args=[below.pk]) not in html


def test_filter_by_form(owner_client: Client, tenant: Tenant) -> None:
    make_custom_field(tenant.owner, label="On registration")
    make_custom_field(tenant.owner, label="On sender ID", form=CustomField.Form.SENDER_ID_REQUEST)
    response = owner_client.get(f"{LIST}?form=sender_id_request")
    assert [field.label for field in response.context["object_list"]] == ["On sender ID"]


def test_list_does_not_query_per_row(owner_client: Client, tenant: Tenant, django_assert_max_num_queries: Any) -> None:
    owner_client.get(LIST)
    for _number in range(15):
        make_custom_field(tenant.owner)
        make_custom_field(tenant.reseller)
    with django_assert_max_num_queries(10):
        response = owner_client.get(f"{LIST}?per_page=50")
    assert len(response.context["object_list"]) == 30


# Create --------------------------------------------------------------------------------------------------------


def test_create_derives_the_key_from_the_label(ap_client: Client, tenant: Tenant) -> None:
    assert ap_client.post(CREATE, _data(required="on")).status_code == 302
    assert ap_client.post(CREATE, _data()).status_code == 302
    fields = list(CustomField.objects.for_partner(tenant.reseller).order_by("pk"))
    assert [field.key for field in fields] == ["company_vat_number", "company_vat_number_2"]
    assert fields[0].required and not fields[1].required
    assert fields[0].position == 3


def test_owner_field_appears_on_the_portal_sign_up_form(owner_client: Client, tenant: Tenant, client: Client) -> None:
    response = owner_client.post(CREATE, _data(label="Industry", data_type="list", options="Retail\nBanking\n"))
    assert response.status_code == 302
    field = CustomField.objects.get(label="Industry")
    assert field.partner == tenant.owner
    assert field.option_list == ["Retail", "Banking"]
    sign_up = client.get("/sign-up").content.decode()
    assert "Industry" in sign_up
    assert "Banking" in sign_up


def test_key_from_a_non_latin_label_falls_back(ap_client: Client, tenant: Tenant) -> None:
    assert ap_client.post(CREATE, _data(label="Город")).status_code == 302
    assert CustomField.objects.get(label="Город").key == "field"


def test_new_field_is_placed_last(ap_client: Client, tenant: Tenant) -> None:
    make_custom_field(tenant.reseller, position=7)
    assert ap_client.get(CREATE).context["form"].initial["position"] == 8


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"label": ""}, "label"),
        ({"key": "has spaces"}, "key"),
        ({"key": "taken"}, "key"),
        ({"data_type": "list", "options": "  \n "}, "options"),
        ({"data_type": "colour"}, "data_type"),
        ({"form": "contact"}, "form"),
        ({"position": "-1"}, "position"),
    ],
)
def test_bad_input_creates_nothing(ap_client: Client, tenant: Tenant, changes: dict[str, Any], field: str) -> None:
    make_custom_field(tenant.reseller, key="taken")
    response = ap_client.post(CREATE, _data(**changes))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert CustomField.objects.count() == 1


def test_same_key_on_another_form_or_partner_is_fine(ap_client: Client, tenant: Tenant) -> None:
    make_custom_field(tenant.reseller, key="vat", form=CustomField.Form.SENDER_ID_REQUEST)
    make_custom_field(tenant.owner, key="vat")
    assert ap_client.post(CREATE, _data(key="vat")).status_code == 302


# Edit / delete -------------------------------------------------------------------------------------------------


def test_edit_own_field(ap_client: Client, tenant: Tenant) -> None:
    field = make_custom_field(tenant.reseller, label="Old", key="old")
    url = reverse("adminpanel:custom_field_edit", args=[field.pk])
    response = ap_client.post(url, _edit_data(field, label="New", required="on", position="9"))
    assert response.status_code == 302
    field.refresh_from_db()
    assert (field.label, field.key, field.required, field.position) == ("New", "old", True, 9)


def test_editing_keeps_its_own_key_free(ap_client: Client, tenant: Tenant) -> None:
    field = make_custom_field(tenant.reseller, label="Same", key="same")
    url = reverse("adminpanel:custom_field_edit", args=[field.pk])
    assert ap_client.post(url, _edit_data(field, label="Same again")).status_code == 302


def test_field_of_a_partner_below_is_read_only(owner_client: Client, tenant: Tenant) -> None:
    field = make_custom_field(tenant.reseller, label="Reseller field")
    url = reverse("adminpanel:custom_field_edit", args=[field.pk])
    page = owner_client.get(url)
    assert page.status_code == 200
    assert page.context["read_only"]
    assert "only that partner can change it" in page.content.decode()
    response = owner_client.post(url, _edit_data(field, label="Overwritten"))
    assert response.status_code == 400
    assert "your own form fields" in str(response.context["form"].non_field_errors())
    field.refresh_from_db()
    assert field.label == "Reseller field"


def test_delete_own_field(ap_client: Client, tenant: Tenant) -> None:
    field = make_custom_field(tenant.reseller)
    url = reverse("adminpanel:custom_field_delete", args=[field.pk])
    assert ap_client.get(url).status_code == 200
    response = ap_client.post(url)
    assert response.status_code == 302
    assert not CustomField.objects.filter(pk=field.pk).exists()


def test_deleting_a_field_of_a_partner_below_is_refused(owner_client: Client, tenant: Tenant) -> None:
    field = make_custom_field(tenant.reseller)
    response = owner_client.post(reverse("adminpanel:custom_field_delete", args=[field.pk]), follow=True)
    assert "your own form fields" in response.content.decode()
    assert CustomField.objects.filter(pk=field.pk).exists()


def test_reseller_cannot_reach_fields_above_or_beside_it(ap_client: Client, tenant: Tenant, sibling: Sibling) -> None:
    for field in (make_custom_field(tenant.owner), make_custom_field(sibling.reseller)):
        for name in ("custom_field_edit", "custom_field_delete"):
            url = reverse(f"adminpanel:{name}", args=[field.pk])
            assert ap_client.get(url).status_code == 404
            assert ap_client.post(url, _edit_data(field, label="Hijacked")).status_code == 404
    assert CustomField.objects.count() == 2
    assert not CustomField.objects.filter(label="Hijacked").exists()

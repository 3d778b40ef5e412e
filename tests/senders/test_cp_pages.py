"""The Campaign Portal's Sender IDs page: list, request form, details, actions and document downloads."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from senders.models import SenderID, SenderIDDocument, SenderIDRequest
from tenancy import approvals
from tenancy.models import ApprovalRequest, Channel, CustomField
from tests.conftest import signed_in
from tests.factories import (
    Sibling,
    Tenant,
    approve_sender_request,
    make_custom_field,
    make_sender_id,
    make_sender_request,
    pdf_upload,
    png_upload,
)
from tests.senders.conftest import stored_files

LIST = reverse("senders:list")
REQUEST = reverse("senders:request")


def _form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"value": "SkyPro", "channel": Channel.SMS, "comment": "Our trading name"}
    data.update(changes)
    return data


# List ----------------------------------------------------------------------------------------------------------


def test_list_shows_own_sender_ids_with_status_expiry_and_request_status(
    cp_client: Client, tenant: Tenant, tenant_b: Tenant
) -> None:
    enabled = make_sender_id(tenant.end_user, value="Live", validity_months=12)
    make_sender_request(tenant.end_user, value="Asked", channel=Channel.VIBER)
    make_sender_id(tenant_b.end_user, value="Foreign")
    response = cp_client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert {sender.value for sender in response.context["object_list"]} == {"Live", "Asked"}
    assert "Foreign" not in html
    assert enabled.days_to_expiry is not None and enabled.days_to_expiry >= 365
    assert 'data-testid="days-left">36' in html
    assert ">confirmed<" in html and ">new<" in html
    assert reverse("senders:unsubscribe", args=[enabled.pk]) in html
    assert reverse("senders:cancel", args=[SenderID.objects.get(value="Asked").pk]) in html


def test_list_filters_by_channel(cp_client: Client, tenant: Tenant) -> None:
    make_sender_id(tenant.end_user, value="TextMe")
    make_sender_id(tenant.end_user, value="ViberMe", channel=Channel.VIBER)
    response = cp_client.get(f"{LIST}?channel=viber")
    assert [sender.value for sender in response.context["object_list"]] == ["ViberMe"]


def test_list_does_not_query_per_row(cp_client: Client, tenant: Tenant, django_assert_max_num_queries: Any) -> None:
    cp_client.get(LIST)
    for number in range(12):
        sender_request = make_sender_request(tenant.end_user, value=f"Sender{number}")
        if number % 2:
            approve_sender_request(sender_request)
    with django_assert_max_num_queries(10):
        response = cp_client.get(LIST)
    assert len(response.context["object_list"]) == 12


def test_the_menu_and_the_dashboard_lead_to_sender_ids(cp_client: Client) -> None:
    html = cp_client.get(reverse("portal:dashboard")).content.decode()
    assert f'href="{LIST}" data-testid="add-sender-id"' in html
    assert f'href="{LIST}"><i class="bi bi-person-badge"></i> Sender IDs' in html
    assert f'nav-link active" href="{LIST}"' in cp_client.get(LIST).content.decode()


def test_admin_panel_users_are_sent_to_their_side(ap_client: Client) -> None:
    response = ap_client.get(LIST)
    assert response.status_code == 302 and response["Location"] == reverse("adminpanel:home")


# Request form --------------------------------------------------------------------------------------------------


def test_request_an_sms_sender_id_with_documents(cp_client: Client, tenant: Tenant) -> None:
    response = cp_client.post(REQUEST, _form(documents=[pdf_upload("a.pdf"), pdf_upload("b.pdf")]))
    assert response.status_code == 302 and response["Location"] == LIST
    sender_request = SenderIDRequest.objects.get()
    assert (sender_request.value, sender_request.channel, sender_request.comment) == (
        "SkyPro",
        Channel.SMS,
        "Our trading name",
    )
    assert sender_request.requested_by == tenant.end_user_user
    assert [document.name for document in sender_request.documents.all()] == ["a.pdf", "b.pdf"]
    assert sender_request.approval.current_partner == tenant.reseller
    assert "is sent to your partner for approval" in cp_client.get(LIST).content.decode()


def test_whatsapp_fields_are_hidden_until_whatsapp_is_chosen(cp_client: Client) -> None:
    html = cp_client.get(REQUEST).content.decode()
    assert 'id="whatsapp-fields" class="border rounded p-3 mb-3" hidden' in html
    assert 'data-whatsapp-toggle="whatsapp-fields"' in html
    assert "js/senders.js" in html
    html = cp_client.get(f"{REQUEST}?channel=whatsapp").content.decode()
    assert 'id="whatsapp-fields" class="border rounded p-3 mb-3" data-testid' in html


def test_whatsapp_request_needs_its_profile(cp_client: Client, tenant: Tenant) -> None:
    response = cp_client.post(REQUEST, _form(channel=Channel.WHATSAPP))
    assert response.status_code == 400
    assert "Enter the Facebook Business Manager ID." in response.content.decode()
    assert "Enter the phone number for WhatsApp." in response.content.decode()
    assert not SenderIDRequest.objects.exists()

    response = cp_client.post(
        REQUEST,
        _form(
            channel=Channel.WHATSAPP,
            value="Sky Pro",
            fb_business_manager_id="123456789012",
            wa_phone="+44 7700 900123",
            wa_logo=png_upload(),
            wa_description="Flights and tours",
            wa_address="1 High Street",
            wa_email="hello@sky.example",
            wa_website="sky.example",
        ),
    )
    assert response.status_code == 302, response.content.decode()
    sender_request = SenderIDRequest.objects.get()
    assert sender_request.wa_phone == "447700900123"
    assert sender_request.wa_website == "https://sky.example"
    detail = cp_client.get(reverse("senders:detail", args=[sender_request.sender_id])).content.decode()
    assert "Flights and tours" in detail and "+447700900123" in detail
    logo = cp_client.get(reverse("senders:logo", args=[sender_request.pk]))
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"


def test_whatsapp_fields_are_ignored_for_sms(cp_client: Client) -> None:
    response = cp_client.post(REQUEST, _form(fb_business_manager_id="junk", wa_phone="junk"))
    assert response.status_code == 302
    sender_request = SenderIDRequest.objects.get()
    assert (sender_request.fb_business_manager_id, sender_request.wa_phone) == ("", "")


def test_only_allowed_channels_are_offered(cp_client: Client, tenant: Tenant) -> None:
    tenant.end_user.allowed_channels = [Channel.SMS, Channel.VIBER]
    tenant.end_user.save()
    form = cp_client.get(REQUEST).context["form"]
    assert [code for code, _label in form.fields["channel"].choices] == [Channel.SMS, Channel.VIBER]
    response = cp_client.post(REQUEST, _form(channel=Channel.WHATSAPP))
    assert response.status_code == 400


def test_custom_fields_come_after_the_system_fields_and_are_saved(cp_client: Client, tenant: Tenant) -> None:
    make_custom_field(
        tenant.owner, form=CustomField.Form.SENDER_ID_REQUEST, label="Tax number", key="tax", required=True
    )
    make_custom_field(tenant.reseller, form=CustomField.Form.REGISTRATION, label="Not here", key="reg")
    html = cp_client.get(REQUEST).content.decode()
    assert "Tax number" in html and "Not here" not in html
    assert html.index('data-field="documents"') < html.index('id="whatsapp-fields"') < html.index('data-field="cf_tax"')
    response = cp_client.post(REQUEST, _form())
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    cp_client.post(REQUEST, _form(cf_tax="GB123"))
    sender_request = SenderIDRequest.objects.get()
    assert sender_request.custom_fields == {"tax": "GB123"}
    detail = cp_client.get(reverse("senders:detail", args=[sender_request.sender_id])).content.decode()
    assert "Tax number" in detail and "GB123" in detail


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("photo.pdf", b"\x89PNG\r\n\x1a\n not a pdf"), "is not a PDF document"),
        (SimpleUploadedFile("letter.txt", b"hello"), "is not a PDF document"),
        (SimpleUploadedFile("huge.pdf", b"%PDF-1.7" + b"0" * (11 * 1024 * 1024)), "is larger than 10 MB"),
    ],
    ids=["png-named-pdf", "text", "11-mb"],
)
def test_bad_uploads_are_refused_with_a_clear_message_and_nothing_stored(
    cp_client: Client, upload: SimpleUploadedFile, message: str
) -> None:
    before = stored_files()
    response = cp_client.post(REQUEST, _form(documents=[pdf_upload(), upload]))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert stored_files() == before
    assert not SenderIDRequest.objects.exists() and not SenderIDDocument.objects.exists()
    assert not ApprovalRequest.objects.exists() and not SenderID.objects.exists()


def test_duplicate_request_is_explained_on_the_form(cp_client: Client, tenant: Tenant) -> None:
    make_sender_request(tenant.end_user, value="SkyPro")
    response = cp_client.post(REQUEST, _form())
    assert response.status_code == 400
    assert "already waiting for approval" in response.content.decode()
    assert SenderIDRequest.objects.count() == 1


# Details and actions -------------------------------------------------------------------------------------------


def test_detail_shows_the_steps_and_the_decline_reason(cp_client: Client, tenant: Tenant) -> None:
    sender_request = make_sender_request(tenant.end_user, value="NoGo", documents=[pdf_upload("proof.pdf")])
    approvals.approval_decline(approval=sender_request.approval, by=tenant.reseller_user, reason="Name is taken.")
    html = cp_client.get(reverse("senders:detail", args=[sender_request.sender_id])).content.decode()
    assert "Name is taken." in html
    assert 'data-testid="decline-reason"' in html
    assert html.count('data-testid="approval-step"') == 2
    assert tenant.reseller.name in html and "proof.pdf" in html
    assert ">declined<" in html and ">Disabled<" in html


def test_detail_hides_the_partners_above_the_parent(cp_client: Client, tenant: Tenant) -> None:
    sender = make_sender_id(tenant.end_user)
    html = cp_client.get(reverse("senders:detail", args=[sender.pk])).content.decode()
    assert "Higher-level partner" in html
    assert tenant.owner.name not in html
    assert tenant.owner_user.email not in html


def test_cancel_a_waiting_request(cp_client: Client, tenant: Tenant) -> None:
    sender_request = make_sender_request(tenant.end_user)
    response = cp_client.post(reverse("senders:cancel", args=[sender_request.sender_id]), {"next": f"{LIST}?page=1"})
    assert response.status_code == 302 and response["Location"] == f"{LIST}?page=1"
    sender_request.refresh_from_db()
    assert sender_request.status == SenderIDRequest.Status.CANCELED
    html = cp_client.get(LIST).content.decode()
    assert ">canceled by user<" in html and "is canceled" in html
    response = cp_client.post(reverse("senders:cancel", args=[sender_request.sender_id]), follow=True)
    assert "There is no waiting request to cancel." in response.content.decode()


def test_unsubscribe_disables_the_sender_id(cp_client: Client, tenant: Tenant) -> None:
    sender = make_sender_id(tenant.end_user)
    response = cp_client.post(reverse("senders:unsubscribe", args=[sender.pk]), {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == LIST
    sender.refresh_from_db()
    assert sender.status == SenderID.Status.DISABLED
    html = cp_client.get(LIST).content.decode()
    assert ">unsubscribed<" in html and ">Disabled<" in html
    assert cp_client.get(reverse("senders:unsubscribe", args=[sender.pk])).status_code == 405


def test_actions_on_another_partners_sender_id_are_404(tenant: Tenant, sibling: Sibling) -> None:
    sender = make_sender_id(tenant.end_user)
    pending = make_sender_request(tenant.end_user)
    client = signed_in(sibling.end_user_user)
    assert client.post(reverse("senders:unsubscribe", args=[sender.pk])).status_code == 404
    assert client.post(reverse("senders:cancel", args=[pending.sender_id])).status_code == 404
    assert client.get(reverse("senders:detail", args=[sender.pk])).status_code == 404
    assert SenderID.objects.get(pk=sender.pk).status == SenderID.Status.ENABLED

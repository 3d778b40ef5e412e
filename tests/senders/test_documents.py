"""Documents of a request are served only to the requester (CP) and the partners above it (AP)."""

from __future__ import annotations

from django.urls import reverse

from tenancy.models import Channel
from tests.conftest import HOST_B, signed_in
from tests.factories import Sibling, Tenant, make_sender_document, make_sender_request, png_upload, whatsapp_details


def test_documents_download_for_the_requester_and_the_partners_above_only(
    tenant: Tenant, tenant_b: Tenant, sibling: Sibling
) -> None:
    document = make_sender_document(tenant.end_user)
    cp_url = reverse("senders:document", args=[document.pk])
    ap_url = reverse("adminpanel:sender_document", args=[document.pk])

    response = signed_in(tenant.end_user_user).get(cp_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content).startswith(b"%PDF-")  # type: ignore[attr-defined]
    for user in (tenant.reseller_user, tenant.owner_user):
        assert signed_in(user).get(ap_url).status_code == 200, user

    assert signed_in(sibling.end_user_user).get(cp_url).status_code == 404
    assert signed_in(sibling.reseller_user).get(ap_url).status_code == 404
    assert signed_in(tenant_b.end_user_user, HOST_B).get(cp_url).status_code == 404
    assert signed_in(tenant_b.owner_user, HOST_B).get(ap_url).status_code == 404


def test_whatsapp_logo_is_served_to_the_chain_only(tenant: Tenant, sibling: Sibling) -> None:
    sender_request = make_sender_request(
        tenant.end_user, channel=Channel.WHATSAPP, whatsapp=whatsapp_details(logo=png_upload())
    )
    cp_url = reverse("senders:logo", args=[sender_request.pk])
    ap_url = reverse("adminpanel:sender_logo", args=[sender_request.pk])
    assert signed_in(tenant.end_user_user).get(cp_url)["Content-Type"] == "image/png"
    assert signed_in(tenant.reseller_user).get(ap_url).status_code == 200
    assert signed_in(sibling.reseller_user).get(ap_url).status_code == 404
    assert signed_in(sibling.end_user_user).get(cp_url).status_code == 404


def test_a_request_without_a_logo_has_none_to_serve(tenant: Tenant) -> None:
    sender_request = make_sender_request(tenant.end_user)
    assert signed_in(tenant.end_user_user).get(reverse("senders:logo", args=[sender_request.pk])).status_code == 404

"""The Admin Panel side: Sender ID Events (queue, history, decisions) and the Sender IDs of the subtree."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.test import Client
from django.urls import reverse

from senders.models import SenderID, SenderIDRequest
from tenancy import approvals
from tenancy.models import ApprovalRequest, Channel
from tests.conftest import signed_in
from tests.factories import Sibling, Tenant, approve_sender_request, make_sender_id, make_sender_request, pdf_upload

EVENTS = reverse("adminpanel:sender_events")
SENDERS = reverse("adminpanel:sender_list")


def _detail(approval: ApprovalRequest) -> str:
    return reverse("adminpanel:approval_detail", args=[approval.pk])


def _url(name: str, approval: ApprovalRequest) -> str:
    return reverse(f"adminpanel:approval_{name}", args=[approval.pk])


def test_full_chain_through_the_admin_panel(
    ap_client: Client, owner_client: Client, cp_client: Client, tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    sender_request = make_sender_request(tenant.end_user, value="SkyPro", documents=[pdf_upload("proof.pdf")])
    approval = sender_request.approval

    response = ap_client.get(EVENTS)
    assert [row.pk for row in response.context["queue"]] == [approval.pk]
    html = response.content.decode()
    assert "SMS: SkyPro" in html and _url("forward", approval) in html
    assert owner_client.get(EVENTS).context["queue"] == []

    detail = ap_client.get(_detail(approval)).content.decode()
    assert 'data-testid="decision-panel"' in detail and 'data-testid="forward"' in detail
    assert 'data-testid="approve"' not in detail
    assert "proof.pdf" in detail and reverse("adminpanel:sender_document", args=[sender_request.documents.get().pk])

    response = ap_client.post(_url("forward", approval))
    assert response.status_code == 302 and response["Location"] == EVENTS
    assert SenderIDRequest.objects.get(pk=sender_request.pk).status == SenderIDRequest.Status.IN_PROGRESS
    assert ap_client.get(EVENTS).context["queue"] == []
    assert "The request is waiting for Alpha Owner." in ap_client.get(_detail(approval)).content.decode()

    assert [row.pk for row in owner_client.get(EVENTS).context["queue"]] == [approval.pk]
    detail = owner_client.get(_detail(approval)).content.decode()
    assert 'data-testid="approve"' in detail and 'name="validity_months"' in detail
    assert 'data-testid="forward"' not in detail
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(_url("approve", approval), {"validity_months": "3"})
    assert response.status_code == 302
    sender = SenderID.objects.get(pk=sender_request.sender_id)
    assert sender.status == SenderID.Status.ENABLED and sender.validity_months == 3
    assert [message.to for message in mail.outbox] == [[tenant.end_user_user.email]]

    row_html = cp_client.get(reverse("senders:list")).content.decode()
    assert ">Enabled<" in row_html and ">confirmed<" in row_html
    events = owner_client.get(EVENTS).content.decode()
    assert ">Approved<" in events


def test_decline_needs_a_reason_and_the_user_sees_it(
    ap_client: Client, cp_client: Client, tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    sender_request = make_sender_request(tenant.end_user, value="NoGo")
    approval = sender_request.approval
    response = ap_client.post(_url("decline", approval), {"reason": "   "}, follow=True)
    assert "Give a reason for the decline." in response.content.decode()
    assert ApprovalRequest.objects.get(pk=approval.pk).status == ApprovalRequest.Status.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        ap_client.post(_url("decline", approval), {"reason": "Send the trademark certificate."})
    sender_request.refresh_from_db()
    assert sender_request.status == SenderIDRequest.Status.DECLINED
    assert "Send the trademark certificate." in str(mail.outbox[0].body)
    html = cp_client.get(reverse("senders:detail", args=[sender_request.sender_id])).content.decode()
    assert "Send the trademark certificate." in html


def test_owner_must_pick_a_valid_period_to_confirm(owner_client: Client, tenant: Tenant) -> None:
    sender_request = make_sender_request(tenant.end_user)
    approvals.approval_forward(approval=sender_request.approval, by=tenant.reseller_user)
    response = owner_client.post(_url("approve", sender_request.approval), {"validity_months": "5"}, follow=True)
    assert "Select a valid choice" in response.content.decode()
    assert SenderID.objects.get(pk=sender_request.sender_id).status == SenderID.Status.WAITING


def test_acting_out_of_turn_is_refused(ap_client: Client, owner_client: Client, tenant: Tenant) -> None:
    sender_request = make_sender_request(tenant.end_user)
    response = owner_client.post(_url("approve", sender_request.approval), {"validity_months": "12"}, follow=True)
    assert "not waiting for you" in response.content.decode()
    response = ap_client.post(_url("approve", sender_request.approval), {"validity_months": "12"}, follow=True)
    assert "system owner takes the final decision" in response.content.decode()
    assert SenderIDRequest.objects.get(pk=sender_request.pk).status == SenderIDRequest.Status.NEW


def test_a_reseller_cannot_see_or_act_outside_its_subtree(tenant: Tenant, sibling: Sibling) -> None:
    theirs = make_sender_request(sibling.end_user, by=sibling.end_user_user, value="Theirs")
    mine = make_sender_request(tenant.end_user, value="Mine")
    client = signed_in(tenant.reseller_user)
    response = client.get(EVENTS)
    assert [row.pk for row in response.context["queue"]] == [mine.approval_id]
    assert [row.pk for row in response.context["object_list"]] == [mine.approval_id]
    assert "Theirs" not in response.content.decode()
    assert client.get(_detail(theirs.approval)).status_code == 404
    for action in ("forward", "decline", "approve"):
        assert client.post(_url(action, theirs.approval), {"reason": "x"}).status_code == 404
    assert ApprovalRequest.objects.get(pk=theirs.approval_id).current_partner == sibling.reseller
    theirs_sender = approve_sender_request(make_sender_request(sibling.end_user, value="Live")).sender
    assert "Live" not in client.get(SENDERS).content.decode()
    assert client.post(reverse("adminpanel:sender_unsubscribe", args=[theirs_sender.pk])).status_code == 404
    owner_view = signed_in(tenant.owner_user).get(EVENTS)
    assert {row.title for row in owner_view.context["object_list"]} == {"SMS: Theirs", "SMS: Mine", "SMS: Live"}


def test_events_history_filters_and_counts_queries(
    owner_client: Client, tenant: Tenant, django_assert_max_num_queries: Any
) -> None:
    owner_client.get(EVENTS)
    for number in range(10):
        sender_request = make_sender_request(tenant.end_user, value=f"Brand{number}")
        if number % 2:
            approvals.approval_forward(approval=sender_request.approval, by=tenant.reseller_user)
    with django_assert_max_num_queries(12):
        response = owner_client.get(EVENTS)
    assert len(response.context["object_list"]) == 10 and len(response.context["queue"]) == 5
    response = owner_client.get(f"{EVENTS}?q=Brand3")
    assert [row.title for row in response.context["object_list"]] == ["SMS: Brand3"]
    response = owner_client.get(f"{EVENTS}?status=approved")
    assert list(response.context["object_list"]) == []


def test_detail_page_queries_are_bounded(
    owner_client: Client, tenant: Tenant, django_assert_max_num_queries: Any
) -> None:
    sender_request = make_sender_request(tenant.end_user, documents=[pdf_upload(), pdf_upload("b.pdf")])
    approvals.approval_forward(approval=sender_request.approval, by=tenant.reseller_user)
    owner_client.get(_detail(sender_request.approval))
    with django_assert_max_num_queries(16):
        response = owner_client.get(_detail(sender_request.approval))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="document-link"') == 2


# Sender IDs of the subtree -------------------------------------------------------------------------------------


def test_sender_list_of_the_subtree_with_filters(
    ap_client: Client, tenant: Tenant, django_assert_max_num_queries: Any
) -> None:
    ap_client.get(SENDERS)
    for number in range(8):
        make_sender_id(tenant.end_user, value=f"Sms{number}")
    make_sender_id(tenant.end_user, value="Viber1", channel=Channel.VIBER)
    make_sender_request(tenant.end_user, value="Waiting1")
    with django_assert_max_num_queries(10):
        response = ap_client.get(SENDERS)
    assert len(response.context["object_list"]) == 10
    html = response.content.decode()
    assert 'data-testid="unsubscribe"' in html
    assert 'data-testid="change-period"' not in html  # only the owner changes periods
    assert [s.value for s in ap_client.get(f"{SENDERS}?channel=viber").context["object_list"]] == ["Viber1"]
    assert [s.value for s in ap_client.get(f"{SENDERS}?status=waiting").context["object_list"]] == ["Waiting1"]
    assert [s.value for s in ap_client.get(f"{SENDERS}?q=alpha+company&per_page=50").context["object_list"]][:1] == [
        "Sms0"
    ]


def test_owner_changes_the_validity_period(
    owner_client: Client, ap_client: Client, tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    sender = make_sender_id(tenant.end_user, validity_months=1)
    url = reverse("adminpanel:sender_period", args=[sender.pk])
    assert "Only the system owner" in ap_client.get(url).content.decode()
    response = ap_client.post(url, {"validity_months": "12"})
    assert response.status_code == 400 and "Only the system owner" in response.content.decode()
    assert f'href="{url}"' in owner_client.get(SENDERS).content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(url, {"validity_months": "24"})
    assert response.status_code == 302 and response["Location"] == SENDERS
    sender.refresh_from_db()
    assert sender.validity_months == 24
    assert sender.latest_request is not None
    assert sender.latest_request.status == SenderIDRequest.Status.PERIOD_CHANGED
    assert len(mail.outbox) == 1
    assert ">period changed<" in owner_client.get(SENDERS).content.decode()


def test_reseller_unsubscribes_a_partner_below(
    ap_client: Client, tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    sender = make_sender_id(tenant.end_user, value="Stop")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = ap_client.post(reverse("adminpanel:sender_unsubscribe", args=[sender.pk]), follow=True)
    assert "is unsubscribed from Stop" in response.content.decode()
    sender.refresh_from_db()
    assert sender.status == SenderID.Status.DISABLED
    assert tenant.reseller.name in str(mail.outbox[0].body)


def test_navigation_entries(ap_client: Client) -> None:
    html = ap_client.get(EVENTS).content.decode()
    assert f'nav-link active" href="{EVENTS}"' in html
    assert f'href="{SENDERS}"' in html
    assert f'nav-link active" href="{SENDERS}"' in ap_client.get(SENDERS).content.decode()


def test_end_users_are_sent_back_to_the_campaign_portal(cp_client: Client, tenant: Tenant) -> None:
    for url in (EVENTS, SENDERS):
        response = cp_client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("portal:dashboard")

"""Sender ID requests through the approval chain, and the life of an enabled sender ID."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from senders import services, tasks
from senders.models import SenderID, SenderIDDocument, SenderIDRequest, add_months
from senders.storage import PrivateFileSystemStorage
from tenancy import approvals
from tenancy.models import ApprovalRequest, ApprovalStep, Channel
from tests.factories import (
    Sibling,
    Tenant,
    approve_sender_request,
    make_sender_id,
    make_sender_request,
    pdf_upload,
    png_upload,
    whatsapp_details,
)
from tests.senders.conftest import stored_files

START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def _sender(sender_request: SenderIDRequest) -> SenderID:
    return SenderID.objects.get(pk=sender_request.sender_id)


# The approval chain --------------------------------------------------------------------------------------------


def test_request_climbs_reseller_then_owner_and_enables_the_sender_id(
    tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(START, tick=False):
        sender_request = make_sender_request(tenant.end_user, value="SkyPro", comment="Our brand")
    assert sender_request.status == SenderIDRequest.Status.NEW
    assert _sender(sender_request).status == SenderID.Status.WAITING
    assert list(approvals.approval_queue(partner=tenant.reseller, kind="sender_id")) == [sender_request.approval]
    assert not approvals.approval_queue(partner=tenant.owner).exists()

    with time_machine.travel(START + timedelta(hours=1), tick=False):
        approvals.approval_forward(approval=sender_request.approval, by=tenant.reseller_user)
    sender_request.refresh_from_db()
    assert sender_request.status == SenderIDRequest.Status.IN_PROGRESS
    assert _sender(sender_request).status == SenderID.Status.WAITING
    assert list(approvals.approval_queue(partner=tenant.owner)) == [sender_request.approval]

    with time_machine.travel(START + timedelta(days=1), tick=False), django_capture_on_commit_callbacks(execute=True):
        services.sender_request_confirm(sender_request=sender_request, by=tenant.owner_user, validity_months=6)
    sender_request.refresh_from_db()
    sender = _sender(sender_request)
    assert sender_request.status == SenderIDRequest.Status.CONFIRMED
    assert sender_request.validity_months == 6
    assert sender.status == SenderID.Status.ENABLED
    assert sender.expires_at == datetime(2026, 9, 11, 9, 0, tzinfo=UTC)
    assert sender.latest_request == sender_request
    assert [(step.action, step.partner, step.actor) for step in sender_request.approval.steps.all()] == [
        (ApprovalStep.Action.SUBMITTED, tenant.end_user, tenant.end_user_user),
        (ApprovalStep.Action.FORWARDED, tenant.reseller, tenant.reseller_user),
        (ApprovalStep.Action.APPROVED, tenant.owner, tenant.owner_user),
    ]
    assert [message.to for message in mail.outbox] == [[tenant.end_user_user.email]]
    assert "SkyPro" in mail.outbox[0].subject
    assert "2026-09-11" in str(mail.outbox[0].body)
    with time_machine.travel(START + timedelta(days=2), tick=False):
        assert services.sender_id_check(partner=tenant.end_user, channel=Channel.SMS, value="skypro") == sender


def test_a_reseller_cannot_take_the_final_decision(tenant: Tenant) -> None:
    sender_request = make_sender_request(tenant.end_user)
    with pytest.raises(ValidationError, match="system owner takes the final decision"):
        services.sender_request_confirm(sender_request=sender_request, by=tenant.reseller_user, validity_months=12)
    assert SenderIDRequest.objects.get(pk=sender_request.pk).status == SenderIDRequest.Status.NEW


def test_owner_must_choose_a_listed_validity_period(tenant: Tenant) -> None:
    sender_request = make_sender_request(tenant.end_user)
    approvals.approval_forward(approval=sender_request.approval, by=tenant.reseller_user)
    with pytest.raises(ValidationError, match="validity period"):
        services.sender_request_confirm(sender_request=sender_request, by=tenant.owner_user, validity_months=5)
    with pytest.raises(ValidationError, match="validity period"):
        approvals.approval_approve(
            approval=sender_request.approval, by=tenant.owner_user, payload={"validity_months": "x"}
        )
    assert ApprovalRequest.objects.get(pk=sender_request.approval_id).status == ApprovalRequest.Status.PENDING
    assert _sender(sender_request).status == SenderID.Status.WAITING


def test_no_expiry_when_the_owner_grants_an_unlimited_period(tenant: Tenant) -> None:
    sender = make_sender_id(tenant.end_user, validity_months=None)
    assert sender.expires_at is None and sender.days_to_expiry is None
    assert sender.status == SenderID.Status.ENABLED


def test_decline_at_the_reseller_stops_the_request_with_its_reason(
    tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    sender_request = make_sender_request(tenant.end_user, value="FakeBank")
    with django_capture_on_commit_callbacks(execute=True):
        approvals.approval_decline(
            approval=sender_request.approval, by=tenant.reseller_user, reason="The brand belongs to someone else."
        )
    sender_request.refresh_from_db()
    assert sender_request.status == SenderIDRequest.Status.DECLINED
    assert sender_request.decline_reason == "The brand belongs to someone else."
    assert _sender(sender_request).status == SenderID.Status.DISABLED
    assert not approvals.approval_queue(partner=tenant.owner).exists()
    assert len(mail.outbox) == 1
    assert "The brand belongs to someone else." in str(mail.outbox[0].body)
    with pytest.raises(ValidationError, match="not enabled"):
        services.sender_id_check(partner=tenant.end_user, channel=Channel.SMS, value="FakeBank")


def test_a_declined_sender_id_may_be_requested_again(tenant: Tenant) -> None:
    first = make_sender_request(tenant.end_user, value="Again")
    approvals.approval_decline(approval=first.approval, by=tenant.reseller_user, reason="Missing papers")
    second = make_sender_request(tenant.end_user, value="again", documents=[pdf_upload()])
    assert second.sender_id == first.sender_id
    sender = _sender(second)
    assert (sender.status, sender.latest_request, sender.value) == (SenderID.Status.WAITING, second, "again")
    assert sender.requests.count() == 2


def test_reseller_outside_the_chain_cannot_act(tenant: Tenant, sibling: Sibling) -> None:
    sender_request = make_sender_request(tenant.end_user)
    for user in (sibling.reseller_user, tenant.owner_user):
        with pytest.raises(ValidationError, match="not waiting for you"):
            approvals.approval_forward(approval=sender_request.approval, by=user)
        with pytest.raises(ValidationError, match="not waiting for you"):
            approvals.approval_decline(approval=sender_request.approval, by=user, reason="no")
    assert not approvals.approval_events(partner=sibling.reseller, kind="sender_id").exists()


def test_steps_hide_partners_above_the_parent_from_the_end_user(tenant: Tenant) -> None:
    sender_request = approve_sender_request(make_sender_request(tenant.end_user))
    seen_by_user = approvals.approval_steps_for(approval=sender_request.approval, viewer=tenant.end_user)
    assert [step.who for step in seen_by_user] == [tenant.end_user.name, tenant.reseller.name, "Higher-level partner"]
    assert seen_by_user[0].actor == tenant.end_user_user.get_full_name()
    seen_by_owner = approvals.approval_steps_for(approval=sender_request.approval, viewer=tenant.owner)
    assert [step.who for step in seen_by_owner] == [tenant.end_user.name, tenant.reseller.name, tenant.owner.name]


# Validation ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "value"),
    [
        (Channel.SMS, "TwelveCharsX"),
        (Channel.SMS, "Bad$Name"),
        (Channel.SMS, "12"),
        (Channel.VIBER, "x" * 31),
        (Channel.SMS, "   "),
    ],
)
def test_sender_values_that_the_channel_does_not_accept(tenant: Tenant, channel: str, value: str) -> None:
    with pytest.raises(ValidationError):
        make_sender_request(tenant.end_user, value=value, channel=channel)
    assert not SenderID.objects.exists() and not ApprovalRequest.objects.exists()


def test_numeric_sms_sender_and_long_viber_name_are_accepted(tenant: Tenant) -> None:
    make_sender_request(tenant.end_user, value="+447700900123")
    make_sender_request(tenant.end_user, value="Sky Pro Travel & Tours", channel=Channel.VIBER)
    assert SenderIDRequest.objects.count() == 2


def test_one_open_request_and_no_request_for_an_enabled_sender_id(tenant: Tenant) -> None:
    make_sender_request(tenant.end_user, value="Pending")
    with pytest.raises(ValidationError, match="already waiting"):
        make_sender_request(tenant.end_user, value="PENDING")
    make_sender_id(tenant.end_user, value="Live")
    with pytest.raises(ValidationError, match="already enabled"):
        make_sender_request(tenant.end_user, value="live")
    # the same name on another channel is another sender ID
    make_sender_request(tenant.end_user, value="Live", channel=Channel.VIBER)


def test_channel_must_be_allowed_for_the_partner(tenant: Tenant) -> None:
    tenant.end_user.allowed_channels = [Channel.SMS]
    tenant.end_user.save()
    with pytest.raises(ValidationError, match="may not use Viber"):
        make_sender_request(tenant.end_user, channel=Channel.VIBER)


def test_whatsapp_needs_business_manager_id_and_phone(tenant: Tenant) -> None:
    with pytest.raises(ValidationError, match="Business Manager ID"):
        make_sender_request(tenant.end_user, channel=Channel.WHATSAPP, whatsapp=None)
    with pytest.raises(ValidationError, match="international format"):
        make_sender_request(tenant.end_user, channel=Channel.WHATSAPP, whatsapp=whatsapp_details(phone="12ab"))
    with pytest.raises(ValidationError, match="5 to 20 digits"):
        make_sender_request(
            tenant.end_user, channel=Channel.WHATSAPP, whatsapp=whatsapp_details(business_manager_id="fb-1")
        )
    with pytest.raises(ValidationError, match="PNG or JPEG"):
        make_sender_request(
            tenant.end_user,
            channel=Channel.WHATSAPP,
            whatsapp=whatsapp_details(logo=SimpleUploadedFile("logo.png", b"not an image")),
        )
    assert not SenderIDRequest.objects.exists()
    sender_request = make_sender_request(
        tenant.end_user,
        channel=Channel.WHATSAPP,
        value="Sky Pro",
        whatsapp=whatsapp_details(phone="+44 7700 900123", logo=png_upload(), website="https://sky.example"),
    )
    assert sender_request.wa_phone == "447700900123"
    assert sender_request.wa_logo.name and sender_request.wa_logo.name.endswith(".png")
    assert sender_request.wa_website == "https://sky.example"


def test_documents_are_kept_under_random_names(tenant: Tenant) -> None:
    sender_request = make_sender_request(
        tenant.end_user, documents=[pdf_upload("../../etc/Registration.PDF"), pdf_upload("letter.pdf")]
    )
    documents = list(sender_request.documents.all())
    assert [document.name for document in documents] == ["Registration.PDF", "letter.pdf"]
    for document in documents:
        assert document.file.name.startswith(f"sender-ids/{tenant.end_user.pk}/")
        assert document.file.read().startswith(b"%PDF-")


def test_the_private_storage_has_no_public_url_and_lives_outside_media_root(tmp_path: Any) -> None:
    from config import settings as production_settings

    private_root = production_settings.PRIVATE_MEDIA_ROOT
    assert not private_root.resolve().is_relative_to(production_settings.MEDIA_ROOT.resolve())
    storage = PrivateFileSystemStorage(location=str(tmp_path))
    with pytest.raises(ValueError, match="no public URL"):
        storage.url("sender-ids/1/x.pdf")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("contract.pdf", b"PK\x03\x04 a zip renamed to pdf"), "not a PDF"),
        (SimpleUploadedFile("contract.docx", b"%PDF-1.4 but named docx"), "not a PDF"),
        (SimpleUploadedFile("big.pdf", b"%PDF-1.4" + b"0" * (11 * 1024 * 1024)), "larger than 10 MB"),
    ],
    ids=["zip-as-pdf", "docx", "11-mb"],
)
def test_bad_documents_are_refused_and_nothing_is_stored(
    tenant: Tenant, upload: SimpleUploadedFile, message: str
) -> None:
    before = stored_files()
    with pytest.raises(ValidationError, match=message):
        make_sender_request(tenant.end_user, documents=[pdf_upload(), upload])
    assert stored_files() == before
    assert not SenderIDRequest.objects.exists()
    assert not SenderIDDocument.objects.exists()
    assert not ApprovalRequest.objects.exists()
    assert not SenderID.objects.exists()


# Cancel, unsubscribe, period change, expiry --------------------------------------------------------------------


def test_the_requester_cancels_a_waiting_request(tenant: Tenant) -> None:
    sender_request = make_sender_request(tenant.end_user)
    approvals.approval_forward(approval=sender_request.approval, by=tenant.reseller_user)
    services.sender_request_cancel(sender_request=sender_request, by=tenant.end_user_user)
    assert sender_request.status == SenderIDRequest.Status.CANCELED
    assert _sender(sender_request).status == SenderID.Status.DISABLED
    assert not approvals.approval_queue(partner=tenant.owner).exists()
    with pytest.raises(ValidationError, match="still waiting"):
        services.sender_request_cancel(sender_request=sender_request, by=tenant.end_user_user)


def test_a_decided_request_cannot_be_canceled(tenant: Tenant) -> None:
    sender_request = approve_sender_request(make_sender_request(tenant.end_user))
    with pytest.raises(ValidationError):
        services.sender_request_cancel(sender_request=sender_request, by=tenant.end_user_user)
    assert _sender(sender_request).status == SenderID.Status.ENABLED


def test_the_user_unsubscribes_from_an_enabled_sender_id(
    tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    sender = make_sender_id(tenant.end_user, value="Bye")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.sender_unsubscribe(sender=sender, by=tenant.end_user_user)
    sender.refresh_from_db()
    assert sender.status == SenderID.Status.DISABLED
    assert sender.latest_request is not None
    assert sender.latest_request.status == SenderIDRequest.Status.UNSUBSCRIBED
    assert mail.outbox == []  # the user did it, no need to tell them
    with pytest.raises(ValidationError, match="Only an enabled"):
        services.sender_unsubscribe(sender=sender, by=tenant.end_user_user)
    assert not services.active_sender_ids(partner=tenant.end_user, channel=Channel.SMS).exists()


def test_a_partner_above_unsubscribes_and_the_user_is_told(
    tenant: Tenant, sibling: Sibling, django_capture_on_commit_callbacks: Any
) -> None:
    sender = make_sender_id(tenant.end_user, value="Bye")
    with pytest.raises(ValidationError, match="cannot manage"):
        services.sender_unsubscribe(sender=sender, by=sibling.reseller_user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.sender_unsubscribe(sender=sender, by=tenant.owner_user)
    assert SenderID.objects.get(pk=sender.pk).status == SenderID.Status.DISABLED
    assert len(mail.outbox) == 1
    body = str(mail.outbox[0].body)
    assert "A higher-level partner has unsubscribed" in body and tenant.owner.name not in body


def test_only_the_owner_changes_the_validity_period(tenant: Tenant, django_capture_on_commit_callbacks: Any) -> None:
    with time_machine.travel(START, tick=False):
        sender = make_sender_id(tenant.end_user, validity_months=1)
    with pytest.raises(ValidationError, match="Only the system owner"):
        services.sender_period_change(sender=sender, validity_months=12, by=tenant.reseller_user)
    mail.outbox.clear()
    later = START + timedelta(days=20)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.sender_period_change(sender=sender, validity_months=12, by=tenant.owner_user)
        assert sender.days_to_expiry == 365
    assert sender.expires_at == add_months(later, 12)
    assert sender.validity_months == 12
    assert sender.status == SenderID.Status.ENABLED
    assert sender.latest_request is not None
    assert sender.latest_request.status == SenderIDRequest.Status.PERIOD_CHANGED
    assert len(mail.outbox) == 1 and "1 year" in str(mail.outbox[0].body)
    with pytest.raises(ValidationError, match="validity period"):
        services.sender_period_change(sender=sender, validity_months=7, by=tenant.owner_user)


def test_expired_sender_ids_are_disabled_by_the_periodic_task(tenant: Tenant) -> None:
    with time_machine.travel(START, tick=False):
        short = make_sender_id(tenant.end_user, value="Short", validity_months=1)
        long = make_sender_id(tenant.end_user, value="Long", validity_months=12)
        forever = make_sender_id(tenant.end_user, value="Forever", validity_months=None)
    with time_machine.travel(START + timedelta(days=30), tick=False):
        assert SenderID.objects.get(pk=short.pk).days_to_expiry == 1
        assert services.sender_expire_due() == 0
    with time_machine.travel(START + timedelta(days=31, seconds=1), tick=False):
        # past the date the sender ID stops being usable even before the sweep runs
        with pytest.raises(ValidationError, match="not enabled"):
            services.sender_id_check(partner=tenant.end_user, channel=Channel.SMS, value="Short")
        assert tasks.expire_sender_ids.delay().get() == 1
        assert services.sender_expire_due() == 0  # a second run changes nothing
    short.refresh_from_db()
    assert short.status == SenderID.Status.DISABLED
    assert short.latest_request is not None
    assert short.latest_request.status == SenderIDRequest.Status.UNSUBSCRIBED
    assert SenderID.objects.get(pk=long.pk).status == SenderID.Status.ENABLED
    assert SenderID.objects.get(pk=forever.pk).status == SenderID.Status.ENABLED


def test_active_sender_ids_and_the_check_for_sending(tenant: Tenant, tenant_b: Tenant) -> None:
    sms = make_sender_id(tenant.end_user, value="Alpha")
    make_sender_id(tenant.end_user, value="Viberish", channel=Channel.VIBER)
    make_sender_request(tenant.end_user, value="Waiting")
    make_sender_id(tenant_b.end_user, value="Beta")
    assert list(services.active_sender_ids(partner=tenant.end_user, channel=Channel.SMS)) == [sms]
    assert services.sender_id_check(partner=tenant.end_user, channel=Channel.SMS, value=" alpha ") == sms
    for channel, value in [(Channel.VIBER, "Alpha"), (Channel.SMS, "Waiting"), (Channel.SMS, "Beta")]:
        with pytest.raises(ValidationError) as caught:
            services.sender_id_check(partner=tenant.end_user, channel=channel, value=value)
        assert caught.value.code == "sender_not_enabled"
        assert f"“{value}” is not enabled for {Channel(channel).label}" in caught.value.messages[0]


def test_the_check_refuses_a_sender_id_at_once_when_disabled_or_past_its_expiry(tenant: Tenant) -> None:
    sender = make_sender_id(tenant.end_user, value="Alpha")
    checked = services.sender_id_check(partner=tenant.end_user, channel=Channel.SMS, value="ALPHA")
    assert (checked.pk, checked.value, checked.status) == (sender.pk, "Alpha", "enabled")
    assert checked.expires_at == sender.expires_at and checked.expires_at is not None
    # Past its expiry date but not yet swept: refused all the same.
    SenderID.objects.filter(pk=sender.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError):
        services.sender_id_check(partner=tenant.end_user, channel=Channel.SMS, value="Alpha")
    SenderID.objects.filter(pk=sender.pk).update(expires_at=timezone.now() + timedelta(minutes=1))
    assert services.sender_id_check(partner=tenant.end_user, channel=Channel.SMS, value="Alpha") == sender
    SenderID.objects.filter(pk=sender.pk).update(status=SenderID.Status.DISABLED)
    with pytest.raises(ValidationError):
        services.sender_id_check(partner=tenant.end_user, channel=Channel.SMS, value="Alpha")

"""Every write to sender IDs and their requests, the approval handler for them, and the checks senders rely on."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from senders.models import (
    APPROVAL_KIND,
    VALIDITY_UNLIMITED,
    VALIDITY_VALUES,
    SenderID,
    SenderIDDocument,
    SenderIDRequest,
    expiry_for,
    validity_label,
)
from senders.validators import (
    logo_extension,
    normalize_phone,
    normalize_sender_value,
    validate_business_manager_id,
    validate_documents,
    validate_sender_value,
)
from tenancy import approvals, emails
from tenancy.models import ApprovalRequest, Channel, Partner, Portal, User

EXPIRY_BATCH = 500


@dataclass(frozen=True)
class WhatsAppDetails:
    """The WhatsApp Business profile a WhatsApp sender ID request carries."""

    business_manager_id: str
    phone: str
    description: str = ""
    address: str = ""
    email: str = ""
    website: str = ""
    logo: UploadedFile | None = None


def _channel_label(channel: str) -> str:
    return str(Channel(channel).label)


def _portal_for(partner: Partner) -> Portal | None:
    """The white-label portal nearest above (or at) the partner, to brand its e-mails."""
    return Portal.objects.filter(partner__in=partner.chain()).order_by("-partner__depth", "pk").first()


def _notify(sender_request: SenderIDRequest, template: str, **context: Any) -> None:
    """E-mail the user who asked for the sender ID (after commit)."""
    user = sender_request.requested_by
    if user is None or not user.is_active:
        return
    emails.send(
        portal=_portal_for(sender_request.partner),
        to=user,
        template=template,
        context={
            "value": sender_request.value,
            "channel": _channel_label(sender_request.channel),
            "company": sender_request.partner.name,
            **context,
        },
    )


def _check_validity(validity_months: Any) -> int | None:
    """The chosen validity period in months, None for no expiry."""
    try:
        months = int(validity_months)
    except (TypeError, ValueError):
        months = -1
    if months not in VALIDITY_VALUES:
        raise ValidationError({"validity_months": _("Choose a validity period from the list.")}, code="validity")
    return None if months == VALIDITY_UNLIMITED else months


# Requests ------------------------------------------------------------------------------------------------------


def _clean_whatsapp(whatsapp: WhatsAppDetails | None) -> tuple[dict[str, Any], str | None]:
    """Model field values of the WhatsApp profile and the logo's file extension (None without a logo)."""
    if whatsapp is None:
        raise ValidationError(
            {"fb_business_manager_id": _("A WhatsApp sender ID needs the Facebook Business Manager ID.")},
            code="whatsapp",
        )
    business_manager_id = whatsapp.business_manager_id.strip()
    validate_business_manager_id(business_manager_id)
    fields = {
        "fb_business_manager_id": business_manager_id,
        "wa_phone": normalize_phone(whatsapp.phone),
        "wa_description": whatsapp.description.strip(),
        "wa_address": whatsapp.address.strip(),
        "wa_email": whatsapp.email.strip(),
        "wa_website": whatsapp.website.strip(),
    }
    return fields, logo_extension(whatsapp.logo) if whatsapp.logo else None


@transaction.atomic
def sender_request_create(
    *,
    partner: Partner,
    by: User | None,
    value: str,
    channel: str,
    comment: str = "",
    documents: Sequence[UploadedFile] = (),
    whatsapp: WhatsAppDetails | None = None,
    custom_values: dict[str, Any] | None = None,
) -> SenderIDRequest:
    """Ask the partners above ``partner`` to approve a sender ID; it waits at the parent partner."""
    value = normalize_sender_value(value)
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Choose SMS, Viber or WhatsApp.")}, code="channel")
    if channel not in partner.allowed_channels:
        raise ValidationError(
            {"channel": _("Your account may not use %(channel)s.") % {"channel": _channel_label(channel)}},
            code="channel",
        )
    validate_sender_value(channel=channel, value=value)
    validate_documents(list(documents))
    whatsapp_fields: dict[str, Any] = {}
    logo_ext = None
    if channel == Channel.WHATSAPP:
        whatsapp_fields, logo_ext = _clean_whatsapp(whatsapp)

    sender = (
        SenderID.objects.select_for_update().for_partner(partner).filter(channel=channel, value__iexact=value).first()
    )
    if sender is not None and sender.status == SenderID.Status.ENABLED:
        raise ValidationError({"value": _("This sender ID is already enabled for you.")}, code="enabled")
    if sender is not None and sender.status == SenderID.Status.WAITING:
        raise ValidationError({"value": _("This sender ID is already waiting for approval.")}, code="pending")

    approval = approvals.approval_open(
        partner=partner, by=by, kind=APPROVAL_KIND, title=f"{_channel_label(channel)}: {value}"
    )
    try:
        with transaction.atomic():
            if sender is None:
                sender = SenderID.objects.create(partner=partner, value=value, channel=channel)
            else:
                sender.value = value
            sender_request = SenderIDRequest.objects.create(
                partner=partner,
                sender=sender,
                approval=approval,
                requested_by=by,
                value=value,
                channel=channel,
                comment=comment.strip(),
                custom_fields=custom_values or {},
                **whatsapp_fields,
            )
    except IntegrityError as error:  # a concurrent request for the same sender ID won the race
        raise ValidationError(
            {"value": _("This sender ID is already waiting for approval.")}, code="pending"
        ) from error
    sender.status = SenderID.Status.WAITING
    sender.latest_request = sender_request
    sender.save(update_fields=["value", "status", "latest_request"])

    stored: list[str] = []
    try:
        # files last, once every row is in place, so a refused request stores nothing
        for upload in documents:
            document = SenderIDDocument(
                partner=partner,
                request=sender_request,
                name=os.path.basename(str(upload.name or "document.pdf"))[:200],
                size=int(upload.size or 0),
            )
            upload.seek(0)
            document.file.save("document.pdf", upload, save=False)
            stored.append(document.file.name or "")
            document.save()
        if whatsapp is not None and whatsapp.logo is not None and logo_ext:
            whatsapp.logo.seek(0)
            sender_request.wa_logo.save(f"{partner.pk}-{sender_request.pk}.{logo_ext}", whatsapp.logo, save=True)
            stored.append(sender_request.wa_logo.name or "")
    except Exception:
        storage = SenderIDDocument._meta.get_field("file").storage  # type: ignore[union-attr]
        for name in stored:
            storage.delete(name)
        raise
    return sender_request


@transaction.atomic
def sender_request_cancel(*, sender_request: SenderIDRequest, by: User) -> SenderIDRequest:
    """The requester withdraws a request that is still waiting (request status: canceled by user)."""
    if not sender_request.is_pending:
        raise ValidationError(_("Only a request that is still waiting can be canceled."), code="not_pending")
    approvals.approval_cancel(approval=sender_request.approval, by=by)
    sender_request.refresh_from_db()
    return sender_request


@transaction.atomic
def sender_request_confirm(
    *, sender_request: SenderIDRequest, by: User, validity_months: int | None
) -> SenderIDRequest:
    """The final decision: enable the sender ID for the validity period (0 or None: no expiry)."""
    _check_validity(VALIDITY_UNLIMITED if validity_months is None else validity_months)
    approvals.approval_approve(
        approval=sender_request.approval, by=by, payload={"validity_months": validity_months or VALIDITY_UNLIMITED}
    )
    sender_request.refresh_from_db()
    return sender_request


# Sender IDs ----------------------------------------------------------------------------------------------------


def _latest_in_force(sender: SenderID) -> QuerySet[SenderIDRequest]:
    return SenderIDRequest.objects.filter(pk=sender.latest_request_id or 0, status__in=SenderIDRequest.IN_FORCE)


@transaction.atomic
def sender_unsubscribe(*, sender: SenderID, by: User) -> SenderID:
    """Stop using an enabled sender ID: by its partner, or by a partner above it in the Admin Panel."""
    if by.partner is None or not sender.partner.is_within(by.partner):
        raise ValidationError(_("You cannot manage this sender ID."), code="forbidden")
    updated = SenderID.objects.filter(pk=sender.pk, status=SenderID.Status.ENABLED).update(
        status=SenderID.Status.DISABLED
    )
    if not updated:
        raise ValidationError(_("Only an enabled sender ID can be unsubscribed."), code="not_enabled")
    _latest_in_force(sender).update(status=SenderIDRequest.Status.UNSUBSCRIBED)
    sender.refresh_from_db()
    if by.partner_id != sender.partner_id and sender.latest_request is not None:
        # name only the direct parent: a white-label portal does not reveal the partners above it
        parent_path = sender.partner.path[: -Partner.steplen]
        by_partner = by.partner.name if by.partner.path == parent_path else ""
        _notify(sender.latest_request, "sender_unsubscribed", by_partner=by_partner)
    return sender


@transaction.atomic
def sender_period_change(*, sender: SenderID, validity_months: int | None, by: User) -> SenderID:
    """The system owner sets a new validity period for an enabled sender ID, counted from today."""
    if by.partner is None or by.partner.kind != Partner.Kind.OWNER or not sender.partner.is_within(by.partner):
        raise ValidationError(_("Only the system owner changes the validity period."), code="forbidden")
    months = _check_validity(VALIDITY_UNLIMITED if validity_months is None else validity_months)
    now = timezone.now()
    updated = SenderID.objects.filter(pk=sender.pk, status=SenderID.Status.ENABLED).update(
        validity_months=months, expires_at=expiry_for(now, months)
    )
    if not updated:
        raise ValidationError(_("Only an enabled sender ID has a validity period to change."), code="not_enabled")
    _latest_in_force(sender).update(status=SenderIDRequest.Status.PERIOD_CHANGED, validity_months=months)
    sender.refresh_from_db()
    if sender.latest_request is not None:
        _notify(
            sender.latest_request,
            "sender_period_changed",
            validity=str(validity_label(months)),
            expires=sender.expires_at.date().isoformat() if sender.expires_at else "",
        )
    return sender


@transaction.atomic
def sender_expire_due(*, now: datetime | None = None) -> int:
    """Disable every enabled sender ID past its expiry date (its request becomes unsubscribed). Safe to rerun."""
    moment = now or timezone.now()
    count = 0
    while True:
        due = list(
            SenderID.objects.filter(status=SenderID.Status.ENABLED, expires_at__lte=moment)
            .order_by("pk")
            .values_list("pk", "latest_request_id")[:EXPIRY_BATCH]
        )
        if not due:
            return count
        count += SenderID.objects.filter(pk__in=[pk for pk, _req in due], status=SenderID.Status.ENABLED).update(
            status=SenderID.Status.DISABLED
        )
        SenderIDRequest.objects.filter(
            pk__in=[req for _pk, req in due if req], status__in=SenderIDRequest.IN_FORCE
        ).update(status=SenderIDRequest.Status.UNSUBSCRIBED)


# What sending relies on ----------------------------------------------------------------------------------------


def active_sender_ids(*, partner: Partner, channel: str) -> QuerySet[SenderID]:
    """The sender IDs ``partner`` may send with on ``channel`` right now."""
    return SenderID.objects.active().for_partner(partner).filter(channel=channel).order_by("value")


@functools.cache
def _enabled_sender_sql() -> str:
    """``active_sender_ids(...).filter(value__iexact=...)`` as one statement on the unique (lower(value), partner,
    channel) index: every API send checks its sender ID, and building that queryset cost a millisecond of CPU."""
    meta = SenderID._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in meta.concrete_fields)
    return (
        f"SELECT {columns} FROM {quote(meta.db_table)} WHERE LOWER(value) = LOWER(%s) AND partner_id = %s"  # noqa: S608
        " AND channel = %s AND status = %s AND (expires_at IS NULL OR expires_at > %s) LIMIT 1"
    )


def sender_id_check(*, partner: Partner, channel: str, value: str) -> SenderID:
    """The enabled sender ID ``value`` of ``partner`` on ``channel``, or a ValidationError saying why not."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [value.strip(), partner.pk, channel, SenderID.Status.ENABLED.value, now]
    sender = next(iter(SenderID.objects.raw(_enabled_sender_sql(), params)), None)
    if sender is None:
        raise ValidationError(
            _("The sender ID “%(value)s” is not enabled for %(channel)s on this account.")
            % {"value": value, "channel": _channel_label(channel) if channel in Channel.values else channel},
            code="sender_not_enabled",
        )
    return sender


# The approval handler ------------------------------------------------------------------------------------------


def _request_for(approval: ApprovalRequest) -> SenderIDRequest:
    return SenderIDRequest.objects.select_related("sender", "partner", "requested_by").get(approval=approval)


def _close(sender_request: SenderIDRequest, status: str, **changes: Any) -> bool:
    """Move a pending request to a final status and take its waiting sender ID back to disabled."""
    updated = SenderIDRequest.objects.filter(pk=sender_request.pk, status__in=SenderIDRequest.PENDING).update(
        status=status, decided_at=timezone.now(), **changes
    )
    if updated:
        SenderID.objects.filter(
            pk=sender_request.sender_id, status=SenderID.Status.WAITING, latest_request=sender_request
        ).update(status=SenderID.Status.DISABLED)
    return bool(updated)


class SenderIDApprovalHandler:
    """Maps the approval of a sender ID request onto the request and the sender ID."""

    def on_forwarded(self, approval: ApprovalRequest, *, by: User) -> None:
        SenderIDRequest.objects.filter(approval=approval, status=SenderIDRequest.Status.NEW).update(
            status=SenderIDRequest.Status.IN_PROGRESS
        )

    def on_approved(self, approval: ApprovalRequest, *, by: User, payload: dict[str, Any]) -> None:
        months = _check_validity(payload.get("validity_months", VALIDITY_UNLIMITED))
        sender_request = _request_for(approval)
        now = timezone.now()
        updated = SenderIDRequest.objects.filter(pk=sender_request.pk, status__in=SenderIDRequest.PENDING).update(
            status=SenderIDRequest.Status.CONFIRMED, validity_months=months, decided_at=now
        )
        if not updated:
            return
        expires_at = expiry_for(now, months)
        SenderID.objects.filter(pk=sender_request.sender_id).update(
            status=SenderID.Status.ENABLED,
            validity_months=months,
            enabled_at=now,
            expires_at=expires_at,
            latest_request=sender_request,
        )
        _notify(
            sender_request,
            "sender_confirmed",
            validity=str(validity_label(months)),
            expires=expires_at.date().isoformat() if expires_at else "",
        )

    def on_declined(self, approval: ApprovalRequest, *, by: User) -> None:
        sender_request = _request_for(approval)
        if _close(sender_request, SenderIDRequest.Status.DECLINED, decline_reason=approval.reason):
            _notify(sender_request, "sender_declined", reason=approval.reason)

    def on_canceled(self, approval: ApprovalRequest, *, by: User) -> None:
        _close(_request_for(approval), SenderIDRequest.Status.CANCELED)

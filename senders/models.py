"""Sender IDs of a partner, the requests that ask the partners above to approve them, and their documents."""

from __future__ import annotations

import calendar
import math
import uuid
from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from senders.storage import private_storage
from senders.validators import DOCUMENT_MAX_BYTES
from tenancy.models import ApprovalRequest, Channel, Partner, TenantQuerySet

APPROVAL_KIND = "sender_id"

# Validity periods the system owner chooses from when it confirms a request (0 = no expiry).
VALIDITY_UNLIMITED = 0
VALIDITY_CHOICES: list[tuple[int, Any]] = [
    (1, _("1 month")),
    (3, _("3 months")),
    (6, _("6 months")),
    (12, _("1 year")),
    (24, _("2 years")),
    (36, _("3 years")),
    (VALIDITY_UNLIMITED, _("No expiry")),
]
VALIDITY_VALUES = {value for value, _label in VALIDITY_CHOICES}


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` later (the last day of a shorter month)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def expiry_for(start: datetime, validity_months: int | None) -> datetime | None:
    return add_months(start, validity_months) if validity_months else None


def validity_label(validity_months: int | None) -> Any:
    return dict(VALIDITY_CHOICES).get(validity_months or VALIDITY_UNLIMITED, validity_months)


class SenderIDQuerySet(TenantQuerySet):
    def active(self, at: datetime | None = None) -> SenderIDQuerySet:
        """Enabled and not past the expiry date (the periodic sweep may not have run yet)."""
        moment = at or timezone.now()
        return self.filter(status=SenderID.Status.ENABLED).filter(  # type: ignore[return-value]
            Q(expires_at__isnull=True) | Q(expires_at__gt=moment)
        )


class SenderID(models.Model):
    """A sender name or number a partner may use on one channel once the partners above have approved it."""

    class Status(models.TextChoices):
        ENABLED = "enabled", _("Enabled")
        DISABLED = "disabled", _("Disabled")
        WAITING = "waiting", _("Waiting")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="sender_ids", verbose_name=_("partner"))
    value = models.CharField(_("sender ID"), max_length=30)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.WAITING)
    validity_months = models.PositiveSmallIntegerField(_("validity period (months)"), null=True, blank=True)
    enabled_at = models.DateTimeField(_("enabled"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    latest_request = models.ForeignKey(
        "senders.SenderIDRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("latest request"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = SenderIDQuerySet.as_manager()

    class Meta:
        verbose_name = _("sender ID")
        verbose_name_plural = _("sender IDs")
        ordering = ["value", "channel", "pk"]
        constraints = [
            models.UniqueConstraint(Lower("value"), "partner", "channel", name="sender_id_unique_per_partner_channel"),
            models.CheckConstraint(condition=~Q(value=""), name="sender_id_value_not_empty"),
            models.CheckConstraint(
                condition=Q(status__in=["enabled", "disabled", "waiting"]), name="sender_id_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["sms", "viber", "whatsapp"]), name="sender_id_channel_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "channel", "status"]),
            models.Index(fields=["status", "expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.value} ({self.get_channel_display()})"

    @property
    def days_to_expiry(self) -> int | None:
        """Whole days left (a part of a day counts as one), 0 once expired; None without an expiry date."""
        if self.expires_at is None:
            return None
        seconds = (self.expires_at - timezone.now()).total_seconds()
        return max(0, math.ceil(seconds / 86400))

    @property
    def validity_display(self) -> Any:
        return validity_label(self.validity_months) if self.status == self.Status.ENABLED else ""


class SenderIDRequest(models.Model):
    """One request for a sender ID; its approval record climbs the partner tree."""

    class Status(models.TextChoices):
        NEW = "new", _("new")
        IN_PROGRESS = "in_progress", _("in progress")
        CONFIRMED = "confirmed", _("confirmed")
        DECLINED = "declined", _("declined")
        CANCELED = "canceled", _("canceled by user")
        UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
        PERIOD_CHANGED = "period_changed", _("period changed")

    PENDING = (Status.NEW, Status.IN_PROGRESS)
    IN_FORCE = (Status.CONFIRMED, Status.PERIOD_CHANGED)

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="sender_id_requests", verbose_name=_("partner")
    )
    sender = models.ForeignKey(SenderID, on_delete=models.CASCADE, related_name="requests", verbose_name=_("sender ID"))
    approval = models.OneToOneField(
        ApprovalRequest, on_delete=models.CASCADE, related_name="sender_id_request", verbose_name=_("approval")
    )
    requested_by = models.ForeignKey(
        "tenancy.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    value = models.CharField(_("sender ID"), max_length=30)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    status = models.CharField(_("request status"), max_length=16, choices=Status.choices, default=Status.NEW)
    decline_reason = models.TextField(_("decline reason"), blank=True)
    validity_months = models.PositiveSmallIntegerField(_("validity period (months)"), null=True, blank=True)
    # WhatsApp Business profile
    fb_business_manager_id = models.CharField(_("Facebook Business Manager ID"), max_length=20, blank=True)
    wa_phone = models.CharField(_("WhatsApp phone number"), max_length=16, blank=True)
    wa_logo = models.FileField(_("company logo"), storage=private_storage, upload_to="sender-ids/logos/", blank=True)
    wa_description = models.TextField(_("business description"), blank=True, max_length=512)
    wa_address = models.CharField(_("company address"), max_length=256, blank=True)
    wa_email = models.EmailField(_("company e-mail"), blank=True)
    wa_website = models.URLField(_("company website"), blank=True)
    custom_fields = models.JSONField(_("additional fields"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("sender ID request")
        verbose_name_plural = _("sender ID requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # one open request per sender ID at a time
            models.UniqueConstraint(
                fields=["sender"], condition=Q(status__in=["new", "in_progress"]), name="sender_request_one_pending"
            ),
            models.CheckConstraint(
                condition=~Q(channel="whatsapp") | (~Q(fb_business_manager_id="") & ~Q(wa_phone="")),
                name="sender_request_whatsapp_details",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""), name="sender_request_decline_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "new",
                        "in_progress",
                        "confirmed",
                        "declined",
                        "canceled",
                        "unsubscribed",
                        "period_changed",
                    ]
                ),
                name="sender_request_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "status"]),
            models.Index(fields=["sender", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.value} ({self.get_channel_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status in self.PENDING

    @property
    def is_whatsapp(self) -> bool:
        return self.channel == Channel.WHATSAPP


def document_path(instance: SenderIDDocument, filename: str) -> str:
    """A random name: the user's file name is kept in the row, never used on disk."""
    return f"sender-ids/{instance.partner_id}/{uuid.uuid4().hex}.pdf"


class SenderIDDocument(models.Model):
    """A PDF attached to a request (registration papers, letters of authorisation)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+", verbose_name=_("partner"))
    request = models.ForeignKey(
        SenderIDRequest, on_delete=models.CASCADE, related_name="documents", verbose_name=_("request")
    )
    file = models.FileField(_("file"), storage=private_storage, upload_to=document_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size"))
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("sender ID document")
        verbose_name_plural = _("sender ID documents")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(size__lte=DOCUMENT_MAX_BYTES), name="sender_document_max_10mb"),
        ]

    def __str__(self) -> str:
        return self.name

"""The delivery engine's records: vendors and routes, messages (EDRs), campaign counters and callbacks.

A :class:`Message` is one EDR: one attempt to deliver one message on one channel (or one inbound MO).
The attempts of one logical message across the channels of a cascade share a ``transaction_id`` (the
id returned to API clients); a unique constraint keeps them to one attempt per channel.

``due_at`` is the message's timer: when something must happen to it next (dispatch of a queued
message, the end of a dispatch claim, a cascade deadline or the status wait limit of a sent message).
Every sweeper reads the one partial index on it, so a crashed worker or a restarted beat loses nothing:
the state is in these rows, not in Celery ETAs.
"""

from __future__ import annotations

import secrets
from uuid import uuid4

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import Country, Network
from tenancy.models import Channel, Partner, TenantQuerySet

ZERO_MONEY = 0


def new_token() -> str:
    return secrets.token_urlsafe(24)


class MessageStatus(models.TextChoices):
    PREPARED = "prepared", _("Prepared")
    BILLED = "billed", _("Billed")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    SEEN = "seen", _("Seen")
    UNDELIVERED = "undelivered", _("Undelivered")
    FAILED = "failed", _("Failed")


FINAL_STATUSES = frozenset(
    {MessageStatus.DELIVERED, MessageStatus.SEEN, MessageStatus.UNDELIVERED, MessageStatus.FAILED}
)
DELIVERED_STATUSES = frozenset({MessageStatus.DELIVERED, MessageStatus.SEEN})
STATUS_ORDER = [status.value for status in MessageStatus]


class Purpose(models.TextChoices):
    """What a Viber or WhatsApp message is for; it selects the billing product. SMS has none."""

    PROMOTION = "promotion", _("Promotion")
    TRANSACTION = "transaction", _("Transaction")
    MARKETING = "marketing", _("Marketing")
    UTILITY = "utility", _("Utility")
    AUTHENTICATION = "authentication", _("Authentication")


VIBER_PURPOSES = (Purpose.PROMOTION, Purpose.TRANSACTION)
WHATSAPP_PURPOSES = (Purpose.MARKETING, Purpose.UTILITY, Purpose.AUTHENTICATION)


class EdrType(models.TextChoices):
    MT = "MT", _("MT")
    MO = "MO", _("MO")


class ConnectorType(models.TextChoices):
    SIMULATOR = "simulator", _("Simulator")
    HTTP = "http", _("HTTP (JSON or query parameters)")


# Vendors and routes --------------------------------------------------------------------------------------------


class Vendor(models.Model):
    """A delivery provider of a system owner, reached through one connector."""

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="vendors", verbose_name=_("system owner")
    )
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(
        _("code"),
        max_length=50,
        unique=True,
        help_text=_("Used in the delivery report address /hooks/vendors/<code>/dlr."),
    )
    connector = models.CharField(_("connector"), max_length=16, choices=ConnectorType.choices)
    settings = models.JSONField(_("connector settings"), default=dict, blank=True)
    tps = models.PositiveIntegerField(
        _("TPS limit"), default=0, help_text=_("Messages per second to this vendor; 0 means no limit.")
    )
    dlr_token = models.CharField(_("delivery report token"), max_length=64, default=new_token)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["partner", "name"], name="vendor_name_unique_per_owner")]

    def __str__(self) -> str:
        return self.name


class Route(models.Model):
    """Which vendor carries a channel's messages to a country / network (or everywhere)."""

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="routes", verbose_name=_("system owner")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("country"),
        help_text=_("Empty: every country."),
    )
    network = models.ForeignKey(
        Network,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("network"),
        help_text=_("Empty: every network of the country."),
    )
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="routes", verbose_name=_("vendor"))
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=1, validators=[MinValueValidator(1)], help_text=_("1 is tried first.")
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("route")
        verbose_name_plural = _("routes")
        ordering = ["channel", "country__name", "network__name", "priority", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(network__isnull=True) | Q(country__isnull=False), name="route_network_needs_country"
            ),
            models.CheckConstraint(condition=Q(priority__gte=1), name="route_priority_positive"),
        ]
        indexes = [models.Index(fields=["partner", "channel", "enabled"])]

    def __str__(self) -> str:
        where = self.network or self.country or _("All countries")
        return f"{self.get_channel_display()} → {where}: {self.vendor}"


# Callbacks -----------------------------------------------------------------------------------------------------


class CallbackTarget(models.Model):
    """Where a client wants its delivery reports and MO messages POSTed, and the secret that signs them."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+", verbose_name=_("partner"))
    url = models.URLField(_("callback URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=128)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("callback target")
        verbose_name_plural = _("callback targets")
        constraints = [
            models.UniqueConstraint(fields=["partner", "url", "secret"], name="callback_target_unique"),
        ]

    def __str__(self) -> str:
        return self.url


# Messages ------------------------------------------------------------------------------------------------------


class MessageQuerySet(TenantQuerySet):
    def mt(self) -> MessageQuerySet:
        return self.filter(edr_type=EdrType.MT)  # type: ignore[return-value]


class Message(models.Model):
    """One EDR: an attempt to deliver a message on one channel (MT), or an inbound message (MO)."""

    Status = MessageStatus

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("partner")
    )
    campaign_id = models.BigIntegerField(_("campaign"), null=True, blank=True)
    label = models.CharField(_("label"), max_length=100, blank=True)
    uuid = models.UUIDField(_("message ID"), default=uuid4, editable=False)
    transaction_id = models.UUIDField(_("transaction ID"), default=uuid4)
    edr_type = models.CharField(_("EDR type"), max_length=2, choices=EdrType.choices, default=EdrType.MT)
    dialogue_id = models.UUIDField(_("dialogue ID"), null=True, blank=True)
    # Cascade: the position of this attempt and the channels still to try after it.
    step = models.PositiveSmallIntegerField(_("cascade step"), default=0)
    fallback = models.JSONField(_("next channels"), null=True, blank=True)
    fallback_at = models.DateTimeField(_("fallback deadline"), null=True, blank=True)

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    purpose = models.CharField(_("message purpose"), max_length=16, choices=Purpose.choices, blank=True)
    sender = models.CharField(_("sender ID"), max_length=30)
    recipient = models.CharField(_("recipient"), max_length=20)
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    network = models.ForeignKey(
        Network, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    mccmnc = models.CharField(_("MCCMNC"), max_length=6, blank=True)
    text = models.TextField(_("text"), blank=True)
    parts = models.PositiveSmallIntegerField(_("part amount"), default=1)
    flash = models.BooleanField(_("flash SMS"), default=False)
    validity_minutes = models.PositiveIntegerField(_("validity, minutes"), null=True, blank=True)
    image_url = models.URLField(_("image URL"), max_length=500, blank=True)
    button_caption = models.CharField(_("button caption"), max_length=30, blank=True)
    button_url = models.URLField(_("button action URL"), max_length=500, blank=True)
    template_name = models.CharField(_("template name"), max_length=200, blank=True)
    template_params = models.JSONField(_("template parameters"), default=list, blank=True)
    is_simulation = models.BooleanField(_("simulation"), default=False)
    accept_mo = models.BooleanField(_("accept MO"), default=False)
    is_reply = models.BooleanField(_("reply to MO"), default=False)
    # Answer this message's MO replies from the partner's reply templates.
    auto_reply = models.BooleanField(_("auto-reply"), default=False)

    status = models.CharField(_("status"), max_length=12, choices=MessageStatus.choices, default=MessageStatus.PREPARED)
    error_code = models.CharField(_("error code"), max_length=32, blank=True)
    error = models.CharField(_("error message"), max_length=255, blank=True)
    vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    vendor_message_id = models.CharField(_("vendor message ID"), max_length=100, blank=True)

    # What billing charged; kept to settle or refund it exactly once.
    cost = models.DecimalField(_("cost"), max_digits=14, decimal_places=5, default=ZERO_MONEY)
    rate = models.DecimalField(_("rate"), max_digits=12, decimal_places=5, default=ZERO_MONEY)
    from_pack = models.BooleanField(_("from pack"), default=False)
    billing_mode = models.CharField(_("billing mode"), max_length=16, blank=True)
    billing_entry_id = models.BigIntegerField(_("ledger transaction"), null=True, blank=True)
    subscription_id = models.BigIntegerField(_("subscription"), null=True, blank=True)

    callback_target = models.ForeignKey(
        CallbackTarget, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    claim = models.CharField(_("dispatch claim"), max_length=32, blank=True)
    due_at = models.DateTimeField(_("next check"), null=True, blank=True)
    expires_at = models.DateTimeField(_("status wait limit"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    status_at = models.DateTimeField(_("event time"), default=timezone.now)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["transaction_id", "channel"], name="message_one_attempt_per_channel"),
            models.CheckConstraint(condition=Q(parts__gte=1), name="message_parts_positive"),
        ]
        indexes = [
            models.Index(fields=["partner", "created_at"], name="message_partner_created"),
            models.Index(
                fields=["vendor", "vendor_message_id"], condition=~Q(vendor_message_id=""), name="message_vendor_ref"
            ),
            models.Index(fields=["status", "due_at"], condition=Q(due_at__isnull=False), name="message_due"),
            models.Index(
                fields=["campaign_id", "status"], condition=Q(campaign_id__isnull=False), name="message_campaign"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.recipient} {self.status}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class UnmatchedReceipt(models.Model):
    """A delivery report that arrived before its message's vendor id was recorded; matched again later."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="+", db_index=False)
    vendor_message_id = models.CharField(max_length=100)
    status = models.CharField(max_length=12, choices=MessageStatus.choices)
    error = models.CharField(max_length=255, blank=True)
    event_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["vendor", "vendor_message_id"], name="unmatched_vendor_ref"),
            models.Index(fields=["received_at"], name="unmatched_received"),
        ]

    def __str__(self) -> str:
        return f"{self.vendor_message_id}: {self.status}"


# Campaign counters and controls --------------------------------------------------------------------------------


class CampaignCounter(models.Model):
    """Messages and segments of a campaign on one channel, by current status: kept as the messages move.

    ``total_*`` count every EDR written; the per-status columns always add up to them.
    """

    campaign_id = models.BigIntegerField(_("campaign"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+", db_index=False)
    total_messages = models.IntegerField(default=0)
    total_parts = models.IntegerField(default=0)
    total_cost = models.DecimalField(max_digits=16, decimal_places=5, default=ZERO_MONEY)
    prepared_messages = models.IntegerField(default=0)
    prepared_parts = models.IntegerField(default=0)
    billed_messages = models.IntegerField(default=0)
    billed_parts = models.IntegerField(default=0)
    sent_messages = models.IntegerField(default=0)
    sent_parts = models.IntegerField(default=0)
    delivered_messages = models.IntegerField(default=0)
    delivered_parts = models.IntegerField(default=0)
    seen_messages = models.IntegerField(default=0)
    seen_parts = models.IntegerField(default=0)
    undelivered_messages = models.IntegerField(default=0)
    undelivered_parts = models.IntegerField(default=0)
    failed_messages = models.IntegerField(default=0)
    failed_parts = models.IntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign counter")
        verbose_name_plural = _("campaign counters")
        constraints = [
            models.UniqueConstraint(fields=["campaign_id", "channel"], name="campaign_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"campaign {self.campaign_id} {self.channel}"

    @property
    def final_messages(self) -> int:
        return self.delivered_messages + self.seen_messages + self.undelivered_messages + self.failed_messages

    @property
    def pending_messages(self) -> int:
        return self.prepared_messages + self.billed_messages + self.sent_messages


class CampaignDispatch(models.Model):
    """How fast a campaign's messages may go out (rateLimit per ratePeriod) and whether it is paused."""

    campaign_id = models.BigIntegerField(_("campaign"), primary_key=True)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+", db_index=False)
    rate_limit = models.PositiveIntegerField(_("rate limit"), null=True, blank=True)
    rate_period = models.PositiveIntegerField(
        _("rate period, seconds"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    paused = models.BooleanField(_("paused"), default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign dispatch settings")
        verbose_name_plural = _("campaign dispatch settings")

    def __str__(self) -> str:
        return f"campaign {self.campaign_id}"

    @property
    def rate_per_second(self) -> float | None:
        if not self.rate_limit or not self.rate_period:
            return None
        return self.rate_limit / self.rate_period


class RateBucket(models.Model):
    """A token bucket kept in the database (the embedded mode; Redis holds them otherwise)."""

    key = models.CharField(max_length=100, primary_key=True)
    tokens = models.FloatField()
    stamp = models.FloatField()

    def __str__(self) -> str:
        return self.key


class VendorStat(models.Model):
    """Per vendor and minute: messages submitted / rejected and delivery reports processed."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="stats", db_index=False)
    minute = models.DateTimeField()
    submitted = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    delivered = models.IntegerField(default=0)
    undelivered = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vendor", "minute"], name="vendor_stat_unique")]
        ordering = ["-minute"]

    def __str__(self) -> str:
        return f"{self.vendor_id} {self.minute:%Y-%m-%d %H:%M}"


# Callback deliveries -------------------------------------------------------------------------------------------


class CallbackDelivery(models.Model):
    """One JSON callback to a client (a status change or an MO), retried with backoff until it is taken."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    class Event(models.TextChoices):
        STATUS = "status", _("Status change")
        MO = "mo", _("MO message")

    target = models.ForeignKey(CallbackTarget, on_delete=models.CASCADE, related_name="deliveries")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+", db_index=False)
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    event = models.CharField(max_length=8, choices=Event.choices, default=Event.STATUS)
    payload = models.JSONField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("callback delivery")
        verbose_name_plural = _("callback deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(next_attempt_at__isnull=False), name="callback_due"),
            models.Index(fields=["partner", "created_at"], name="callback_partner_created"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.target_id} ({self.status})"


class CallbackAttempt(models.Model):
    """The delivery log: one row per HTTP attempt of a callback."""

    delivery = models.ForeignKey(CallbackDelivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"


# The built-in simulator's own state (what a real vendor keeps on its side) -----------------------------------------


class SimulatorEvent(models.Model):
    """A message the simulator accepted, and the delivery report (or MO reply) it will send back when due."""

    class Kind(models.TextChoices):
        DLR = "dlr", _("Delivery report")
        MO = "mo", _("MO reply")

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="+", db_index=False)
    client_ref = models.BigIntegerField()
    vendor_message_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=4, choices=Kind.choices, default=Kind.DLR)
    status = models.CharField(max_length=12, blank=True)
    error = models.CharField(max_length=255, blank=True)
    text = models.CharField(max_length=160, blank=True)
    sender = models.CharField(max_length=30, blank=True)
    recipient = models.CharField(max_length=20, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["vendor", "client_ref"], name="simulator_client_ref"),
            models.Index(fields=["due_at"], condition=Q(due_at__isnull=False), name="simulator_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.vendor_message_id} {self.status}"

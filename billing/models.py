"""Billing records: the E.212/E.164 reference book, packs, rate plans, subscriptions and the balance ledger.

The ledger rule (DESIGN.md §8): a partner's balance changes only in ``billing.services.ledger``, which
writes the :class:`Transaction` in the same database transaction, so the sum of a partner's
transactions always equals ``Partner.balance``.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.models import Channel, Partner, TenantQuerySet

if TYPE_CHECKING:
    from tenancy.models import User

RATE_PLACES = Decimal("0.00001")
ZERO = Decimal(0)


class BillingChannel(models.TextChoices):
    """The product a pack or plan is sold for: a delivery channel, with the message category for IM."""

    SMS = "sms", _("SMS Message")
    VIBER_PROMOTION = "viber_promotion", _("Viber Promotion")
    VIBER_TRANSACTION = "viber_transaction", _("Viber Transaction")
    WHATSAPP_MARKETING = "whatsapp_marketing", _("WhatsApp Marketing")
    WHATSAPP_UTILITY = "whatsapp_utility", _("WhatsApp Utility")
    WHATSAPP_AUTHENTICATION = "whatsapp_authentication", _("WhatsApp Authentication")

    @classmethod
    def for_delivery_channel(cls, channel: str) -> list[BillingChannel]:
        return [product for product in cls if delivery_channel(product) == channel]


def delivery_channel(product: str) -> str:
    """The delivery channel (``tenancy.models.Channel``) a billing product goes through."""
    if product.startswith("viber"):
        return Channel.VIBER.value
    if product.startswith("whatsapp"):
        return Channel.WHATSAPP.value
    return Channel.SMS.value


class BillingMode(models.TextChoices):
    BY_SUBMITTED = "submitted", _("By Submitted")
    BY_DELIVERED = "delivered", _("By Delivered")


class Audience(models.TextChoices):
    EVERYONE_BELOW = "below", _("Everyone below me")
    ASSIGNED = "assigned", _("Assigned partners only")


# Reference book ------------------------------------------------------------------------------------------------

digits_only = RegexValidator(r"^\d+$", _("Digits only."))


class SharedQuerySet(models.QuerySet):
    """The reference book is platform data that every tenant reads; only system owners edit it."""

    def visible_to(self, partner: Partner) -> SharedQuerySet:
        return self.all()


class Country(models.Model):
    iso_code = models.CharField(
        _("ISO code"), max_length=2, unique=True, validators=[RegexValidator(r"^[A-Z]{2}$", _("Two capital letters."))]
    )
    name = models.CharField(_("name"), max_length=100)
    dial_code = models.CharField(_("dial code"), max_length=4, validators=[digits_only])
    mcc = models.CharField(
        _("MCC"), max_length=3, validators=[RegexValidator(r"^\d{3}$", _("Three digits."))], db_index=True
    )

    objects = SharedQuerySet.as_manager()

    class Meta:
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Network(models.Model):
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="networks", verbose_name=_("country"))
    mcc = models.CharField(_("MCC"), max_length=3, validators=[RegexValidator(r"^\d{3}$", _("Three digits."))])
    mnc = models.CharField(_("MNC"), max_length=3, validators=[RegexValidator(r"^\d{2,3}$", _("Two or three digits."))])
    name = models.CharField(_("name"), max_length=100)
    carrier_names = models.CharField(
        _("carrier names"),
        max_length=300,
        blank=True,
        help_text=_("Names used by the phone number metadata for this network, separated by |."),
    )

    objects = SharedQuerySet.as_manager()

    class Meta:
        verbose_name = _("network")
        verbose_name_plural = _("networks")
        ordering = ["country__name", "name"]
        constraints = [models.UniqueConstraint(fields=["mcc", "mnc"], name="network_mccmnc_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def mccmnc(self) -> str:
        return f"{self.mcc}{self.mnc}"


class NumberPrefix(models.Model):
    """E.164 digits (country code included) that a network's numbers start with; the longest match wins."""

    prefix = models.CharField(_("prefix"), max_length=15, unique=True, validators=[digits_only])
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="prefixes", verbose_name=_("network"))

    class Meta:
        verbose_name = _("number prefix")
        verbose_name_plural = _("number prefixes")
        ordering = ["prefix"]

    def __str__(self) -> str:
        return f"+{self.prefix}"


# Packs and rate plans ------------------------------------------------------------------------------------------


class ValidityUnit(models.TextChoices):
    NONE = "none", _("No limit")
    DAY = "day", _("Days")
    WEEK = "week", _("Weeks")
    MONTH = "month", _("Months")
    YEAR = "year", _("Years")


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


class Pack(models.Model):
    """A number of messages for one product and country, bought once and used before plans."""

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="packs", verbose_name=_("created by partner")
    )
    name = models.CharField(_("name"), max_length=120)
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=5, validators=[MinValueValidator(ZERO)])
    channel = models.CharField(_("channel"), max_length=32, choices=BillingChannel.choices)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+", verbose_name=_("country"))
    networks = models.ManyToManyField(
        Network, blank=True, related_name="+", verbose_name=_("networks"), help_text=_("None selected: all networks.")
    )
    billing_mode = models.CharField(
        _("billing mode"), max_length=16, choices=BillingMode.choices, default=BillingMode.BY_SUBMITTED
    )
    message_count = models.PositiveIntegerField(_("number of messages"), validators=[MinValueValidator(1)])
    validity_count = models.PositiveSmallIntegerField(_("validity period"), default=1)
    validity_unit = models.CharField(
        _("validity unit"), max_length=8, choices=ValidityUnit.choices, default=ValidityUnit.MONTH
    )
    available_from = models.DateTimeField(_("available from"), null=True, blank=True)
    available_until = models.DateTimeField(_("available until"), null=True, blank=True)
    audience = models.CharField(
        _("visible to"), max_length=8, choices=Audience.choices, default=Audience.EVERYONE_BELOW
    )
    assigned_partners: models.ManyToManyField[Partner, Any] = models.ManyToManyField(
        Partner, blank=True, related_name="assigned_packs", verbose_name=_("assigned partners")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("pack")
        verbose_name_plural = _("packs")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="pack_price_non_negative"),
            models.CheckConstraint(condition=Q(message_count__gte=1), name="pack_message_count_positive"),
            models.CheckConstraint(
                condition=Q(available_from__isnull=True)
                | Q(available_until__isnull=True)
                | Q(available_until__gt=models.F("available_from")),
                name="pack_availability_window_ordered",
            ),
        ]
        indexes = [models.Index(fields=["partner", "channel", "is_active"])]

    def __str__(self) -> str:
        return self.name

    @property
    def cost_per_message(self) -> Decimal:
        return (self.price / self.message_count).quantize(RATE_PLACES)

    def expiry_from(self, start: datetime) -> datetime | None:
        """When a subscription bought at ``start`` runs out (None: it never does)."""
        count = self.validity_count
        match self.validity_unit:
            case ValidityUnit.DAY:
                return start + timedelta(days=count)
            case ValidityUnit.WEEK:
                return start + timedelta(weeks=count)
            case ValidityUnit.MONTH:
                return add_months(start, count)
            case ValidityUnit.YEAR:
                return add_months(start, 12 * count)
        return None

    def is_available_at(self, moment: datetime) -> bool:
        return (
            self.is_active
            and (self.available_from is None or self.available_from <= moment)
            and (self.available_until is None or moment < self.available_until)
        )


class RatePlan(models.Model):
    """Per country / network rates for one product; a partner holds at most one plan per product."""

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="rate_plans", verbose_name=_("created by partner")
    )
    name = models.CharField(_("name"), max_length=120)
    channel = models.CharField(_("channel"), max_length=32, choices=BillingChannel.choices)
    billing_mode = models.CharField(
        _("billing mode"), max_length=16, choices=BillingMode.choices, default=BillingMode.BY_SUBMITTED
    )
    description = models.TextField(_("description"), blank=True)
    is_reseller_plan = models.BooleanField(
        _("reseller plan"),
        default=False,
        help_text=_("Seen only by you and the resellers you assign; they build their own plans from it."),
    )
    audience = models.CharField(
        _("visible to"), max_length=8, choices=Audience.choices, default=Audience.EVERYONE_BELOW
    )
    assigned_partners: models.ManyToManyField[Partner, Any] = models.ManyToManyField(
        Partner, blank=True, related_name="assigned_rate_plans", verbose_name=_("assigned partners")
    )
    parent_plan = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="derived_plans",
        verbose_name=_("built from reseller plan"),
    )
    markup_percent = models.DecimalField(
        _("markup, %"), max_digits=7, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("rate plan")
        verbose_name_plural = _("rate plans")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "name"], name="rate_plan_name_unique_per_partner"),
            models.CheckConstraint(condition=Q(markup_percent__gte=0), name="rate_plan_markup_non_negative"),
        ]
        indexes = [models.Index(fields=["partner", "channel", "is_active"])]

    def __str__(self) -> str:
        return self.name


class RateQuerySet(models.QuerySet["Rate"]):
    def visible_to(self, partner: Partner) -> RateQuerySet:
        """Rates of plans created in the partner's subtree."""
        return self.filter(plan__partner__path__startswith=partner.path)


class Rate(models.Model):
    plan = models.ForeignKey(RatePlan, on_delete=models.CASCADE, related_name="rates", verbose_name=_("rate plan"))
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+", verbose_name=_("country"))
    network = models.ForeignKey(
        Network,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("network"),
        help_text=_("Empty: all networks of the country."),
    )
    price = models.DecimalField(
        _("cost per message"), max_digits=12, decimal_places=5, validators=[MinValueValidator(ZERO)]
    )
    end_date = models.DateField(_("end date"), null=True, blank=True, help_text=_("Empty: never expires."))

    objects = RateQuerySet.as_manager()

    class Meta:
        verbose_name = _("rate")
        verbose_name_plural = _("rates")
        ordering = ["country__name", "network__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "country", "network"],
                condition=Q(network__isnull=False),
                name="rate_unique_per_network",
            ),
            models.UniqueConstraint(
                fields=["plan", "country"], condition=Q(network__isnull=True), name="rate_unique_all_networks"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="rate_price_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.country} / {self.network or _('All networks')}: {self.price}"

    @property
    def mccmnc(self) -> str:
        return self.network.mccmnc if self.network else self.country.mcc


# Subscriptions and the ledger ----------------------------------------------------------------------------------


class Subscription(models.Model):
    """A partner's pack (messages left, expiry) or rate plan (one active plan per product)."""

    class Kind(models.TextChoices):
        PACK = "pack", _("Pack")
        PLAN = "plan", _("Rate plan")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("partner")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    pack = models.ForeignKey(
        Pack, on_delete=models.PROTECT, null=True, blank=True, related_name="subscriptions", verbose_name=_("pack")
    )
    rate_plan = models.ForeignKey(
        RatePlan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subscriptions",
        verbose_name=_("rate plan"),
    )
    channel = models.CharField(_("channel"), max_length=32, choices=BillingChannel.choices)
    billing_mode = models.CharField(_("billing mode"), max_length=16, choices=BillingMode.choices)
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("country")
    )
    messages_total = models.PositiveIntegerField(_("messages bought"), default=0)
    messages_left = models.PositiveIntegerField(_("messages left"), default=0)
    price = models.DecimalField(_("price paid"), max_digits=14, decimal_places=5, default=ZERO)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    created_by = models.ForeignKey(
        "tenancy.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("by")
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="pack") & Q(pack__isnull=False) & Q(rate_plan__isnull=True))
                | (Q(kind="plan") & Q(rate_plan__isnull=False) & Q(pack__isnull=True)),
                name="subscription_pack_xor_plan",
            ),
            models.CheckConstraint(
                condition=Q(messages_left__lte=models.F("messages_total")), name="subscription_messages_left_in_range"
            ),
            models.UniqueConstraint(
                fields=["partner", "channel"],
                condition=Q(kind="plan", status="active"),
                name="subscription_one_plan_per_channel",
            ),
        ]
        indexes = [models.Index(fields=["partner", "kind", "status", "channel"]), models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        subject = self.pack if self.kind == self.Kind.PACK else self.rate_plan
        return f"{self.partner} — {subject}"

    @property
    def subject(self) -> Pack | RatePlan | None:
        return self.pack if self.kind == self.Kind.PACK else self.rate_plan


class TransactionType(models.TextChoices):
    CAMPAIGN = "campaign", _("Campaign")
    PACK_PURCHASE = "pack_purchase", _("Pack Purchase")
    TOP_UP = "top_up", _("Balance Top Up")
    PAYMENT = "payment", _("Payment")
    API = "api", _("API")
    RERATING = "rerating", _("Rerating")
    REPLY_TO_MO = "reply_to_mo", _("Reply to MO")


# Types whose charges keep accumulating into one row per reference (a campaign, an API channel and day).
ACCUMULATING_TYPES = (TransactionType.CAMPAIGN, TransactionType.API, TransactionType.REPLY_TO_MO)
TYPES_WITH_DETAILS = (*ACCUMULATING_TYPES, TransactionType.RERATING)


class Transaction(models.Model):
    """One row of a partner's ledger: the amount (+ credit, − debit) and what it was for."""

    Type = TransactionType

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="transactions", verbose_name=_("partner")
    )
    type = models.CharField(_("operation type"), max_length=16, choices=TransactionType.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=5, default=ZERO)
    messages_from_packs = models.PositiveIntegerField(_("messages from packs"), default=0)
    channel = models.CharField(_("channel"), max_length=32, choices=BillingChannel.choices, blank=True)
    initiator = models.ForeignKey(
        "tenancy.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("initiator"),
    )
    description = models.CharField(_("description"), max_length=255, blank=True)
    reference = models.CharField(
        _("reference"),
        max_length=120,
        blank=True,
        help_text=_("What the charges are grouped by, e.g. campaign:42 or api:sms:2026-01-31:label."),
    )
    rerated = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reratings",
        verbose_name=_("rerated transaction"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "type", "reference"],
                condition=~Q(reference=""),
                name="transaction_one_per_reference",
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "created_at"]),
            models.Index(fields=["partner", "type", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_type_display()} {self.amount}"

    @property
    def has_details(self) -> bool:
        return self.type in TYPES_WITH_DETAILS


class TransactionDetail(models.Model):
    """Per MCCMNC totals of a transaction: messages, segments, rate and money."""

    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="details")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    network = models.ForeignKey(Network, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    mccmnc = models.CharField(_("MCCMNC"), max_length=6)
    from_pack = models.BooleanField(_("from pack"), default=False)
    rate_plan = models.ForeignKey(RatePlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    rate = models.DecimalField(_("rate"), max_digits=12, decimal_places=5, default=ZERO)
    quantity = models.IntegerField(_("quantity"), default=0)
    parts = models.IntegerField(_("segments"), default=0)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=5, default=ZERO)

    class Meta:
        verbose_name = _("transaction detail")
        verbose_name_plural = _("transaction details")
        ordering = ["mccmnc", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["transaction", "mccmnc", "from_pack", "rate"], name="transaction_detail_unique_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mccmnc} × {self.quantity}"


# Requests to the partner above ---------------------------------------------------------------------------------


class TopUpRequest(models.Model):
    """A balance top-up through a payment method; a manual one waits for the parent partner's confirmation."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")
        CANCELED = "canceled", _("Canceled")

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="top_ups", verbose_name=_("partner"))
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=5, validators=[MinValueValidator(Decimal("0.01"))]
    )
    method = models.CharField(_("payment method"), max_length=32)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    comment = models.TextField(_("comment"), blank=True)
    approval = models.OneToOneField(
        "tenancy.ApprovalRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="top_up"
    )
    transaction = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, null=True, blank=True, related_name="top_up"
    )
    created_by = models.ForeignKey(
        "tenancy.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("top-up request")
        verbose_name_plural = _("top-up requests")
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="top_up_amount_positive")]

    def __str__(self) -> str:
        return f"{self.partner}: {self.amount}"


class RatePlanRequest(models.Model):
    """An end user's or reseller's request for rate plans (or packs); the parent partner decides."""

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="rate_plan_requests", verbose_name=_("partner")
    )
    approval = models.OneToOneField(
        "tenancy.ApprovalRequest", on_delete=models.CASCADE, related_name="rate_plan_request"
    )
    channel = models.CharField(_("channel"), max_length=32, choices=BillingChannel.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    granted_plan = models.ForeignKey(
        RatePlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("assigned plan")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("rate plan request")
        verbose_name_plural = _("rate plan requests")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.partner}: {self.comment[:40]}"


def initiator_name(user: User | None) -> str:
    return user.email if user is not None else str(_("System"))

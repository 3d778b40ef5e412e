"""Tenants (the Partner tree), white-label Portals, Users and Form Customization fields."""

from __future__ import annotations

import zoneinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

if TYPE_CHECKING:
    from django.db.models.query import QuerySet


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    VIBER = "viber", _("Viber")
    WHATSAPP = "whatsapp", _("WhatsApp")


def all_channels() -> list[str]:
    return [choice.value for choice in Channel]


class PartnerQuerySet(MP_NodeQuerySet):
    def visible_to(self, partner: Partner) -> PartnerQuerySet:
        """The partner itself and its whole subtree."""
        return self.filter(path__startswith=partner.path)

    def below(self, partner: Partner) -> PartnerQuerySet:
        """The partner's subtree without the partner itself."""
        return self.visible_to(partner).exclude(pk=partner.pk)

    def managers(self) -> PartnerQuerySet:
        return self.filter(kind__in=[Partner.Kind.OWNER, Partner.Kind.RESELLER])


class PartnerManager(MP_NodeManager.from_queryset(PartnerQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> PartnerQuerySet:
        return PartnerQuerySet(self.model, using=self._db).order_by("path")


class Partner(MP_Node):
    """The tenant. Options are set by the parent partner."""

    class Kind(models.TextChoices):
        OWNER = "owner", _("System Owner")
        RESELLER = "reseller", _("Reseller")
        END_USER = "end_user", _("End User")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    premoderate_campaigns = models.BooleanField(_("premoderation of campaigns"), default=False)
    premoderate_templates = models.BooleanField(_("premoderation of templates"), default=False)
    mo_enabled = models.BooleanField(_("MO messages enabled"), default=False)
    flash_enabled = models.BooleanField(_("flash SMS enabled"), default=False)
    allowed_channels = models.JSONField(_("allowed channels"), default=all_channels)
    credit_limit = models.DecimalField(
        _("credit limit"), max_digits=14, decimal_places=5, default=Decimal(0), validators=[MinValueValidator(0)]
    )
    balance = models.DecimalField(_("balance"), max_digits=14, decimal_places=5, default=Decimal(0))
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default="EUR",
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Use an ISO 4217 code."))],
    )
    support_email = models.EmailField(_("support e-mail"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects: ClassVar[PartnerManager] = PartnerManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        constraints = [
            models.CheckConstraint(condition=models.Q(credit_limit__gte=0), name="partner_credit_limit_non_negative"),
        ]
        indexes = [models.Index(fields=["kind", "is_active"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_manager(self) -> bool:
        """Owners and resellers work in the Admin Panel; end users in the Campaign Portal."""
        return self.kind in (self.Kind.OWNER, self.Kind.RESELLER)

    def is_within(self, ancestor: Partner) -> bool:
        return self.path.startswith(ancestor.path)

    def chain(self) -> QuerySet[Partner]:
        """This partner and every partner above it, root first."""
        paths = [self.path[: i * self.steplen] for i in range(1, self.depth + 1)]
        return Partner.objects.filter(path__in=paths).order_by("depth")


class TenantQuerySet(models.QuerySet):
    """Scoping for every tenant-owned model (one with a ``partner`` foreign key)."""

    def for_partner(self, partner: Partner) -> TenantQuerySet:
        return self.filter(partner=partner)

    def visible_to(self, partner: Partner) -> TenantQuerySet:
        return self.filter(partner__path__startswith=partner.path)


class Portal(models.Model):
    """A white-label site run by an owner or reseller; the request host selects it."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="portals", verbose_name=_("partner"))
    brand_name = models.CharField(_("brand name"), max_length=120)
    logo = models.ImageField(_("logo"), upload_to="portal-logos/", blank=True)
    primary_color = models.CharField(
        _("primary colour"),
        max_length=7,
        default="#0d6efd",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #0d6efd."))],
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    allow_self_registration = models.BooleanField(_("allow user self-registration"), default=False)
    require_2fa = models.BooleanField(_("two-factor authentication required"), default=False)
    terms_of_service = models.TextField(_("terms of service"), blank=True)
    privacy_policy = models.TextField(_("privacy policy"), blank=True)
    consent_text = models.TextField(_("consent to process personal data"), blank=True)
    support_email = models.EmailField(_("support e-mail"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("portal")
        verbose_name_plural = _("portals")

    def __str__(self) -> str:
        return self.brand_name

    @property
    def language_codes(self) -> list[str]:
        return self.languages or [code for code, _name in settings.LANGUAGES]

    @property
    def host_names(self) -> list[str]:
        return [host.name for host in self.hosts.all()]


class PortalHost(models.Model):
    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="hosts")
    name = models.CharField(_("host name"), max_length=253, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserQuerySet(models.QuerySet):
    def for_partner(self, partner: Partner) -> UserQuerySet:
        return self.filter(partner=partner)

    def visible_to(self, partner: Partner) -> UserQuerySet:
        return self.filter(partner__path__startswith=partner.path)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class User(AbstractBaseUser, PermissionsMixin):
    class DateFormat(models.TextChoices):
        DMY_DOTS = "DD.MM.YYYY", "DD.MM.YYYY"
        DMY_SLASHES = "DD/MM/YYYY", "DD/MM/YYYY"
        MDY_SLASHES = "MM/DD/YYYY", "MM/DD/YYYY"
        ISO = "YYYY-MM-DD", "YYYY-MM-DD"

    class Theme(models.TextChoices):
        LIGHT = "light", _("Light")
        DARK = "dark", _("Dark")

    email = models.EmailField(_("e-mail"), unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="users", verbose_name=_("partner")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")
    date_format = models.CharField(_("date format"), max_length=10, choices=DateFormat.choices, default=DateFormat.ISO)
    theme = models.CharField(_("theme"), max_length=5, choices=Theme.choices, default=Theme.LIGHT)
    profile_fields = models.JSONField(_("additional fields"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    email_confirmed = models.BooleanField(_("e-mail confirmed"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(partner__isnull=False) | models.Q(is_superuser=True), name="user_has_partner"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email


class CustomField(models.Model):
    """A field an owner or reseller adds to a form of its subtree (Form Customization)."""

    class Form(models.TextChoices):
        REGISTRATION = "registration", _("Registration")
        SENDER_ID_REQUEST = "sender_id_request", _("Sender ID request")

    class DataType(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        BOOLEAN = "boolean", _("Yes / no")
        LIST = "list", _("List")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="custom_fields")
    form = models.CharField(_("form"), max_length=32, choices=Form.choices)
    label = models.CharField(_("label"), max_length=100)
    key = models.SlugField(_("key"), max_length=60)
    data_type = models.CharField(_("data type"), max_length=16, choices=DataType.choices, default=DataType.TEXT)
    options = models.TextField(_("list options"), blank=True, help_text=_("One option per line (for list fields)."))
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["partner", "form", "key"], name="custom_field_key_unique")]

    def __str__(self) -> str:
        return self.label

    @property
    def option_list(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]


class ApprovalRequest(models.Model):
    """Something a partner asks the partners above it to approve (sender ID, premoderation, rate plan).

    The request waits at ``current_partner``. In the ``chain`` route every reseller above the
    requester forwards it until the system owner decides; in the ``parent`` route the direct
    parent decides. ``tenancy.approvals`` holds the transitions; the app that owns the subject
    registers a handler for its ``kind``.
    """

    class Route(models.TextChoices):
        CHAIN = "chain", _("Up the chain to the system owner")
        PARENT = "parent", _("Direct parent")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        CANCELED = "canceled", _("Canceled")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="approval_requests")
    requested_by = models.ForeignKey("tenancy.User", on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=32)
    route = models.CharField(_("route"), max_length=8, choices=Route.choices, default=Route.CHAIN)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    current_partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, null=True, blank=True, related_name="approvals_waiting"
    )
    reason = models.TextField(_("decline reason"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["current_partner", "status", "kind"]),
            models.Index(fields=["partner", "kind"]),
        ]

    def __str__(self) -> str:
        return self.title


class ApprovalStep(models.Model):
    """One recorded action on an approval request: who, at which level, what, why, when."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        FORWARDED = "forwarded", _("Forwarded")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        CANCELED = "canceled", _("Canceled")

    approval = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="steps")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey("tenancy.User", on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.partner}"

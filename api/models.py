"""API keys (bearer JWTs whose ``jti`` is stored hashed) and the partner's MO callback settings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from senders.models import SenderID, add_months
from tenancy.models import Partner, TenantQuerySet


class Expiration(models.TextChoices):
    DAY = "1d", _("1 day")
    WEEK = "7d", _("7 days")
    MONTH = "30d", _("30 days")
    QUARTER = "3m", _("3 months")
    YEAR = "1y", _("1 year")
    NEVER = "never", _("Never expires")


def expiry_from(start: datetime, expiration: str) -> datetime | None:
    """When a key with this expiration choice, issued or refreshed at ``start``, stops working."""
    days = {Expiration.DAY: 1, Expiration.WEEK: 7, Expiration.MONTH: 30}
    if expiration in days:
        return start + timedelta(days=days[Expiration(expiration)])
    if expiration == Expiration.QUARTER:
        return add_months(start, 3)
    if expiration == Expiration.YEAR:
        return add_months(start, 12)
    return None


class ApiKeyQuerySet(TenantQuerySet):
    def live(self) -> ApiKeyQuerySet:
        """Keys not removed (expired ones included: they can be refreshed)."""
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("partner"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="api_keys",
        verbose_name=_("created by"),
    )
    name = models.CharField(_("name"), max_length=60)
    jti_hash = models.CharField(_("key fingerprint"), max_length=64, unique=True)
    expiration = models.CharField(_("expiration"), max_length=8, choices=Expiration.choices, default=Expiration.MONTH)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    callback_url = models.URLField(_("callback URL"), max_length=500, blank=True)
    callback_secret = models.CharField(_("callback signing secret"), max_length=64, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("removed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects: ClassVar[ApiKeyQuerySet] = ApiKeyQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "name"], condition=models.Q(revoked_at__isnull=True), name="api_key_name_unique"
            )
        ]
        indexes = [models.Index(fields=["partner", "-created_at"])]

    def __str__(self) -> str:
        return self.name

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def status_label(self) -> str:
        return str(_("Expired") if self.is_expired() else _("Active"))


class CallbackSettings(models.Model):
    """The partner's default URL for MO messages that no sender ID route catches."""

    partner = models.OneToOneField(
        Partner, on_delete=models.CASCADE, related_name="callback_settings", verbose_name=_("partner")
    )
    default_mo_url = models.URLField(_("default MO callback URL"), max_length=500, blank=True)
    secret = models.CharField(_("callback signing secret"), max_length=64)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects: ClassVar[TenantQuerySet] = TenantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("callback settings")
        verbose_name_plural = _("callback settings")

    def __str__(self) -> str:
        return self.default_mo_url or "-"


class MoRoute(models.Model):
    """MO messages to these sender IDs go to this URL."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="mo_routes", verbose_name=_("partner"))
    url = models.URLField(_("callback URL"), max_length=500)
    sender_ids = models.ManyToManyField(SenderID, related_name="mo_routes", verbose_name=_("sender IDs"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects: ClassVar[TenantQuerySet] = TenantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("MO route")
        verbose_name_plural = _("MO routes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.url

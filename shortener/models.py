"""Short domains (set up by the system owner), the short links campaigns use, and their clicks (DESIGN.md §3).

A link is ``https://<domain>/<code>``; opening it counts a click and redirects to the original URL.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.models import Partner, TenantQuerySet

CODE_LENGTH = 5


class ShortDomainQuerySet(TenantQuerySet):
    def usable_by(self, partner: Partner) -> ShortDomainQuerySet:
        """Active domains given to the partner or to a partner above it."""
        steplen = Partner.steplen
        chain = [partner.path[:end] for end in range(steplen, len(partner.path) + 1, steplen)]
        return self.filter(is_active=True, partners__path__in=chain).distinct().order_by("name")  # type: ignore[return-value]


class ShortDomain(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+", verbose_name=_("owner"))
    name = models.CharField(_("domain name"), max_length=253, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    partners: models.ManyToManyField[Partner, Any] = models.ManyToManyField(
        Partner,
        blank=True,
        related_name="short_domains",
        verbose_name=_("partners"),
        help_text=_("Partners that may shorten links with this domain; their own clients may too."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ShortDomainQuerySet.as_manager()

    class Meta:
        verbose_name = _("short domain")
        verbose_name_plural = _("short domains")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ShortLink(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    domain = models.ForeignKey(ShortDomain, on_delete=models.PROTECT, related_name="links", verbose_name=_("domain"))
    code = models.CharField(_("code"), max_length=16)
    original_url = models.URLField(_("original URL"), max_length=2000)
    clicks = models.PositiveIntegerField(_("clicks"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("short link")
        verbose_name_plural = _("short links")
        constraints = [models.UniqueConstraint(fields=["domain", "code"], name="short_link_unique_code")]

    def __str__(self) -> str:
        return self.url

    @property
    def url(self) -> str:
        return f"https://{self.domain.name}/{self.code}"


class ShortLinkClick(models.Model):
    """One opening of a short link, kept for the click statistics."""

    link = models.ForeignKey(ShortLink, on_delete=models.CASCADE, related_name="click_rows")
    clicked_at = models.DateTimeField(default=timezone.now)
    user_agent = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [models.Index(fields=["link", "clicked_at"], name="short_click_link_time")]

    def __str__(self) -> str:
        return f"{self.link_id} @ {self.clicked_at:%Y-%m-%d %H:%M}"

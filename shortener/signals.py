"""Receivers of the shortener app, connected in ``ShortenerConfig.ready``."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from shortener.models import ShortDomain
from shortener.services import short_domains_changed


# A receiver rather than a call in short_domain_save: the Django admin saves and deletes domains by itself.
@receiver([post_save, post_delete], sender=ShortDomain, dispatch_uid="shortener-short-domains-changed")
def _short_domain_changed(**kwargs: Any) -> None:
    short_domains_changed()

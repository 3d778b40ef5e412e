"""Writes of the URL shortener: short domains (system owner), short links and their clicks."""

from __future__ import annotations

import re
import secrets
import string
import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from shortener.models import CODE_LENGTH, ShortDomain, ShortLink, ShortLinkClick
from tenancy.models import Partner, PortalHost, User

HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
CODE_ALPHABET = string.ascii_letters + string.digits
CODE = re.compile(r"^[A-Za-z0-9]{4,16}$")
# Every process keeps its own copy of the active short domains' names (the redirect middleware asks about each
# request's host) and compares this version with the one its copy was read at, so a change is seen at once.
DOMAINS_VERSION_KEY = "shortener:short-domains-version"


def short_domain_names() -> frozenset[str]:
    """The active short domains' names, from the database (the middleware keeps them per process, see above)."""
    return frozenset(ShortDomain.objects.filter(is_active=True).values_list("name", flat=True))


def short_domain_names_version() -> str:
    """The version of the short domains' names: a new one after every change (read it before the names)."""
    version = cache.get(DOMAINS_VERSION_KEY)
    if version is None:  # first use, or the cache lost it: any new version makes every process read the names again
        cache.add(DOMAINS_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(DOMAINS_VERSION_KEY)
    return str(version)


def short_domains_changed() -> None:
    """Give the names a new version: now, and again after commit (a process may read them before it)."""

    def publish() -> None:
        cache.set(DOMAINS_VERSION_KEY, uuid.uuid4().hex, timeout=None)

    publish()
    transaction.on_commit(publish)


@transaction.atomic
def short_domain_save(*, domain: ShortDomain, partners: Iterable[Partner], by: User | None) -> ShortDomain:
    """Create or change a short domain of the system owner and the partners that may use it."""
    owner = domain.partner
    if owner.kind != Partner.Kind.OWNER:
        raise ValidationError(_("Only the system owner sets up short domains."), code="not_owner")
    domain.name = domain.name.strip().lower().rstrip(".")
    if not HOSTNAME.match(domain.name):
        raise ValidationError({"name": _("Enter a domain name such as go.example.com.")}, code="name")
    if ShortDomain.objects.filter(name=domain.name).exclude(pk=domain.pk).exists():
        raise ValidationError({"name": _("This short domain already exists.")}, code="taken")
    if PortalHost.objects.filter(name=domain.name).exists():
        raise ValidationError({"name": _("A portal already uses this host name.")}, code="portal_host")
    chosen = list(partners)
    if any(not partner.path.startswith(owner.path) for partner in chosen):
        raise ValidationError({"partners": _("Choose partners of your own tree.")}, code="partners")
    domain.save()  # the names get a new version (shortener.signals: the Django admin saves domains too)
    domain.partners.set(chosen)
    return domain


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _position in range(CODE_LENGTH))


@transaction.atomic
def short_link_create(*, partner: Partner, domain: ShortDomain, original_url: str, by: User | None) -> ShortLink:
    """A new short link on ``domain`` to ``original_url`` (the domain must be given to the partner)."""
    if not ShortDomain.objects.usable_by(partner).filter(pk=domain.pk).exists():
        raise ValidationError({"short_domain": _("This short domain is not available to you.")}, code="domain")
    try:
        URLValidator(schemes=["http", "https"])(original_url)
    except ValidationError as error:
        raise ValidationError({"short_domain": _("Only a web link (http or https) can be shortened.")}) from error
    if len(original_url) > 2000:
        raise ValidationError({"short_domain": _("The link is too long to be shortened.")}, code="too_long")
    for _attempt in range(10):
        try:
            with transaction.atomic():
                return ShortLink.objects.create(
                    partner=partner, created_by=by, domain=domain, code=_new_code(), original_url=original_url
                )
        except IntegrityError:
            continue
    raise ValidationError(_("No free short code was found; try again."), code="no_code")


def short_link_open(*, name: str, code: str, user_agent: str = "") -> str | None:
    """The original URL behind ``https://name/code`` (counting the click), or None when there is no such link."""
    if not CODE.match(code):
        return None
    link = (
        ShortLink.objects.filter(domain__name=name, domain__is_active=True, code=code)
        .only("pk", "original_url")
        .first()
    )
    if link is None:
        return None
    with transaction.atomic():
        ShortLink.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1)
        ShortLinkClick.objects.create(link=link, user_agent=user_agent[:255])
    return link.original_url

"""API keys, login tokens for the API, and MO callback settings: every write of the api app."""

from __future__ import annotations

import functools
import ipaddress
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from api import tokens
from api.models import ApiKey, CallbackSettings, Expiration, MoRoute, expiry_from
from senders.models import SenderID
from tenancy.models import Partner, User
from tenancy.services import partner_can_sign_in, totp_device

NAME_MAX = 60
LAST_USED_RESOLUTION_SECONDS = 60
# The key's query checks this many levels of partners above a key; a deeper partner is checked apart.
CHAIN_DEPTH = 8
PRIVATE_HOST_SUFFIXES = (".local", ".localhost", ".internal", ".lan", ".home.arpa")


# Callback URLs ----------------------------------------------------------------------------------------------------


def callback_url_check(url: str) -> str:
    """The URL, stripped, when a callback may be sent to it; a ValidationError saying why not otherwise."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValidationError(_("A callback URL starts with http:// or https://."), code="callback_scheme")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as error:
        raise ValidationError(_("Enter a valid callback URL."), code="callback_url") from error
    if parts.username or parts.password:
        raise ValidationError(
            _("A callback URL must not contain a user name or password."), code="callback_credentials"
        )
    if not getattr(settings, "API_CALLBACK_ALLOW_PRIVATE", False) and _is_private_host(parts.hostname or ""):
        raise ValidationError(
            _("A callback URL must point to a public address, not a local or private network."), code="callback_private"
        )
    return url


def _is_private_host(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(PRIVATE_HOST_SUFFIXES) or "." not in host and ":" not in host:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


# API keys -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    secret: str  # the JWT: shown once, never stored


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the key a name.")}, code="name")
    if len(name) > NAME_MAX:
        raise ValidationError({"name": _("A key name has at most 60 characters.")}, code="name")
    return name


def _clean_expiration(expiration: str) -> str:
    if expiration not in Expiration.values:
        raise ValidationError(
            {"expiration": _("Choose the expiration: 1d, 7d, 30d, 3m, 1y or never.")}, code="expiration"
        )
    return expiration


def api_key_create(
    *, partner: Partner, by: User, name: str, expiration: str, callback_url: str = "", now: datetime | None = None
) -> IssuedKey:
    """A new key; its secret (a JWT) is returned here only."""
    name = _clean_name(name)
    expiration = _clean_expiration(expiration)
    try:
        callback_url = callback_url_check(callback_url)
    except ValidationError as error:
        raise ValidationError({"callback_url": error.messages}, code=error.code) from error
    now = now or timezone.now()
    try:
        with transaction.atomic():
            if ApiKey.objects.live().for_partner(partner).filter(name__iexact=name).exists():
                raise ValidationError({"name": _("You already have an API key with this name.")}, code="name_taken")
            key = ApiKey.objects.create(
                partner=partner,
                user=by,
                name=name,
                jti_hash=secrets.token_hex(32),  # replaced below, once the id is known
                expiration=expiration,
                expires_at=expiry_from(now, expiration),
                callback_url=callback_url,
                callback_secret=secrets.token_urlsafe(24),
                created_at=now,
            )
            secret, jti = tokens.issue_api_key(key_id=key.pk, partner_id=partner.pk)
            key.jti_hash = tokens.jti_hash(jti)
            key.save(update_fields=["jti_hash"])
    except IntegrityError as error:
        raise ValidationError({"name": _("You already have an API key with this name.")}, code="name_taken") from error
    return IssuedKey(api_key=key, secret=secret)


@transaction.atomic
def api_key_refresh(*, api_key: ApiKey, expiration: str | None = None, now: datetime | None = None) -> ApiKey:
    """Extend the key from now by its expiration choice (or a new one); the key itself stays the same."""
    if api_key.revoked_at is not None:
        raise ValidationError(_("A removed key cannot be restored: create a new one."), code="removed")
    if expiration is not None:
        api_key.expiration = _clean_expiration(expiration)
    api_key.expires_at = expiry_from(now or timezone.now(), api_key.expiration)
    api_key.save(update_fields=["expiration", "expires_at"])
    return api_key


def api_key_remove(*, api_key: ApiKey, now: datetime | None = None) -> None:
    """Revoke at once: the key stops working with the next request."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=now or timezone.now())


def api_key_touch(*, api_key: ApiKey, now: datetime | None = None) -> None:
    """Record a use, writing at most once a minute per key."""
    now = now or timezone.now()
    last = api_key.last_used_at
    if last is not None and (now - last).total_seconds() < LAST_USED_RESOLUTION_SECONDS:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now


class AuthError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class _Columns:
    """One model's columns in the query: field names for ``from_db`` and each value's database converters."""

    model: type[Model]
    names: list[str]
    converters: list[tuple[Any, list[Converter]]]

    def instance(self, values: Sequence[Any]) -> Any:
        converted = []
        for value, (column, converters) in zip(values, self.converters, strict=True):
            for convert in converters:
                value = convert(value, column, connection)
            converted.append(value)
        return self.model.from_db(connection.alias, self.names, converted)


@functools.cache
def _auth_query(vendor: str) -> tuple[str, _Columns, _Columns, _Columns]:
    """One query for every request with a key: the key, its partner, its user and whether a partner above is off.

    Written in SQL because the ORM would compile a four-table query on every API request; the columns and
    their converters come from the models, so they follow migrations and the database backend.
    """
    parts = []
    for alias, model in (("k", ApiKey), ("p", Partner), ("u", User)):
        fields = model._meta.concrete_fields
        converters = []
        for field in fields:
            column = field.get_col(alias)
            converters.append((column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)))
        parts.append(_Columns(model, [field.attname for field in fields], converters))
    columns = ", ".join(
        f'{alias}."{field.column}"'
        for alias, model in (("k", ApiKey), ("p", Partner), ("u", User))
        for field in model._meta.concrete_fields
    )
    partner = Partner._meta.db_table
    # The paths of the partner and the partners above it, down to CHAIN_DEPTH: probes of the unique path index.
    chain = ", ".join(f"substr(p.path, 1, {depth * Partner.steplen})" for depth in range(1, CHAIN_DEPTH + 1))
    # Table and column names come from the models; the values are parameters.
    sql = (
        f"SELECT {columns}, EXISTS (SELECT 1 FROM {partner} a WHERE a.path IN ({chain}) AND NOT a.is_active)"  # noqa: S608
        f" FROM {ApiKey._meta.db_table} k JOIN {partner} p ON p.id = k.partner_id"
        f" LEFT JOIN {User._meta.db_table} u ON u.id = k.user_id WHERE k.id = %s AND k.jti_hash = %s"
    )
    return sql, parts[0], parts[1], parts[2]


def api_key_for_claims(claims: tokens.Claims, *, now: datetime | None = None) -> ApiKey:
    """The live, unexpired key of decoded API key claims, its partner and user loaded; AuthError otherwise.

    A partner that is off, or under a partner that is off, refuses the key (AuthError ``account_disabled``).
    """
    if claims.kind != tokens.KIND_API_KEY:
        raise AuthError("invalid_token", _("The API key is not valid."))
    sql, keys, partners, users = _auth_query(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [claims.subject, tokens.jti_hash(claims.jti)])
        row = cursor.fetchone()
    if row is None:
        raise AuthError("key_revoked", _("This API key was removed."))
    key_end = len(keys.names)
    partner_end = key_end + len(partners.names)
    key: ApiKey = keys.instance(row[:key_end])
    if key.revoked_at is not None:
        raise AuthError("key_revoked", _("This API key was removed."))
    if key.is_expired(now):
        raise AuthError("key_expired", _("This API key has expired: refresh it or create a new one."))
    key.partner = partners.instance(row[key_end:partner_end])
    if row[-1] or (key.partner.depth > CHAIN_DEPTH and not partner_can_sign_in(key.partner)):
        raise AuthError("account_disabled", _("This account is disabled."))
    if key.user_id is not None:
        key.user = users.instance(row[partner_end:-1])
        if key.user.partner_id == key.partner_id:
            key.user.partner = key.partner
    return key


def login_token(*, request: HttpRequest, email: str, password: str, otp: str = "") -> tuple[str, datetime]:
    """Check e-mail, password (through the login throttle) and, for users with 2FA, the one-time code."""
    user = authenticate(request, email=email, password=password)
    if user is None or not isinstance(user, User) or user.partner is None:
        raise AuthError("invalid_credentials", _("Wrong e-mail or password."))
    if not partner_can_sign_in(user.partner):
        raise AuthError("account_disabled", _("This account is disabled."))
    device = totp_device(user)
    if device is not None:
        if not otp:
            raise AuthError("otp_required", _("Two-factor authentication is on: send the code in the X-OTP header."))
        if not device.verify_token(otp.strip()):
            raise AuthError("otp_invalid", _("The one-time code is wrong or has expired."))
    return tokens.issue_login_token(user_id=user.pk)


# Callback settings --------------------------------------------------------------------------------------------------


def callback_settings_for(partner: Partner) -> CallbackSettings:
    found, _created = CallbackSettings.objects.get_or_create(
        partner=partner, defaults={"secret": secrets.token_urlsafe(24)}
    )
    return found


@transaction.atomic
def callback_settings_save(*, partner: Partner, default_mo_url: str) -> CallbackSettings:
    try:
        url = callback_url_check(default_mo_url)
    except ValidationError as error:
        raise ValidationError({"default_mo_url": error.messages}, code=error.code) from error
    found = callback_settings_for(partner)
    found.default_mo_url = url
    found.updated_at = timezone.now()
    found.save(update_fields=["default_mo_url", "updated_at"])
    return found


@transaction.atomic
def mo_route_save(
    *, partner: Partner, url: str, sender_ids: Iterable[SenderID], route: MoRoute | None = None
) -> MoRoute:
    """Create or change a route; a sender ID belongs to one route at a time (the latest save wins)."""
    try:
        url = callback_url_check(url)
    except ValidationError as error:
        raise ValidationError({"url": error.messages}, code=error.code) from error
    if not url:
        raise ValidationError({"url": _("Enter the callback URL.")}, code="url")
    chosen = list(sender_ids)
    if not chosen:
        raise ValidationError({"sender_ids": _("Choose at least one sender ID.")}, code="sender_ids")
    if any(sender.partner_id != partner.pk for sender in chosen):
        raise ValidationError({"sender_ids": _("Choose your own sender IDs.")}, code="sender_ids")
    if route is None:
        route = MoRoute.objects.create(partner=partner, url=url)
    else:
        route.url = url
        route.save(update_fields=["url"])
    for other in MoRoute.objects.for_partner(partner).exclude(pk=route.pk):
        other.sender_ids.remove(*chosen)
    route.sender_ids.set(chosen)
    callback_settings_for(partner)
    return route


def mo_route_delete(*, route: MoRoute) -> None:
    route.delete()


def mo_callback_url(*, partner_id: int, sender_id_value: str) -> str:
    """Where an MO message to this sender ID goes: its route, else the partner's default MO URL, else nowhere."""
    route = (
        MoRoute.objects.filter(partner_id=partner_id, sender_ids__value__iexact=sender_id_value)
        .values_list("url", flat=True)
        .first()
    )
    if route:
        return route
    return CallbackSettings.objects.filter(partner_id=partner_id).values_list("default_mo_url", flat=True).first() or ""

"""``Authorization: Bearer <JWT>``: an API key, or a short-lived login token from ``/api/auth/token``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from api import tokens
from api.models import ApiKey
from api.services import AuthError, api_key_for_claims, api_key_touch
from tenancy.models import Partner, User
from tenancy.services import partner_can_sign_in


@dataclass(frozen=True)
class ApiAuth:
    """What ``request.auth`` holds: the tenant, and the key when the request came with one."""

    partner: Partner
    api_key: ApiKey | None


class AuthFailed(exceptions.AuthenticationFailed):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(detail=message, code=code)


def bearer_token(request: Request) -> str | None:
    header = get_authorization_header(request).split()
    if not header or header[0].lower() != b"bearer":
        return None
    if len(header) != 2:
        raise AuthFailed("invalid_header", _("Send the key as “Authorization: Bearer <key>”."))
    try:
        return header[1].decode()
    except UnicodeError as error:
        raise AuthFailed("invalid_header", _("Send the key as “Authorization: Bearer <key>”.")) from error


def _usable(user: User | None, *, check_partner: bool = True) -> User:
    if user is None or not user.is_active or user.partner is None:
        raise AuthFailed("account_disabled", _("This account is disabled."))
    if check_partner and not partner_can_sign_in(user.partner):
        raise AuthFailed("account_disabled", _("This account is disabled."))
    return user


class BearerAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, ApiAuth] | None:
        token = bearer_token(request)
        if token is None:
            return None
        try:
            claims = tokens.decode(token)
        except tokens.InvalidToken as error:
            raise AuthFailed("invalid_token", _("The API key is not valid.")) from error
        if claims.kind == tokens.KIND_LOGIN:
            user = _usable(User.objects.select_related("partner").filter(pk=claims.subject).first())
            assert user.partner is not None  # noqa: S101  (checked by _usable)
            return user, ApiAuth(partner=user.partner, api_key=None)
        try:
            key = api_key_for_claims(claims)
        except AuthError as error:
            raise AuthFailed(error.code, error.message) from error
        # The key's partner chain was checked with the key; a user of another partner needs its own check.
        user = _usable(key.user, check_partner=key.user is not None and key.user.partner_id != key.partner_id)
        api_key_touch(api_key=key)
        return user, ApiAuth(partner=key.partner, api_key=key)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


def api_auth(request: Any) -> ApiAuth:
    auth = request.auth
    if not isinstance(auth, ApiAuth):
        raise exceptions.NotAuthenticated()
    return auth

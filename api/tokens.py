"""JWTs: long-lived API keys (their ``jti`` stored hashed) and short-lived login tokens for managing keys."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from django.conf import settings
from django.utils import timezone

ALGORITHM = "HS256"
ISSUER = "campaign-portal"
KIND_API_KEY = "api_key"
KIND_LOGIN = "login"


class InvalidToken(Exception):
    """The bearer token is not one of ours, is damaged, or has expired."""


def jti_hash(jti: str) -> str:
    return hashlib.sha256(jti.encode()).hexdigest()


def _secret() -> str:
    # A fixed-length key derived from the setting, whatever its length (HS256 wants at least 32 bytes).
    return hashlib.sha256(f"api-jwt:{settings.API_JWT_SECRET or settings.SECRET_KEY}".encode()).hexdigest()


def issue_api_key(*, key_id: int, partner_id: int) -> tuple[str, str]:
    """A new key's JWT and its ``jti``; the key's expiry lives in the database so that it can be extended."""
    jti = secrets.token_urlsafe(24)
    claims = {"iss": ISSUER, "typ": KIND_API_KEY, "sub": str(key_id), "pid": partner_id, "jti": jti,
              "iat": int(timezone.now().timestamp())}  # fmt: skip
    return jwt.encode(claims, _secret(), algorithm=ALGORITHM), jti


def issue_login_token(*, user_id: int, now: datetime | None = None) -> tuple[str, datetime]:
    now = now or timezone.now()
    expires_at = now + timedelta(minutes=int(settings.API_TOKEN_MINUTES))
    claims = {"iss": ISSUER, "typ": KIND_LOGIN, "sub": str(user_id), "jti": secrets.token_urlsafe(12),
              "iat": int(now.timestamp()), "exp": int(expires_at.timestamp())}  # fmt: skip
    return jwt.encode(claims, _secret(), algorithm=ALGORITHM), expires_at


@dataclass(frozen=True)
class Claims:
    kind: str
    subject: int
    jti: str


def decode(token: str) -> Claims:
    try:
        data: dict[str, Any] = jwt.decode(
            token, _secret(), algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["iss", "sub", "jti", "typ"]}
        )
        return Claims(kind=str(data["typ"]), subject=int(data["sub"]), jti=str(data["jti"]))
    except (jwt.PyJWTError, KeyError, TypeError, ValueError) as error:
        raise InvalidToken(str(error)) from error

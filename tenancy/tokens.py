"""Signed, expiring tokens for e-mail confirmation links."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode


class EmailConfirmationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "tenancy.tokens.EmailConfirmationTokenGenerator"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return f"{user.pk}{user.email}{user.email_confirmed}{timestamp}"

    def for_user(self, user: Any) -> tuple[str, str]:
        return urlsafe_base64_encode(force_bytes(user.pk)), self.make_token(user)


def decode_uid(uidb64: str) -> int | None:
    try:
        return int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None


email_confirmation_token = EmailConfirmationTokenGenerator()

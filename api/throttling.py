from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.authentication import ApiAuth


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Requests per API key (login tokens per user) in the cache; anonymous requests are not throttled here."""

    scope = "api_key"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        auth = request.auth
        if not isinstance(auth, ApiAuth):
            return None
        ident = f"key{auth.api_key.pk}" if auth.api_key else f"user{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

from __future__ import annotations

import time
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.authentication import ApiAuth


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Requests per API key (login tokens per user) in the cache; anonymous requests are not throttled here.

    A sliding window counter: one counter per period, the previous period's count weighted by how much of it
    still lies inside the window. A request costs an atomic increment and a read of small numbers; DRF's own
    throttle reads and writes the list of every request time, which at thousands a minute costs more than
    the request itself.
    """

    scope = "api_key"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        auth = request.auth
        if not isinstance(auth, ApiAuth):
            return None
        ident = f"key{auth.api_key.pk}" if auth.api_key else f"user{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None or self.num_requests is None or self.duration is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = time.time()
        window, offset = divmod(self.now, self.duration)
        current = f"{key}:{int(window)}"
        try:
            count = self.cache.incr(current)
        except ValueError:  # the period's first request
            count = 1 if self.cache.add(current, 1, timeout=2 * self.duration + 1) else self.cache.incr(current)
        previous = self.cache.get(f"{key}:{int(window) - 1}", 0)
        remaining = 1 - offset / self.duration  # the share of the previous period still inside the window
        if previous * remaining + count <= self.num_requests:
            return True
        self.cache.decr(current)  # a refused request does not count
        count -= 1
        if previous and count < self.num_requests:
            # The window slides until the previous period's weight leaves room for one more request.
            self.wait_seconds = max(0.0, (remaining - (self.num_requests - count - 1) / previous) * self.duration)
        else:
            self.wait_seconds = self.duration - offset
        return False

    def wait(self) -> float | None:
        return self.wait_seconds

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.authentication import ApiAuth

# At high rates a process adds its requests to the shared counter in batches of this share of the rate: the
# limit may then be passed by that share per web process (0.1 %), and most requests need no cache round trip.
BATCH_SHARE = 1000


@dataclass
class _Period:
    """What this process knows of one key's current period."""

    number: int
    counted: int = 0  # the period's shared count when this process last added to it
    unsent: int = 0  # this process's requests of the period not added to the shared count yet
    previous: int | None = None  # the previous period's count, read once


_periods: dict[tuple[str, int, int], _Period] = {}
_periods_lock = threading.Lock()


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Requests per API key (login tokens per user) in the cache; anonymous requests are not throttled here.

    A sliding window counter: one shared counter per period, the previous period's count weighted by how much of
    it still lies inside the window. DRF's own throttle reads and writes the list of every request time, which at
    thousands a minute costs more than the request itself.
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
        number, offset = divmod(self.now, self.duration)
        period = int(number)
        remaining = 1 - offset / self.duration  # the share of the previous period still inside the window
        batch = max(1, self.num_requests // BATCH_SHARE)
        local = (key, self.num_requests, self.duration)  # a changed rate starts afresh
        with _periods_lock:
            state = _periods.get(local)
            if state is None or state.number != period:
                state = _periods[local] = _Period(period)
            state.unsent += 1
            unsent = state.unsent if state.unsent >= batch or state.previous is None else 0
            state.unsent -= unsent
            previous, counted, pending = state.previous, state.counted, state.unsent
        if unsent:
            counted = self._add(f"{key}:{period}", unsent, timeout=2 * self.duration + 1)
            if previous is None or batch == 1:  # at low rates every request reads it: exact, and cheap enough
                previous = int(self.cache.get(f"{key}:{period - 1}", 0))
            with _periods_lock:
                state.counted = counted
                state.previous = previous
        if (previous or 0) * remaining + counted + pending <= self.num_requests:
            return True
        # A refused request does not count.
        if unsent:
            self.cache.decr(f"{key}:{period}")
        else:
            with _periods_lock:
                state.unsent -= 1
        count = counted + pending - 1
        if previous and count < self.num_requests:
            # The window slides until the previous period's weight leaves room for one more request.
            self.wait_seconds = max(0.0, (remaining - (self.num_requests - count - 1) / previous) * self.duration)
        else:
            self.wait_seconds = self.duration - offset
        return False

    def _add(self, key: str, count: int, *, timeout: int) -> int:
        """Add to the shared counter of a period; its new value."""
        try:
            return int(self.cache.incr(key, count))
        except ValueError:  # the period's first requests
            if self.cache.add(key, count, timeout=timeout):
                return count
            return int(self.cache.incr(key, count))

    def wait(self) -> float | None:
        return self.wait_seconds

"""Token buckets shared by every worker: one per vendor (its TPS) and one per rate-limited campaign.

With ``REDIS_URL`` the buckets live in Redis (an atomic Lua script on the server's clock); in the
embedded mode they are rows of :class:`messaging.models.RateBucket`, changed under a row lock.
"""

from __future__ import annotations

import math
import time
from functools import cache
from typing import Any

from django.conf import settings
from django.db import transaction

from messaging.models import RateBucket

_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1])
local stamp = tonumber(state[2])
if tokens == nil then tokens = burst; stamp = now end
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return {granted, tostring(tokens)}
"""


def burst_for(rate: float) -> float:
    """One second's worth of tokens (at least one): messages go out evenly, not in large bursts."""
    return float(max(1, math.ceil(rate)))


def wait_for(missing: float, rate: float) -> float:
    """Seconds until ``missing`` more tokens have accumulated."""
    return max(0.0, missing) / rate


@cache
def _redis_script() -> Any:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    return client.register_script(_TAKE)


def _take_redis(key: str, rate: float, burst: float, want: int) -> tuple[int, float]:
    granted, tokens = _redis_script()(keys=[f"cp:bucket:{key}"], args=[rate, burst, want])
    return int(granted), float(tokens)


def _take_db(key: str, rate: float, burst: float, want: int) -> tuple[int, float]:
    now = time.time()
    with transaction.atomic():
        row = RateBucket.objects.select_for_update().filter(key=key).first()
        if row is None:
            row = RateBucket(key=key, tokens=burst, stamp=now)
        tokens = min(burst, row.tokens + max(0.0, now - row.stamp) * rate)
        granted = min(want, math.floor(tokens))
        row.tokens, row.stamp = tokens - granted, now
        row.save()
    return granted, row.tokens


def take(key: str, *, rate: float, want: int, burst: float | None = None) -> tuple[int, float]:
    """Take up to ``want`` tokens; returns how many were granted and the seconds until the next one is due."""
    if want <= 0:
        return 0, 0.0
    burst = burst if burst is not None else burst_for(rate)
    if getattr(settings, "REDIS_URL", ""):
        granted, left = _take_redis(key, rate, burst, want)
    else:
        granted, left = _take_db(key, rate, burst, want)
    return granted, wait_for(1 - left, rate)


def reset(key: str) -> None:
    """Forget a bucket (tests, or a vendor whose limit changed)."""
    if getattr(settings, "REDIS_URL", ""):
        import redis

        redis.Redis.from_url(settings.REDIS_URL).delete(f"cp:bucket:{key}")
    RateBucket.objects.filter(key=key).delete()

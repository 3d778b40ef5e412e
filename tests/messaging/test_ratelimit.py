"""Token buckets: in the database (embedded mode) and in Redis (when a local Redis answers)."""

from __future__ import annotations

import os
import socket
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from messaging import ratelimit


def test_a_database_bucket_grants_a_burst_then_refills_with_time(db: None) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert ratelimit.take("vendor:test", rate=10, want=25) == (10, pytest.approx(0.1))
        assert ratelimit.take("vendor:test", rate=10, want=5)[0] == 0
    with time_machine.travel(start + timedelta(seconds=0.5), tick=False):
        assert ratelimit.take("vendor:test", rate=10, want=25)[0] == 5
    with time_machine.travel(start + timedelta(seconds=60), tick=False):
        assert ratelimit.take("vendor:test", rate=10, want=25)[0] == 10  # never more than the burst
    assert ratelimit.take("vendor:other", rate=0.5, want=3)[0] == 1  # slow rates still let one through
    assert ratelimit.take("vendor:test", rate=10, want=0) == (0, 0.0)


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.2):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no local Redis")
def test_a_redis_bucket_is_shared_and_atomic(settings, db: None) -> None:  # type: ignore[no-untyped-def]
    settings.REDIS_URL = "redis://127.0.0.1:6379/12"
    ratelimit._redis_script.cache_clear()
    key = f"campaign:redis-test-{os.getpid()}"  # the test runs of other checkouts use the same Redis
    try:
        ratelimit.reset(key)
        started = time.monotonic()
        granted = [ratelimit.take(key, rate=100, want=30)[0] for _ in range(5)]
        refill = 100 * (time.monotonic() - started)  # on a busy machine the five round trips take a while
        assert granted[0] == 30 and sum(granted) <= 101 + refill  # a burst of one second's worth, then the refill
        assert ratelimit.take(key, rate=100, want=1000)[1] >= 0
    finally:
        ratelimit.reset(key)
        ratelimit._redis_script.cache_clear()

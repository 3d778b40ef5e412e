"""Kick a worker task after the current transaction commits, at most about once a second per kind.

The periodic beat jobs are the durable safety net; these triggers only make the engine react at once.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import transaction

TRIGGER_SECONDS = 1

# Per kind, when the shared key taken last (by any process) expires: until then the cache would refuse the key
# anyway, so this process skips the round trip (most API requests of a busy second).
_taken_until: dict[str, float] = {}


def trigger(name: str) -> None:
    now = time.time()
    if _taken_until.get(name, 0.0) > now:
        return
    key = f"cp:trigger:{name}"
    if not cache.add(key, now + TRIGGER_SECONDS, timeout=TRIGGER_SECONDS):
        until = cache.get(key)
        _taken_until[name] = until if isinstance(until, float) else 0.0
        return
    _taken_until[name] = now + TRIGGER_SECONDS

    def send() -> None:
        from messaging import tasks

        task = {
            "dispatch": tasks.dispatch_due,
            "callbacks": tasks.send_callbacks,
            "simulator": tasks.deliver_simulator_events,
        }[name]
        task.apply_async()  # type: ignore[attr-defined]

    transaction.on_commit(send, robust=True)  # a broker hiccup must not fail the request that wrote the rows

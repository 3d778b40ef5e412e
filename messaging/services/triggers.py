"""Kick a worker task after the current transaction commits, at most about once a second per kind.

The periodic beat jobs are the durable safety net; these triggers only make the engine react at once.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

TRIGGER_SECONDS = 1


def trigger(name: str) -> None:
    if not cache.add(f"cp:trigger:{name}", 1, timeout=TRIGGER_SECONDS):
        return

    def send() -> None:
        from messaging import tasks

        task = {
            "dispatch": tasks.dispatch_due,
            "callbacks": tasks.send_callbacks,
            "simulator": tasks.deliver_simulator_events,
        }[name]
        task.apply_async()  # type: ignore[attr-defined]

    transaction.on_commit(send, robust=True)  # a broker hiccup must not fail the request that wrote the rows

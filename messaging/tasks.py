"""Celery tasks of the delivery engine: thin, idempotent, every one safe to run twice or concurrently.

The periodic ones (see ``CELERY_BEAT_SCHEDULE``) are the durable safety net: all state is in the
database, so a lost task or a restarted worker only delays work until the next beat.
"""

from __future__ import annotations

from celery import shared_task

from messaging import services


@shared_task(acks_late=True, ignore_result=True)
def dispatch_due(budget: float = 10.0) -> int:
    return services.dispatch_due(budget=budget)


@shared_task(acks_late=True, ignore_result=True)
def reconcile_claims() -> int:
    total = 0
    while count := services.reconcile_claims():
        total += count
    return total


@shared_task(acks_late=True, ignore_result=True)
def process_timers() -> int:
    total = 0
    while count := services.process_timers():
        total += count
    return total


@shared_task(acks_late=True, ignore_result=True)
def deliver_simulator_events(budget: float = 10.0) -> int:
    return services.deliver_simulator_events(budget=budget)


@shared_task(acks_late=True, ignore_result=True)
def send_callbacks() -> int:
    total = 0
    while count := services.callbacks_send_due():
        total += count
    return total


@shared_task(acks_late=True, ignore_result=True)
def match_unmatched_receipts() -> int:
    return services.match_unmatched()


@shared_task(acks_late=True, ignore_result=True)
def purge_old_records() -> int:
    return services.purge_old()

from __future__ import annotations

from celery import shared_task

from senders import services


@shared_task(acks_late=True)
def expire_sender_ids() -> int:
    """Periodic: disable sender IDs whose validity period is over."""
    return services.sender_expire_due()

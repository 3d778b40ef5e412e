from celery import shared_task

from billing import services


@shared_task(acks_late=True)
def expire_packs() -> int:
    """Mark packs past their validity as expired (charging already skips them)."""
    return services.pack_expire_due()

from __future__ import annotations

from typing import Any

from celery import shared_task

from tenancy import emails, services
from tenancy.models import Portal, User


@shared_task(acks_late=True)
def send_templated_email(portal_id: int | None, user_id: int, template: str, context: dict[str, Any]) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    portal = Portal.objects.filter(pk=portal_id).first() if portal_id else None
    emails.deliver(portal=portal, user=user, template=template, context=context)


@shared_task(acks_late=True)
def provision_portal_2fa(portal_id: int) -> int:
    portal = Portal.objects.select_related("partner").get(pk=portal_id)
    return services.portal_provision_2fa(portal=portal)


@shared_task(acks_late=True)
def purge_unconfirmed_sign_ups() -> int:
    return services.purge_unconfirmed_sign_ups()

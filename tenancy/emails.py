"""Branded e-mails, rendered and sent by a Celery task after the surrounding transaction commits."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from tenancy import otp
from tenancy.models import Portal, User


def send(*, portal: Portal | None, to: User, template: str, context: dict[str, Any]) -> None:
    """Queue ``templates/emails/<template>.{txt,html}`` for ``to``; context must be JSON-serialisable."""
    from tenancy.tasks import send_templated_email

    portal_id = portal.pk if portal else None
    transaction.on_commit(lambda: send_templated_email.delay(portal_id, to.pk, template, context))


def deliver(*, portal: Portal | None, user: User, template: str, context: dict[str, Any]) -> None:
    brand = portal.brand_name if portal else "Campaign Portal"
    support = portal.support_email if portal else ""
    full_context = {"brand": brand, "support_email": support, "user": user, **context}
    with translation.override(user.language):
        subject = render_to_string(f"emails/{template}_subject.txt", full_context).strip()
        text = render_to_string(f"emails/{template}.txt", full_context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]
    )
    if "otpauth_uri" in context:
        message.attach("authenticator-qr.png", otp.qr_png(context["otpauth_uri"]), "image/png")
    message.send()

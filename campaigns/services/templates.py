"""Message templates (Templates → Campaign Templates) and their premoderation."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import MAX_WA_BUTTONS, TEMPLATE_KIND, MessageTemplate, Moderation
from campaigns.shortlinks import find_link
from messaging.models import Purpose
from senders.models import SenderID
from shortener.models import ShortDomain
from tenancy import approvals
from tenancy.models import ApprovalRequest, Channel, Partner, User

BUTTON_TYPES = ("phone", "url", "quick_reply", "copy_code")


def _check_template(template: MessageTemplate) -> None:
    errors: dict[str, str] = {}
    template.name = template.name.strip()
    if not template.name:
        errors["name"] = _("Give the template a name.")
    if template.channel not in Channel.values:
        errors["channel"] = _("Choose a channel.")
    if template.sender_id and not SenderID.objects.for_partner(template.partner).filter(pk=template.sender_id).exists():
        errors["sender"] = _("Choose one of your sender IDs.")
    if template.channel == Channel.WHATSAPP:
        template.short_domain = None  # the links of a WhatsApp template are fixed by its approval
        if template.purpose not in (Purpose.MARKETING, Purpose.UTILITY, Purpose.AUTHENTICATION):
            errors["purpose"] = _("Choose the category: Authentication, Utility or Marketing.")
        if template.purpose != Purpose.AUTHENTICATION and not template.text.strip():
            errors["text"] = _("The message body must not be empty.")
        if not template.language:
            errors["language"] = _("Choose the language of the template.")
        buttons = template.buttons or []
        if len(buttons) > MAX_WA_BUTTONS:
            errors["buttons"] = _("A template has at most ten buttons.")
        for button in buttons:
            if button.get("type") not in BUTTON_TYPES or not str(button.get("text", "")).strip():
                errors["buttons"] = _("Each button needs a type and a caption.")
    else:
        if not template.text.strip():
            errors["text"] = _("The message text must not be empty.")
        if template.channel == Channel.VIBER:
            if template.button_url and not template.button_caption:
                errors["button_caption"] = _("A button needs a caption.")
            if template.image_url or template.button_url:
                template.purpose = Purpose.PROMOTION  # a picture or a button makes it promotional
            elif template.purpose not in (Purpose.PROMOTION, Purpose.TRANSACTION):
                template.purpose = Purpose.TRANSACTION
        if template.short_domain_id:
            if find_link(template.text) is None:
                errors["short_domain"] = _("Put a link into the message text to shorten it.")
            elif not ShortDomain.objects.usable_by(template.partner).filter(pk=template.short_domain_id).exists():
                errors["short_domain"] = _("This short domain is not available to you.")
        if template.flash and template.channel != Channel.SMS:
            errors["flash"] = _("Flash messages exist on the SMS channel only.")
        if template.flash and not template.partner.flash_enabled:
            errors["flash"] = _("Flash SMS is not enabled for this account.")
    taken = MessageTemplate.objects.for_partner(template.partner).filter(
        channel=template.channel, name__iexact=template.name
    )
    if template.pk:
        taken = taken.exclude(pk=template.pk)
    if template.name and taken.exists():
        errors["name"] = _("You already have a template with this name for this channel.")
    if errors:
        raise ValidationError(errors)


def _needs_moderation(template: MessageTemplate) -> bool:
    return template.channel == Channel.WHATSAPP or template.partner.premoderate_templates


def _submit_template(template: MessageTemplate, by: User | None) -> None:
    if not _needs_moderation(template):
        template.moderation = Moderation.NOT_REQUIRED
        return
    approval = approvals.approval_open(
        partner=template.partner,
        by=by,
        kind=TEMPLATE_KIND,
        title=_("Template “%(name)s”") % {"name": template.name},
        route=ApprovalRequest.Route.PARENT,
    )
    template.approval = approval
    template.moderation = Moderation.PENDING
    template.decline_reason = ""


@transaction.atomic
def template_save(*, template: MessageTemplate, by: User | None) -> MessageTemplate:
    """Create or update a template; under premoderation (and always for WhatsApp) it waits for approval again."""
    _check_template(template)
    if template.approval_id and template.moderation == Moderation.PENDING:
        ApprovalRequest.objects.filter(pk=template.approval_id, status=ApprovalRequest.Status.PENDING).update(
            status=ApprovalRequest.Status.CANCELED, current_partner=None, decided_at=timezone.now()
        )
    if template.pk is None:
        template.created_by = by
    template.updated_at = timezone.now()
    template.save()
    _submit_template(template, by)
    template.save(update_fields=["moderation", "approval", "decline_reason"])
    return template


@transaction.atomic
def template_delete(*, template: MessageTemplate, by: User | None) -> None:
    if template.approval_id and template.moderation == Moderation.PENDING:
        ApprovalRequest.objects.filter(pk=template.approval_id, status=ApprovalRequest.Status.PENDING).update(
            status=ApprovalRequest.Status.CANCELED, current_partner=None, decided_at=timezone.now()
        )
    template.delete()


def usable_templates(*, partner: Partner, channel: str | None = None) -> Any:
    queryset = MessageTemplate.objects.for_partner(partner).filter(
        moderation__in=[Moderation.NOT_REQUIRED, Moderation.APPROVED]
    )
    return queryset.filter(channel=channel) if channel else queryset


class TemplateApprovalHandler:
    def on_forwarded(self, approval: ApprovalRequest, *, by: User) -> None:
        return None

    def on_approved(self, approval: ApprovalRequest, *, by: User, payload: dict[str, Any]) -> None:
        MessageTemplate.objects.filter(approval=approval, moderation=Moderation.PENDING).update(
            moderation=Moderation.APPROVED, decline_reason="", updated_at=timezone.now()
        )

    def on_declined(self, approval: ApprovalRequest, *, by: User) -> None:
        MessageTemplate.objects.filter(approval=approval, moderation=Moderation.PENDING).update(
            moderation=Moderation.DECLINED, decline_reason=approval.reason, updated_at=timezone.now()
        )

    def on_canceled(self, approval: ApprovalRequest, *, by: User) -> None:
        return None

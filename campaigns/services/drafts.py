"""Draft campaigns: create, change, rename and repeat."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, Moderation
from campaigns.services.texts import parse_emails
from campaigns.shortlinks import follow_whatsapp_link, whatsapp_short_link
from contacts.models import Group
from shortener.models import ShortDomain
from shortener.services import short_link_create
from tenancy.models import Channel, Partner, User

STEP_KEYS = ("channel", "sender", "text", "ttl", "purpose", "flash", "image_url", "button_caption", "button_url",
             "template_name", "template_params", "template_id")  # fmt: skip


def default_name(at: datetime | None = None, time_zone: str = "UTC") -> str:
    import zoneinfo

    moment = (at or timezone.now()).astimezone(zoneinfo.ZoneInfo(time_zone or "UTC"))
    return _("Campaign %(when)s") % {"when": moment.strftime("%d %b %Y, %H:%M")}


def clean_step(data: dict[str, Any]) -> dict[str, Any]:
    step = {key: data[key] for key in STEP_KEYS if key in data and data[key] not in (None, "", [], False)}
    if "template_params" in step:
        step["template_params"] = [str(value) for value in step["template_params"]]
    if "ttl" in step:
        step["ttl"] = int(step["ttl"])
    return step


def order_steps(steps: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps in the chosen order with SMS moved last (it is always the final fallback)."""
    steps = list(steps)
    return [step for step in steps if step.get("channel") != Channel.SMS] + [
        step for step in steps if step.get("channel") == Channel.SMS
    ]


FIELDS = ("name", "steps", "accept_mo", "placeholders", "source", "manual_numbers", "default_country",
          "send_at", "time_zone", "notify_emails", "file_mapping", "file_has_header")  # fmt: skip


def _apply(campaign: Campaign, changes: dict[str, Any]) -> list[Group] | None:
    groups = changes.pop("groups", None)
    for key, value in changes.items():
        if key not in FIELDS:
            raise TypeError(f"unknown campaign field {key!r}")
        if key == "steps":
            value = order_steps(clean_step(step) for step in value)
        if key == "notify_emails":
            value = parse_emails(value)
        if key == "name":
            value = value.strip()
            if not value:
                raise ValidationError({"name": _("Give the campaign a name.")}, code="name")
        setattr(campaign, key, value)
    if groups is not None:
        groups = list(groups)
        if any(group.partner_id != campaign.partner_id for group in groups):
            raise ValidationError({"groups": _("Choose your own contact groups.")}, code="groups")
    return groups


def _editable(campaign: Campaign) -> None:
    if campaign.status != Campaign.Status.DRAFT:
        raise ValidationError(_("Only a draft campaign can be changed."), code="not_draft")


@transaction.atomic
def campaign_create(
    *, partner: Partner, by: User | None, origin: str = Campaign.Origin.WIZARD, **fields: Any
) -> Campaign:
    """A DRAFT campaign; ``fields`` are any of the wizard's fields (name, steps, source, groups, ...)."""
    fields.setdefault("name", default_name(time_zone=getattr(by, "time_zone", "UTC")))
    campaign = Campaign(partner=partner, created_by=by, origin=origin)
    groups = _apply(campaign, fields)
    follow_whatsapp_link(campaign, [])
    campaign.save()
    if groups is not None:
        campaign.groups.set(groups)
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, by: User | None, **fields: Any) -> Campaign:
    _editable(campaign)
    previous_steps = campaign.steps
    groups = _apply(campaign, fields)
    if "steps" in fields:
        follow_whatsapp_link(campaign, previous_steps)
    campaign.updated_at = timezone.now()
    campaign.save()
    if groups is not None:
        campaign.groups.set(groups)
    return campaign


@transaction.atomic
def campaign_rename(*, campaign: Campaign, name: str, by: User | None) -> Campaign:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the campaign a name.")}, code="name")
    Campaign.objects.filter(pk=campaign.pk).update(name=name[:200], updated_at=timezone.now())
    campaign.name = name[:200]
    return campaign


@transaction.atomic
def campaign_copy(*, campaign: Campaign, by: User | None) -> Campaign:
    """A new draft with the same parameters (Repeat)."""
    copy = Campaign.objects.get(pk=campaign.pk)
    copy.pk = None
    copy.created_by = by
    copy.name = _("Repeat %(name)s") % {"name": campaign.name}
    copy.name = copy.name[:200]
    copy.status = Campaign.Status.DRAFT
    copy.moderation = Moderation.NOT_REQUIRED
    copy.approval = None
    copy.decline_reason = ""
    copy.error = ""
    copy.send_at = None
    for name in ("recipients_total", "messages_written", "skipped_stop_list", "skipped_duplicates", "skipped_invalid",
                 "skipped_placeholders", "expand_cursor"):  # fmt: skip
        setattr(copy, name, 0)
    copy.expanded = False
    copy.is_deleted = False
    copy.created_at = copy.updated_at = timezone.now()
    copy.started_at = copy.finished_at = None
    if campaign.file:
        copy.file = None  # type: ignore[assignment]
        copy.save()
        with campaign.file.open("rb") as handle:
            copy.file.save(campaign.file_name or "recipients", handle, save=True)
    else:
        copy.save()
    copy.groups.set(campaign.groups.all())
    _copy_short_link(copy, by)
    return copy


def _copy_short_link(copy: Campaign, by: User | None) -> None:
    """A repeated campaign gets its own short link (clicks are counted per campaign) while its domain is usable; the
    short link of its WhatsApp template stays, as the template cannot change."""
    link = copy.short_link
    if link is None or link == whatsapp_short_link(partner=copy.partner, steps=copy.steps):
        return
    usable = ShortDomain.objects.usable_by(copy.partner).filter(pk=link.domain_id).exists()
    copy.short_link = (
        short_link_create(partner=copy.partner, domain=link.domain, original_url=link.original_url, by=by)
        if usable
        else None
    )
    copy.save(update_fields=["short_link"])

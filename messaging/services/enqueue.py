"""Writing messages: what campaigns and the API call to send (``enqueue_messages``), and campaign controls."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Country
from billing.services.reference import ResolvedNumber, resolve_number
from messaging.models import (
    VIBER_PURPOSES,
    WHATSAPP_PURPOSES,
    CallbackTarget,
    CampaignDispatch,
    EdrType,
    Message,
    MessageStatus,
    Purpose,
)
from messaging.segments import message_parts
from messaging.services.effects import Effects
from messaging.services.sql import bulk_insert_rows
from messaging.services.triggers import trigger
from tenancy.models import Channel, Partner

MAX_TTL_SECONDS = 3 * 24 * 3600
CHANNELS = frozenset(Channel.values)  # the enum rebuilds its values list on every access
ZERO = Decimal(0)
CONTENT_FIELDS = ("channel", "sender", "text", "purpose", "flash", "validity_minutes", "image_url", "button_caption",
                  "button_url", "template_name", "template_params")  # fmt: skip
INSERT_COLUMNS = ("partner_id", "campaign_id", "label", "uuid", "transaction_id", "edr_type", "dialogue_id", "step",
                  "fallback", "recipient", "country_id", "network_id", "mccmnc", "parts", "is_simulation", "accept_mo",
                  "is_reply", "callback_target_id", "status", "due_at", "created_at", "status_at",
                  *CONTENT_FIELDS, "error_code", "error", "vendor_message_id", "cost", "rate", "from_pack",
                  "billing_mode", "claim", "auto_reply")  # fmt: skip
UNSET = ("", "", "", ZERO, ZERO, False, "", "")
UUID4_MASK = ~(0xC000 << 48) & ~(0xF000 << 64)  # the variant and version bits of a UUID
UUID4_BITS = (0x8000 << 48) | (4 << 76)  # RFC 4122 variant, version 4


@dataclass(frozen=True)
class ChannelContent:
    """What to send on one channel; a cascade is a list of these, SMS (if any) last.

    ``ttl``: seconds to wait for DELIVERED / SEEN on this channel before the next one is tried.
    """

    channel: str
    sender: str
    text: str = ""
    ttl: int | None = None
    purpose: str = ""
    flash: bool = False
    validity_minutes: int | None = None
    image_url: str = ""
    button_caption: str = ""
    button_url: str = ""
    template_name: str = ""
    template_params: tuple[Any, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["template_params"] = list(self.template_params)
        return {key: value for key, value in data.items() if value not in ("", None, False, [])}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChannelContent:
        data = dict(data)
        data["template_params"] = tuple(data.get("template_params") or ())
        return cls(**data)

    def message_fields(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "sender": self.sender,
            "text": self.text,
            "purpose": self.effective_purpose,
            "flash": self.flash,
            "validity_minutes": self.validity_minutes,
            "image_url": self.image_url,
            "button_caption": self.button_caption,
            "button_url": self.button_url,
            "template_name": self.template_name,
            "template_params": list(self.template_params),
        }

    @property
    def effective_purpose(self) -> str:
        if self.channel == Channel.VIBER:
            if self.image_url or self.button_url:
                return Purpose.PROMOTION  # a picture or a button makes it promotional
            return self.purpose or Purpose.TRANSACTION
        if self.channel == Channel.WHATSAPP:
            return self.purpose or Purpose.MARKETING
        return ""


@dataclass(frozen=True)
class OutgoingMessage:
    """One logical message to one recipient: the channels to try, in order."""

    recipient: str
    steps: Sequence[ChannelContent]
    transaction_id: uuid.UUID | None = None
    resolved: ResolvedNumber | None = None  # when the caller has resolved the number already
    # Each step's own text and template parameters (a personalized campaign): the steps themselves can then be one
    # object shared by every recipient, checked once.
    personal: Sequence[tuple[str, tuple[Any, ...]]] | None = None


@dataclass(frozen=True)
class CallbackSpec:
    url: str
    secret: str


@dataclass(frozen=True)
class Enqueued:
    recipient: str
    transaction_id: uuid.UUID
    message_id: int


@dataclass(frozen=True)
class NotEnqueued:
    recipient: str
    code: str
    reason: str


EnqueueResult = Enqueued | NotEnqueued


def check_steps(*, partner: Partner, steps: Sequence[ChannelContent], accept_mo: bool = False) -> list[ChannelContent]:
    """The cascade's channels, validated against the partner's options; raises ValidationError saying what is wrong."""
    if not steps:
        raise ValidationError(_("Choose at least one channel."), code="no_channels")
    channels = [step.channel for step in steps]
    if len(set(channels)) != len(channels):
        raise ValidationError(_("Each channel may appear once in a cascade."), code="duplicate_channel")
    if Channel.SMS in channels and channels[-1] != Channel.SMS:
        raise ValidationError(_("SMS is always the last channel of a cascade."), code="sms_not_last")
    allowed = set(partner.allowed_channels or [])
    checked = []
    for index, step in enumerate(steps):
        if step.channel not in CHANNELS:
            raise ValidationError(_("Unknown channel “%(channel)s”.") % {"channel": step.channel}, code="channel")
        label = Channel(step.channel).label
        if step.channel not in allowed:
            raise ValidationError(
                _("The %(channel)s channel is not enabled for this account.") % {"channel": label}, code="channel_off"
            )
        if not step.sender.strip():
            raise ValidationError(_("Choose a sender ID for %(channel)s.") % {"channel": label}, code="no_sender")
        if step.channel == Channel.WHATSAPP:
            if not step.template_name:
                raise ValidationError(_("WhatsApp messages are sent from a template."), code="no_template")
            if step.purpose and step.purpose not in WHATSAPP_PURPOSES:
                raise ValidationError(_("Unknown WhatsApp template category."), code="purpose")
        elif not step.text.strip():
            raise ValidationError(_("The message text must not be empty."), code="empty_text")
        if step.channel == Channel.VIBER and step.purpose and step.purpose not in VIBER_PURPOSES:
            raise ValidationError(_("The Viber traffic type is PROMOTION or TRANSACTION."), code="purpose")
        if step.button_url and not step.button_caption:
            raise ValidationError(_("A Viber button needs a caption."), code="button_caption")
        if step.flash:
            if step.channel != Channel.SMS:
                raise ValidationError(_("Flash messages exist on the SMS channel only."), code="flash_channel")
            if not partner.flash_enabled:
                raise ValidationError(_("Flash SMS is not enabled for this account."), code="flash_off")
            if accept_mo:
                raise ValidationError(_("MO messages are not supported with flash messages."), code="flash_mo")
        ttl = step.ttl
        last = index == len(steps) - 1
        if not last and (ttl is None or not 1 <= ttl <= MAX_TTL_SECONDS):
            raise ValidationError(
                _("Set a TTL between 1 second and 3 days for %(channel)s: the time before the next channel is tried.")
                % {"channel": label},
                code="ttl",
            )
        checked.append(step if not last else replace(step, ttl=None))
    if accept_mo and not partner.mo_enabled:
        raise ValidationError(_("MO messages are not enabled for this account."), code="mo_off")
    return checked


def callback_target(*, partner: Partner, spec: CallbackSpec) -> CallbackTarget:
    target, _created = CallbackTarget.objects.get_or_create(partner=partner, url=spec.url, secret=spec.secret)
    return target


def _personalized(
    content: dict[str, Any], plan: dict[str, Any] | None, personal: Sequence[tuple[str, tuple[Any, ...]]]
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The first step's fields and the cascade plan with the recipient's own texts."""
    text, params = personal[0]
    content = {**content, "text": text, "template_params": list(params)}
    if plan is not None:
        plan = {
            "ttl": plan["ttl"],
            "next": [
                {
                    key: value
                    for key, value in {**step, "text": text, "template_params": list(params)}.items()
                    if value not in ("", None, False, [])
                }
                for step, (text, params) in zip(plan["next"], personal[1:], strict=True)
            ],
        }
    return content, plan


def _uuid4s(count: int) -> Iterator[uuid.UUID]:
    """``count`` random (version 4) UUIDs: one read of the system's random source for all of them."""
    data = os.urandom(16 * count)
    whole = int.from_bytes
    for start in range(0, 16 * count, 16):
        yield uuid.UUID(int=(whole(data[start : start + 16]) & UUID4_MASK) | UUID4_BITS)


@transaction.atomic
def enqueue_messages(
    *,
    partner: Partner,
    messages: Iterable[OutgoingMessage],
    campaign_id: int | None = None,
    label: str = "",
    callback: CallbackSpec | None = None,
    accept_mo: bool = False,
    auto_reply: bool = False,
    simulation: bool = False,
    is_reply: bool = False,
    dialogue_id: uuid.UUID | None = None,
    send_at: datetime | None = None,
    default_country: Country | str | None = None,
) -> list[EnqueueResult]:
    """Write one PREPARED message (the first channel's attempt) per recipient, in bulk, and wake the dispatcher.

    Numbers are normalized and resolved to country / network; a number that cannot be resolved, or that
    repeats one already in this call, is returned as :class:`NotEnqueued` and written nowhere. Everything
    else (sender IDs, routes, prices) is checked when the message is dispatched: a message that cannot be
    sent then ends FAILED with the reason.
    """
    items = list(messages)
    now = timezone.now()
    due = max(send_at, now) if send_at else now
    target = callback_target(partner=partner, spec=callback) if callback else None
    target_id = target.pk if target else None
    checked: dict[int, tuple[list[ChannelContent], dict[str, Any] | None, dict[str, Any]]] = {}
    parts_of: dict[tuple[str, str], int] = {}
    results: list[EnqueueResult | None] = []
    rows: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    fresh = _uuid4s(2 * len(items))
    for item in items:
        key = id(item.steps)
        found = checked.get(key)
        if found is None:
            steps = check_steps(partner=partner, steps=item.steps, accept_mo=accept_mo)
            first, rest = steps[0], steps[1:]
            plan = {"ttl": first.ttl, "next": [step.to_json() for step in rest]} if rest else None
            found = checked[key] = (steps, plan, first.message_fields())
        steps, plan, content = found
        if item.personal is not None:
            content, plan = _personalized(content, plan, item.personal)
            if not content["text"].strip() and content["channel"] != Channel.WHATSAPP:
                results.append(NotEnqueued(item.recipient, "empty_text", _("The message text must not be empty.")))
                continue
        try:
            number = item.resolved or resolve_number(item.recipient, default_country)
        except ValidationError as error:
            results.append(NotEnqueued(item.recipient, error.code or "invalid_number", error.messages[0]))
            continue
        if number.e164 in seen:
            results.append(NotEnqueued(item.recipient, "duplicate", _("A duplicate of an earlier number: ignored.")))
            continue
        seen.add(number.e164)
        text_key = (content["channel"], content["text"])
        parts = parts_of.get(text_key)
        if parts is None:
            parts = parts_of[text_key] = message_parts(content["channel"], content["text"])
        rows.append(
            (partner.pk, campaign_id, label, next(fresh), item.transaction_id or next(fresh), EdrType.MT, dialogue_id,
             0, plan, number.e164, number.country.pk, number.network.pk if number.network else None, number.mccmnc,
             parts, simulation, accept_mo, is_reply, target_id, MessageStatus.PREPARED, due, now, now,
             *[content[name] for name in CONTENT_FIELDS], *UNSET, auto_reply)
        )  # fmt: skip
        results.append(None)
    # The new rows come back in the order they were given (as Django's bulk_create relies on too).
    ids = iter(bulk_insert_rows(Message, INSERT_COLUMNS, rows, returning=("id",)))
    effects = Effects(now=now)
    effects.created((campaign_id, row[22], partner.pk, row[13], MessageStatus.PREPARED) for row in rows)
    effects.flush()
    pending = iter(rows)
    final: list[EnqueueResult] = []
    for result in results:
        if result is None:
            row = next(pending)
            final.append(Enqueued(row[9], row[4], next(ids)[0]))
        else:
            final.append(result)
    if rows:
        trigger("dispatch")
    return final


# Campaign controls -------------------------------------------------------------------------------------------------


@transaction.atomic
def campaign_dispatch_set(
    *, campaign_id: int, partner: Partner, rate_limit: int | None = None, rate_period: int | None = None
) -> CampaignDispatch:
    """Limit a campaign to ``rate_limit`` messages per ``rate_period`` seconds (None or 0: no limit)."""
    if rate_limit and (not rate_period or rate_period < 1):
        raise ValidationError(_("Give the period of the rate limit in seconds."), code="rate_period")
    if rate_limit is not None and rate_limit < 0:
        raise ValidationError(_("The rate limit must not be negative."), code="rate_limit")
    row, _created = CampaignDispatch.objects.update_or_create(
        campaign_id=campaign_id,
        defaults={
            "partner": partner,
            "rate_limit": rate_limit or None,
            "rate_period": rate_period if rate_limit else None,
            "updated_at": timezone.now(),
        },
    )
    return row


def _waiting(campaign_id: int) -> Any:
    return Message.objects.filter(
        campaign_id=campaign_id, status__in=[MessageStatus.PREPARED, MessageStatus.BILLED], claim=""
    )


@transaction.atomic
def campaign_pause(*, campaign_id: int, partner: Partner) -> int:
    """Hold the campaign's messages that are not sent yet; returns how many were held."""
    CampaignDispatch.objects.update_or_create(
        campaign_id=campaign_id, defaults={"partner": partner, "paused": True, "updated_at": timezone.now()}
    )
    return _waiting(campaign_id).update(due_at=None)


@transaction.atomic
def campaign_resume(*, campaign_id: int, partner: Partner) -> int:
    CampaignDispatch.objects.update_or_create(
        campaign_id=campaign_id, defaults={"partner": partner, "paused": False, "updated_at": timezone.now()}
    )
    count = _waiting(campaign_id).update(due_at=timezone.now())
    if count:
        trigger("dispatch")
    return count


@transaction.atomic
def campaign_cancel(*, campaign_id: int, partner: Partner) -> int:
    """Fail every message of the campaign that has not gone out yet (refunding what was charged)."""
    from messaging.services.dispatch import fail_waiting

    CampaignDispatch.objects.update_or_create(
        campaign_id=campaign_id, defaults={"partner": partner, "paused": True, "updated_at": timezone.now()}
    )
    ids = list(_waiting(campaign_id).values_list("pk", flat=True))
    return fail_waiting(ids, code="canceled", error=_("The campaign was canceled before this message was sent."))

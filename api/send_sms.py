"""The ``send_sms`` method: read the guide's parameters, check the request, hand the messages to messaging.

Request-level problems (nothing is sent) raise :class:`RequestError`; problems of one number (a bad number, a
duplicate, the 700 cap, a sender ID that is not enabled) become that number's line in ``results``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiKey
from messaging.models import Purpose
from messaging.services import CallbackSpec, ChannelContent, Enqueued, OutgoingMessage, check_steps, enqueue_messages
from senders.services import sender_id_check
from tenancy.models import Channel, Partner

MAX_RECIPIENTS = 700
MAX_MESSAGES = 700
DEFAULT_FALLBACK_TTL = 3600
LABEL_MAX = 100
CAPTION_MAX = 30
CHANNEL_NAMES = {
    "sms": Channel.SMS,
    "viber": Channel.VIBER,
    "whatsapp": Channel.WHATSAPP,
    "whats_app": Channel.WHATSAPP,
}
LIST_FIELDS = ("channels", "to", "smsTemplateParams", "viberTemplateParams", "templateParams")
QUERY_FIELDS = ("channels", "from", "to", "message", "label", "fallbackTtl", "isFlashed", "acceptMO", "autoReply",
                "trafficType", "buttonActionUrl", "imageUrl", "buttonCaption", "smsTemplateName", "smsTemplateParams",
                "viberTemplateName", "viberTemplateParams", "templateName", "templateParams")  # fmt: skip
NOT_DIGITS = re.compile(r"[\s+\-().]")


class RequestError(Exception):
    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


@dataclass
class ParsedMessage:
    index: int
    steps: list[ChannelContent]
    recipients: list[str]
    label: str
    accept_mo: bool
    auto_reply: bool
    sender: str
    results: dict[int, str] = field(default_factory=dict)


def from_query(params: Any) -> dict[str, Any]:
    """One message object from GET parameters; list fields may repeat or be comma-separated."""
    data: dict[str, Any] = {}
    for name in QUERY_FIELDS:
        if name not in params:
            continue
        if name in LIST_FIELDS:
            values = [part.strip() for value in params.getlist(name) for part in value.split(",")]
            data[name] = [value for value in values if value]
        else:
            data[name] = params.get(name)
    return data


def _error(index: int, code: str, message: str) -> RequestError:
    prefix = _("Message %(number)d: ") % {"number": index + 1}
    return RequestError(code, prefix + message, {"message": index + 1})


def _boolean(item: Mapping[str, Any], name: str, index: int) -> bool:
    value = item.get(name)
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    raise _error(index, "invalid_boolean", _("“%(name)s” is true or false.") % {"name": name})


def _text(item: Mapping[str, Any], name: str, index: int) -> str:
    value = item.get(name)
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise _error(index, "invalid_parameter", _("“%(name)s” must be text.") % {"name": name})
    return value


def _list(item: Mapping[str, Any], name: str, index: int) -> list[str]:
    value = item.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        return [str(v).strip() for v in value if str(v).strip()]
    raise _error(index, "invalid_parameter", _("“%(name)s” must be text or a list of texts.") % {"name": name})


def _params(item: Mapping[str, Any], name: str, index: int) -> tuple[Any, ...]:
    value = item.get(name)
    if value is None or value == "":
        return ()
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, (dict, str, int, float)) and not isinstance(value, bool):
        return (value,) if not isinstance(value, str) else tuple(p.strip() for p in value.split(","))
    raise _error(index, "invalid_parameter", _("“%(name)s” must be a list of parameters.") % {"name": name})


def _url(item: Mapping[str, Any], name: str, index: int) -> str:
    value = _text(item, name, index).strip()
    if value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError as error:
            raise _error(
                index, "invalid_url", _("“%(name)s” must be an http or https URL.") % {"name": name}
            ) from error
    return value


def _channels(item: Mapping[str, Any], index: int) -> list[str]:
    names = _list(item, "channels", index)
    if not names:
        raise _error(index, "no_channels", _("Give the channels to send on (SMS, Viber, WhatsApp)."))
    channels = []
    for name in names:
        channel = CHANNEL_NAMES.get(name.strip().lower().replace(" ", "_"))
        if channel is None:
            raise _error(index, "unknown_channel", _("Unknown channel “%(name)s”.") % {"name": name})
        channels.append(str(channel))
    return channels


def _ttl(item: Mapping[str, Any], index: int) -> int:
    value = item.get("fallbackTtl")
    if value is None or value == "":
        return DEFAULT_FALLBACK_TTL
    try:
        ttl = int(str(value).strip()) if not isinstance(value, bool) else -1
    except ValueError:
        ttl = -1
    if ttl < 1:
        raise _error(index, "invalid_ttl", _("“fallbackTtl” is a whole number of seconds."))
    return ttl


def parse_message(*, partner: Partner, item: Any, index: int) -> ParsedMessage:
    if not isinstance(item, dict):
        raise _error(index, "invalid_message", _("Each message is a JSON object."))
    channels = _channels(item, index)
    sender = _text(item, "from", index).strip()
    if not sender:
        raise _error(index, "no_sender", _("Give the sender ID in “from”."))
    recipients = _list(item, "to", index)
    if not recipients:
        raise _error(index, "no_recipients", _("Give at least one number in “to”."))
    text = _text(item, "message", index)
    template_name = _text(item, "templateName", index).strip()
    whatsapp_only = channels == [Channel.WHATSAPP]
    if not text.strip() and not (whatsapp_only and template_name):
        raise _error(index, "no_message", _("The message must not be empty."))
    label = _text(item, "label", index).strip() or timezone.now().date().isoformat()
    if len(label) > LABEL_MAX:
        raise _error(index, "invalid_label", _("A label has at most 100 characters."))
    flash = _boolean(item, "isFlashed", index)
    accept_mo = _boolean(item, "acceptMO", index)
    auto_reply = _boolean(item, "autoReply", index)
    traffic = _text(item, "trafficType", index).strip().lower()
    if traffic and traffic not in (Purpose.PROMOTION, Purpose.TRANSACTION):
        raise _error(index, "invalid_traffic_type", _("“trafficType” is PROMOTION or TRANSACTION."))
    caption = _text(item, "buttonCaption", index).strip()
    if len(caption) > CAPTION_MAX:
        raise _error(index, "invalid_button_caption", _("A button caption has at most 30 characters."))
    ttl = _ttl(item, index)
    steps = []
    for channel in channels:
        common: dict[str, Any] = {"channel": channel, "sender": sender, "text": text, "ttl": ttl}
        if channel == Channel.SMS:
            common.update(
                flash=flash,
                template_name=_text(item, "smsTemplateName", index).strip(),
                template_params=_params(item, "smsTemplateParams", index),
            )
        elif channel == Channel.VIBER:
            common.update(
                purpose=traffic,
                image_url=_url(item, "imageUrl", index),
                button_url=_url(item, "buttonActionUrl", index),
                button_caption=caption,
                template_name=_text(item, "viberTemplateName", index).strip(),
                template_params=_params(item, "viberTemplateParams", index),
            )
        else:
            common.update(template_name=template_name, template_params=_params(item, "templateParams", index))
        steps.append(ChannelContent(**common))
    if flash and Channel.SMS not in channels:
        raise _error(index, "flash_channel", _("Flash messages exist on the SMS channel only."))
    if auto_reply and not partner.mo_enabled:
        raise _error(index, "mo_off", _("MO messages are off for this account, so auto-replies are too."))
    try:
        checked = check_steps(partner=partner, steps=steps, accept_mo=accept_mo)
    except ValidationError as error:
        raise _error(index, error.code or "invalid_message", error.messages[0]) from error
    return ParsedMessage(index, checked, recipients, label, accept_mo, auto_reply, sender)


def _digits(number: str) -> str:
    return NOT_DIGITS.sub("", number).lstrip("0")


def send(*, partner: Partner, api_key: ApiKey, payload: Any) -> list[str]:
    """Check every message of the request first, then send; the result lines follow the request's numbers."""
    items = [payload] if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        raise RequestError("malformed_request", _("Send a JSON array of message objects."))
    if not items:
        raise RequestError("no_messages", _("The request has no messages."))
    if len(items) > MAX_MESSAGES:
        raise RequestError("too_many_messages", _("A request carries at most 700 message objects."))
    parsed = [parse_message(partner=partner, item=item, index=index) for index, item in enumerate(items)]
    callback = CallbackSpec(url=api_key.callback_url, secret=api_key.callback_secret) if api_key.callback_url else None
    lines: list[str] = []
    budget = MAX_RECIPIENTS
    # One message object is one enqueue call (atomic already); several are written together or not at all.
    with transaction.atomic() if len(parsed) > 1 else nullcontext():
        for message in parsed:
            lines.extend(_send_one(partner=partner, message=message, callback=callback, budget=budget))
            budget = max(0, budget - sum(1 for line in message.results.values() if line == ""))
    return lines


def _send_one(*, partner: Partner, message: ParsedMessage, callback: CallbackSpec | None, budget: int) -> list[str]:
    """Lines for one message object; ``message.results`` marks the numbers that used the 700 budget with ""."""
    sender_error = ""
    for step in message.steps:
        try:
            sender_id_check(partner=partner, channel=step.channel, value=step.sender)
        except ValidationError as error:
            sender_error = error.messages[0]
            break
    seen: set[str] = set()
    to_send: list[tuple[int, str]] = []
    lines: list[str | None] = []
    for position, number in enumerate(message.recipients):
        key = _digits(number)
        if key in seen:
            lines.append(f"{number}: " + _("duplicate of an earlier number, ignored"))
            continue
        seen.add(key)
        if budget <= 0:
            lines.append(f"{number}: " + _("not sent: a request may have at most 700 recipients"))
            continue
        budget -= 1
        message.results[position] = ""
        if sender_error:
            lines.append(f"{number}: {sender_error}")
            continue
        to_send.append((position, number))
        lines.append(None)
    if to_send:
        results = enqueue_messages(
            partner=partner,
            messages=[OutgoingMessage(number, message.steps) for _position, number in to_send],
            label=message.label,
            callback=callback,
            accept_mo=message.accept_mo,
            auto_reply=message.auto_reply,
        )
        outcome = iter(results)
        for position, line in enumerate(lines):
            if line is not None:
                continue
            result = next(outcome)
            number = message.recipients[position]
            if isinstance(result, Enqueued):
                lines[position] = f"{number}: {result.transaction_id}"
            else:
                lines[position] = f"{number}: {result.reason}"
    return [line or "" for line in lines]

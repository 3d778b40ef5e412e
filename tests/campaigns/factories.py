"""Campaigns test data, built through the services like the product builds it."""

from __future__ import annotations

import itertools
from typing import Any

from campaigns import services
from campaigns.models import Campaign, MessageTemplate
from tenancy.models import Channel, Partner

_seq = itertools.count(1)


def make_campaign(partner: Partner, **fields: Any) -> Campaign:
    fields.setdefault("name", f"Campaign {next(_seq)}")
    fields.setdefault("steps", [{"channel": Channel.SMS, "sender": "Shop", "text": "Hello {first_name}"}])
    return services.campaign_create(partner=partner, by=partner.users.order_by("pk").first(), **fields)


def make_template(partner: Partner, **fields: Any) -> MessageTemplate:
    fields.setdefault("name", f"Template {next(_seq)}")
    fields.setdefault("channel", Channel.SMS)
    fields.setdefault("text", "Hello {first_name}")
    template = MessageTemplate(partner=partner, **fields)
    return services.template_save(template=template, by=None)

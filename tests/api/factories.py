"""API keys and MO routes of an end user, for the isolation test and the API tests."""

from __future__ import annotations

import itertools

from api import services
from api.models import ApiKey, Expiration, MoRoute
from senders.models import SenderID
from tenancy.models import Channel, Partner, User

_seq = itertools.count(1)


def make_api_key(partner: Partner, user: User | None = None, **fields: object) -> ApiKey:
    owner = user or User.objects.filter(partner=partner).first()
    assert owner is not None
    return services.api_key_create(
        partner=partner,
        by=owner,
        name=str(fields.get("name", f"Key {next(_seq)}")),
        expiration=str(fields.get("expiration", Expiration.MONTH)),
        callback_url=str(fields.get("callback_url", "")),
    ).api_key


def make_mo_route(partner: Partner, url: str = "https://hooks.example.com/mo") -> MoRoute:
    sender = SenderID.objects.create(
        partner=partner, value=f"Mo{next(_seq)}", channel=Channel.SMS, status=SenderID.Status.ENABLED
    )
    return services.mo_route_save(partner=partner, url=url, sender_ids=[sender])

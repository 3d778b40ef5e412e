"""MO messages also go to the partner's Callback Settings: the sender ID's route, else the default MO URL."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from api.services import callback_settings_for, mo_callback_url
from messaging.models import CallbackDelivery, CallbackTarget, Message, MessageStatus
from messaging.services.dlr import mo_received
from messaging.services.effects import CHANNEL_NAMES, event_time
from messaging.services.enqueue import CallbackSpec, callback_target
from messaging.services.triggers import trigger


@receiver(mo_received, dispatch_uid="api.mo_route_callback")
def forward_mo_to_route(sender: Any, *, message: Message, reply_to: Message, **kwargs: Any) -> None:
    url = mo_callback_url(partner_id=message.partner_id, sender_id_value=message.recipient)
    if not url:
        return
    if reply_to.accept_mo and reply_to.callback_target_id is not None:
        already = CallbackTarget.objects.filter(pk=reply_to.callback_target_id).values_list("url", flat=True).first()
        if already == url:
            return  # the API key's callback has it already
    partner = message.partner
    with transaction.atomic():
        secret = callback_settings_for(partner).secret
        target = callback_target(partner=partner, spec=CallbackSpec(url=url, secret=secret))
        CallbackDelivery.objects.create(
            target=target,
            partner=partner,
            message=message,
            event=CallbackDelivery.Event.MO,
            payload={
                "transactionID": str(reply_to.transaction_id),
                "dnis": message.sender,
                "status": MessageStatus.DELIVERED.upper(),
                "eventTime": event_time(message.created_at),
                "channel": CHANNEL_NAMES.get(message.channel, message.channel.upper()),
                "message": message.text,
            },
            next_attempt_at=timezone.now(),
        )
        trigger("callbacks")

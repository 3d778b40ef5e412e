"""The delivery engine's services (DESIGN.md §6–§9): what campaigns, the API, tasks and views call."""

from messaging.services.callbacks import send_due as callbacks_send_due
from messaging.services.dispatch import dispatch_batch, dispatch_due, fail_waiting, reconcile_claims, record_submits
from messaging.services.dlr import (
    deliver_simulator_batch,
    deliver_simulator_events,
    match_unmatched,
    mo_received,
    process_timers,
    purge_old,
    record_dlrs,
    record_mo,
)
from messaging.services.enqueue import (
    CallbackSpec,
    ChannelContent,
    Enqueued,
    EnqueueResult,
    NotEnqueued,
    OutgoingMessage,
    callback_target,
    campaign_cancel,
    campaign_dispatch_set,
    campaign_pause,
    campaign_resume,
    check_steps,
    enqueue_messages,
)
from messaging.services.vendors import route_delete, route_save, vendor_new_token, vendor_save

__all__ = [
    "CallbackSpec",
    "ChannelContent",
    "EnqueueResult",
    "Enqueued",
    "NotEnqueued",
    "OutgoingMessage",
    "callback_target",
    "callbacks_send_due",
    "campaign_cancel",
    "campaign_dispatch_set",
    "campaign_pause",
    "campaign_resume",
    "check_steps",
    "deliver_simulator_batch",
    "deliver_simulator_events",
    "dispatch_batch",
    "dispatch_due",
    "enqueue_messages",
    "fail_waiting",
    "match_unmatched",
    "mo_received",
    "process_timers",
    "purge_old",
    "reconcile_claims",
    "record_dlrs",
    "record_mo",
    "record_submits",
    "route_delete",
    "route_save",
    "vendor_new_token",
    "vendor_save",
]

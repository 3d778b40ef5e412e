"""The built-in simulator vendor: the default route in the demo and in tests, and what simulation requests use.

Outcomes are deterministic: every decision is a hash of the vendor's ``seed``, the message's reference
and what is being decided, so a run can be repeated exactly. The simulator keeps what a real vendor
keeps on its side (:class:`messaging.models.SimulatorEvent`): the messages it accepted and the
delivery reports and MO replies it owes, each with the time it becomes due. A periodic task (and one
queued right after a submit) sends the due ones back through ``record_dlrs`` / ``record_mo``, so
reports arrive asynchronously, like a real vendor's.

Settings (all optional)::

    {"seed": 1,                       # another seed, other outcomes
     "delivery_ratio": 0.95,          # share of accepted messages that are delivered
     "network_ratios": {"21407": 0.5},# per MCCMNC (or MCC) override of the ratio
     "reject_ratio": 0.0,             # share rejected at submit ("Rejected by vendor")
     "latency": [1, 5],               # seconds from submit to the report: a number or [min, max]
     "seen_ratio": 0.6,               # Viber / WhatsApp: share of delivered messages also SEEN
     "seen_delay": 10,                # seconds from DELIVERED to SEEN
     "mo_ratio": 0.0,                 # share of delivered messages the subscriber answers
     "mo_texts": ["YES", "STOP"]}     # what they answer
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from messaging.connectors.base import Connector, Lookup, Outbound, SubmitResult
from messaging.models import MessageStatus, SimulatorEvent
from messaging.services.sql import bulk_insert_rows
from tenancy.models import Channel

UNDELIVERED_ERRORS = (
    "Absent subscriber",
    "Subscriber's phone is switched off",
    "Unknown subscriber",
    "Message expired in the network",
)
REJECTED = "Rejected by vendor"
DEFAULT_MO_TEXTS = ("YES", "STOP", "INFO")
SCALE = float(1 << 64)
EVENT_COLUMNS = ("vendor_id", "client_ref", "vendor_message_id", "kind", "status", "error", "text", "sender",
                 "recipient", "due_at", "created_at")  # fmt: skip


def _ratio(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise ValidationError(
            _("%(name)s must be a number between 0 and 1.") % {"name": name}, code="settings"
        ) from error
    if not 0 <= number <= 1:
        raise ValidationError(_("%(name)s must be between 0 and 1.") % {"name": name}, code="settings")
    return number


class SimulatorConnector(Connector):
    kind = "simulator"
    predictable_ids = True
    batch_size = 1000

    def __init__(self, *, vendor_id: int, code: str, settings: dict[str, Any]) -> None:
        super().__init__(vendor_id=vendor_id, code=code, settings=settings)
        clean = self.check_settings(settings)
        self.seed = str(clean.get("seed", 1))
        self.delivery_ratio = float(clean.get("delivery_ratio", 0.95))
        self.network_ratios = {str(k): float(v) for k, v in clean.get("network_ratios", {}).items()}
        self.reject_ratio = float(clean.get("reject_ratio", 0.0))
        latency = clean.get("latency", [1, 5])
        self.latency = (float(latency[0]), float(latency[1])) if isinstance(latency, list) else (latency, latency)
        self.seen_ratio = float(clean.get("seen_ratio", 0.6))
        self.seen_delay = float(clean.get("seen_delay", 10))
        self.mo_ratio = float(clean.get("mo_ratio", 0.0))
        self.mo_texts = tuple(clean.get("mo_texts") or DEFAULT_MO_TEXTS)

    @classmethod
    def check_settings(cls, settings: dict[str, Any]) -> dict[str, Any]:
        settings = super().check_settings(settings)
        for name in ("delivery_ratio", "reject_ratio", "seen_ratio", "mo_ratio"):
            if name in settings:
                _ratio(settings[name], name)
        for key, value in (settings.get("network_ratios") or {}).items():
            _ratio(value, f"network_ratios[{key}]")
        latency = settings.get("latency", [1, 5])
        values = latency if isinstance(latency, list) else [latency]
        if not 1 <= len(values) <= 2 or not all(isinstance(v, int | float) and v >= 0 for v in values):
            raise ValidationError(_("latency must be seconds (a number ≥ 0) or [min, max]."), code="settings")
        if isinstance(latency, list) and len(latency) == 1:
            settings = {**settings, "latency": [latency[0], latency[0]]}
        mo_texts = settings.get("mo_texts")
        if mo_texts is not None and (not isinstance(mo_texts, list) or not all(isinstance(t, str) for t in mo_texts)):
            raise ValidationError(_("mo_texts must be a list of texts."), code="settings")
        return settings

    def draw(self, ref: int, what: str) -> float:
        """A number in [0, 1) fixed by the seed, the message and the decision."""
        digest = hashlib.blake2b(f"{self.seed}:{ref}:{what}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / SCALE

    def expected_id(self, *, ref: int, uuid: str = "") -> str:
        return f"sim-{self.vendor_id}-{ref}"

    def delivery_ratio_for(self, mccmnc: str) -> float:
        ratios = self.network_ratios
        if mccmnc in ratios:
            return ratios[mccmnc]
        return ratios.get(mccmnc[:3], self.delivery_ratio)

    def submit(self, messages: Sequence[Outbound]) -> list[SubmitResult]:
        now = timezone.now()
        low, high = self.latency
        results: list[SubmitResult] = []
        events: list[tuple[Any, ...]] = []
        for message in messages:
            ref = message.ref
            if self.reject_ratio and self.draw(ref, "reject") < self.reject_ratio:
                results.append(SubmitResult.rejected(REJECTED))
                continue
            vendor_id = self.expected_id(ref=ref)
            results.append(SubmitResult.ok(vendor_id))
            delay = low if high <= low else low + (high - low) * self.draw(ref, "latency")
            due = now + timedelta(seconds=delay)
            delivered = self.draw(ref, "deliver") < self.delivery_ratio_for(message.mccmnc)
            if delivered:
                events.append(self._event(ref, vendor_id, MessageStatus.DELIVERED, due))
            else:
                error = UNDELIVERED_ERRORS[int(self.draw(ref, "error") * len(UNDELIVERED_ERRORS))]
                events.append(self._event(ref, vendor_id, MessageStatus.UNDELIVERED, due, error=error))
            if not delivered:
                continue
            if message.channel != Channel.SMS and self.seen_ratio and self.draw(ref, "seen") < self.seen_ratio:
                events.append(self._event(ref, vendor_id, MessageStatus.SEEN, due + timedelta(seconds=self.seen_delay)))
            if self.mo_ratio and self.draw(ref, "mo") < self.mo_ratio:
                text = self.mo_texts[int(self.draw(ref, "mo-text") * len(self.mo_texts))]
                mo_due = due + timedelta(seconds=max(1.0, self.seen_delay))
                events.append(
                    self._event(ref, vendor_id, "", mo_due, kind=SimulatorEvent.Kind.MO, text=text[:160],
                                sender=message.recipient, recipient=message.sender)
                )  # fmt: skip
        bulk_insert_rows(SimulatorEvent, EVENT_COLUMNS, events)
        return results

    def _event(self, ref: int, vendor_message_id: str, status: str, due: Any, *, error: str = "",
               kind: str = SimulatorEvent.Kind.DLR, text: str = "", sender: str = "", recipient: str = ""
               ) -> tuple[Any, ...]:  # fmt: skip
        return (self.vendor_id, ref, vendor_message_id, kind, status, error, text, sender, recipient, due, due)

    def lookup(self, refs: Sequence[int]) -> dict[int, str]:
        found = dict(
            SimulatorEvent.objects.filter(
                vendor_id=self.vendor_id, client_ref__in=list(refs), kind=SimulatorEvent.Kind.DLR
            ).values_list("client_ref", "vendor_message_id")
        )
        return {ref: found.get(ref, Lookup.NOT_RECEIVED) for ref in refs}

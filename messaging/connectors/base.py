"""The one interface every channel / vendor protocol implements.

The dispatcher hands a connector a batch of :class:`Outbound` messages of one vendor and gets one
:class:`SubmitResult` per message back, in order: accepted with the vendor's message id, rejected
with the vendor's reason (final), or ``retry`` (the vendor never took it, e.g. it could not be
reached: safe to send again later). Delivery reports and MO messages come back through
``messaging.services.record_dlrs`` / ``record_mo``, from a webhook, a vendor bind or the simulator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@dataclass(frozen=True, slots=True)
class Outbound:
    """What a connector needs to send one message."""

    ref: int  # our message id: the client reference a vendor may echo back
    uuid: str
    transaction_id: str
    channel: str
    sender: str
    recipient: str
    text: str
    parts: int = 1
    mccmnc: str = ""
    purpose: str = ""
    flash: bool = False
    validity_minutes: int | None = None
    image_url: str = ""
    button_caption: str = ""
    button_url: str = ""
    template_name: str = ""
    template_params: list[Any] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SubmitResult:
    accepted: bool
    vendor_message_id: str = ""
    error: str = ""
    retry: bool = False  # not taken by the vendor: send again later

    @classmethod
    def ok(cls, vendor_message_id: str) -> SubmitResult:
        return cls(True, vendor_message_id)

    @classmethod
    def rejected(cls, error: str) -> SubmitResult:
        return cls(False, error=error[:255])

    @classmethod
    def later(cls, error: str) -> SubmitResult:
        return cls(False, error=error[:255], retry=True)


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery report: the vendor's id of the message, its status (our words) and when it happened."""

    vendor_message_id: str
    status: str
    at: datetime
    error: str = ""


@dataclass(frozen=True, slots=True)
class Inbound:
    """An MO message: from the subscriber to one of our sender IDs."""

    sender: str
    recipient: str
    text: str
    at: datetime
    vendor_message_id: str = ""
    in_reply_to: str = ""  # the vendor id of the MT it answers, when the vendor knows it


class Lookup:
    """What a vendor says about a message whose submission outcome we lost (a worker died mid-batch)."""

    NOT_RECEIVED = "not_received"
    UNKNOWN = "unknown"


class Connector:
    """Base class: one instance per vendor, built from the vendor's settings."""

    kind: ClassVar[str] = ""
    #: the vendor message id is known before submitting (derived from our reference)
    predictable_ids: ClassVar[bool] = False
    #: how many messages one ``submit`` call takes
    batch_size: ClassVar[int] = 500

    def __init__(self, *, vendor_id: int, code: str, settings: dict[str, Any]) -> None:
        self.vendor_id = vendor_id
        self.code = code
        self.settings = settings

    @classmethod
    def check_settings(cls, settings: dict[str, Any]) -> dict[str, Any]:
        """Validated, normalized settings (raises ValidationError with a clear message)."""
        if not isinstance(settings, dict):
            raise ValidationError(_("The settings must be a JSON object."), code="settings")
        return settings

    @property
    def resubmit_safe(self) -> bool:
        """Whether a message whose outcome is unknown may be sent again (the vendor drops duplicates)."""
        return bool(self.settings.get("idempotent", False))

    def expected_id(self, *, ref: int, uuid: str) -> str:
        """The vendor id a message will get, for connectors with ``predictable_ids``."""
        raise NotImplementedError

    def submit(self, messages: Sequence[Outbound]) -> list[SubmitResult]:
        raise NotImplementedError

    def lookup(self, refs: Sequence[int]) -> dict[int, str]:
        """For each reference: the vendor id if the vendor took it, ``Lookup.NOT_RECEIVED`` or ``Lookup.UNKNOWN``."""
        return dict.fromkeys(refs, Lookup.UNKNOWN)

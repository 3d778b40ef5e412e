"""Client callbacks: JSON POSTs of status changes and MO messages, signed, retried with backoff, logged.

Every request carries:

- ``Content-Type: application/json``;
- ``X-Callback-Id``: the delivery's id (the same on every retry, so the client can drop repeats);
- ``X-Callback-Attempt``: 1 for the first try, then 2, 3, …;
- ``X-Signature: t=<unix seconds>,v1=<hex>`` where ``<hex>`` is HMAC-SHA256 keyed with the callback's
  secret over ``"<t>.<raw request body>"``. The client recomputes it, compares in constant time and
  may refuse a ``t`` too far from its clock.

A 2xx answer delivers the callback. Anything else (another status, a timeout, a refused connection)
is retried after 30 s, 1, 2, 4 … minutes (at most an hour apart) up to ``MESSAGING_CALLBACK_ATTEMPTS``
attempts, then the delivery is marked failed. Each attempt is kept in the delivery log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from messaging import httpclient
from messaging.models import CallbackAttempt, CallbackDelivery, CallbackTarget

SIGNATURE_HEADER = "X-Signature"
LEASE = timedelta(minutes=5)
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
TIMEOUT_SECONDS = 10


def max_attempts() -> int:
    return int(getattr(settings, "MESSAGING_CALLBACK_ATTEMPTS", 10))


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, body: bytes, header: str, *, tolerance: int | None = None, now: float | None = None) -> bool:
    """Check a signature header (what a client does; used by the tests)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if tolerance is not None and abs((now or time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), header)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    return timedelta(seconds=min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1)))


def _claim(limit: int, now: datetime) -> list[tuple[int, int, dict[str, object], int]]:
    with transaction.atomic():
        rows = list(
            CallbackDelivery.objects.filter(status=CallbackDelivery.Status.PENDING, next_attempt_at__lte=now)
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at")
            .values_list("pk", "target_id", "payload", "attempts")[:limit]
        )
        if rows:
            CallbackDelivery.objects.filter(pk__in=[row[0] for row in rows]).update(next_attempt_at=now + LEASE)
    return rows


def _post(target: CallbackTarget, delivery_id: int, payload: dict[str, object], attempt: int) -> tuple[int | None, str]:
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Callback-Id": str(delivery_id),
        "X-Callback-Attempt": str(attempt),
        SIGNATURE_HEADER: sign(target.secret, body, int(time.time())),
    }
    try:
        answer = httpclient.request("POST", target.url, body=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except (httpclient.TransportError, ValueError) as error:
        return None, str(error)[:255]
    return answer.status, "" if 200 <= answer.status < 300 else answer.text[:255]


def send_due(*, limit: int = 100, now: datetime | None = None) -> int:
    """Try the callbacks that are due; returns how many were tried."""
    now = now or timezone.now()
    rows = _claim(limit, now)
    if not rows:
        return 0
    targets = CallbackTarget.objects.in_bulk({row[1] for row in rows})
    for delivery_id, target_id, payload, attempts in rows:
        attempt = attempts + 1
        started = time.monotonic()
        code, error = _post(targets[target_id], delivery_id, payload, attempt)
        duration = int((time.monotonic() - started) * 1000)
        moment = timezone.now()
        ok = code is not None and 200 <= code < 300
        with transaction.atomic():
            CallbackAttempt.objects.create(
                delivery_id=delivery_id, at=moment, status_code=code, error=error, duration_ms=duration
            )
            changes: dict[str, object] = {"attempts": attempt, "last_status_code": code, "last_error": error}
            if ok:
                changes.update(status=CallbackDelivery.Status.DELIVERED, delivered_at=moment, next_attempt_at=None)
            elif attempt >= max_attempts():
                changes.update(status=CallbackDelivery.Status.FAILED, next_attempt_at=None)
            else:
                changes.update(next_attempt_at=moment + backoff(attempt))
            CallbackDelivery.objects.filter(pk=delivery_id, status=CallbackDelivery.Status.PENDING).update(**changes)
    return len(rows)

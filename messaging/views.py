"""Vendor webhooks: delivery reports (``/hooks/vendors/<code>/dlr``) and MO messages (``/hooks/vendors/<code>/mo``).

Each vendor authenticates with its own token: an ``Authorization: Bearer <token>`` header, an
``X-Vendor-Token`` header or a ``token`` query parameter (for vendors such as Kannel whose report URL
can carry query parameters only). A request carries one report (a JSON object, or query / form
parameters) or many (a JSON array). Field names and status words are set per vendor in its settings
(``dlr`` and ``mo``); see ``messaging.connectors.http``.
"""

from __future__ import annotations

import hmac
import json
import logging
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from messaging import services
from messaging.connectors import Inbound, Receipt
from messaging.connectors.http import dig
from messaging.models import MessageStatus, Vendor

logger = logging.getLogger(__name__)

MAX_ITEMS = 1000
STATUS_WORDS = {
    "delivered": MessageStatus.DELIVERED,
    "delivrd": MessageStatus.DELIVERED,
    "success": MessageStatus.DELIVERED,
    "1": MessageStatus.DELIVERED,
    "seen": MessageStatus.SEEN,
    "read": MessageStatus.SEEN,
    "undelivered": MessageStatus.UNDELIVERED,
    "undeliv": MessageStatus.UNDELIVERED,
    "undeliverable": MessageStatus.UNDELIVERED,
    "expired": MessageStatus.UNDELIVERED,
    "deleted": MessageStatus.UNDELIVERED,
    "unknown": MessageStatus.UNDELIVERED,
    "2": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "rejected": MessageStatus.FAILED,
    "rejectd": MessageStatus.FAILED,
    "16": MessageStatus.FAILED,
    "sent": MessageStatus.SENT,
    "accepted": MessageStatus.SENT,
    "acceptd": MessageStatus.SENT,
    "enroute": MessageStatus.SENT,
    "buffered": MessageStatus.SENT,
    "4": MessageStatus.SENT,
    "8": MessageStatus.SENT,
}


def _token(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("X-Vendor-Token") or request.GET.get("token") or request.POST.get("token") or ""


def _vendor(request: HttpRequest, code: str) -> Vendor | JsonResponse:
    vendor = Vendor.objects.filter(code=code, enabled=True).first()
    if vendor is None:
        return JsonResponse({"error": "unknown_vendor"}, status=404)
    if not hmac.compare_digest(_token(request).encode(), vendor.dlr_token.encode()):
        return JsonResponse({"error": "unauthorized"}, status=401)
    return vendor


def _items(request: HttpRequest) -> list[dict[str, Any]]:
    body = request.body.strip()
    if body[:1] in (b"{", b"["):
        data = json.loads(body)
        items = data if isinstance(data, list) else [data]
        return [item for item in items if isinstance(item, dict)][:MAX_ITEMS]
    params = {key: value for key, value in request.GET.items() if key != "token"}
    params.update({key: value for key, value in request.POST.items() if key != "token"})
    return [params]


def _moment(value: Any) -> datetime:
    if value in (None, ""):
        return timezone.now()
    if isinstance(value, int | float) or (isinstance(value, str) and value.replace(".", "", 1).isdigit()):
        number = float(value)
        return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, tz=UTC)
    moment = parse_datetime(str(value))
    if moment is None:
        return timezone.now()
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def _field(item: dict[str, Any], path: str) -> Any:
    return dig(item, path) if "." in path else item.get(path)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def vendor_dlr(request: HttpRequest, code: str) -> JsonResponse:
    vendor = _vendor(request, code)
    if isinstance(vendor, JsonResponse):
        return vendor
    try:
        items = _items(request)
    except ValueError:
        return JsonResponse({"error": "invalid_json"}, status=400)
    config = vendor.settings.get("dlr", {}) if isinstance(vendor.settings.get("dlr"), dict) else {}
    words = {**STATUS_WORDS, **{str(k).lower(): v for k, v in (config.get("statuses") or {}).items()}}
    receipts, rejected = [], 0
    for item in items:
        vendor_message_id = _field(item, config.get("id", "id"))
        word = str(_field(item, config.get("status", "status")) or "").strip().lower()
        status = words.get(word)
        if vendor_message_id in (None, "") or status not in MessageStatus.values:
            rejected += 1
            continue
        error = _field(item, config.get("error", "error")) or ""
        receipts.append(
            Receipt(str(vendor_message_id), status, _moment(_field(item, config.get("time", "time"))), str(error)[:255])
        )
    services.record_dlrs(vendor_id=vendor.pk, receipts=receipts)
    return JsonResponse({"accepted": len(receipts), "rejected": rejected})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def vendor_mo(request: HttpRequest, code: str) -> JsonResponse:
    vendor = _vendor(request, code)
    if isinstance(vendor, JsonResponse):
        return vendor
    try:
        items = _items(request)
    except ValueError:
        return JsonResponse({"error": "invalid_json"}, status=400)
    config = vendor.settings.get("mo", {}) if isinstance(vendor.settings.get("mo"), dict) else {}
    stored = rejected = 0
    for item in items:
        sender = str(_field(item, config.get("from", "from")) or "").lstrip("+")
        recipient = str(_field(item, config.get("to", "to")) or "")
        if not sender or not recipient:
            rejected += 1
            continue
        inbound = Inbound(
            sender=sender,
            recipient=recipient,
            text=str(_field(item, config.get("text", "text")) or ""),
            at=_moment(_field(item, config.get("time", "time"))),
            vendor_message_id=str(_field(item, config.get("id", "id")) or ""),
            in_reply_to=str(_field(item, config.get("reply_to", "reply_to")) or ""),
        )
        if services.record_mo(vendor_id=vendor.pk, inbound=inbound) is not None:
            stored += 1
        else:
            rejected += 1
    return JsonResponse({"accepted": stored, "rejected": rejected})

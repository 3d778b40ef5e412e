"""A generic HTTP vendor: one request per message, JSON or query / form parameters, GET or POST.

Settings::

    {"url": "https://vendor.example/api/send",
     "method": "POST",                          # or GET (parameters in the query string)
     "format": "json",                          # POST body: json or form
     "headers": {"X-Api-Key": "…"},             # extra headers, e.g. the vendor's auth header
     "body": {"from": "{sender}", "to": "{recipient}", "text": "{text}", "ref": "{message_id}"},
     "params": {"dlr-url": "{dlr_url}&id={message_id}&status=%d"},   # query parameters
     "response_id_path": "messages.0.id",       # where the vendor's id is in its JSON answer;
                                                # empty: the vendor reports by our message id
     "timeout": 10,
     "dlr": {"id": "id", "status": "status", "error": "error", "time": "time",
             "statuses": {"DELIVRD": "delivered"}},   # vendor words → ours (added to the defaults)
     "mo": {"from": "from", "to": "to", "text": "text", "id": "id", "reply_to": "ref"},
     "idempotent": false}                       # the vendor drops a repeated message id

Placeholders in ``body`` and ``params`` values: ``{sender} {recipient} {text} {message_id}
{transaction_id} {ref} {channel} {parts} {flash} {validity} {mccmnc} {purpose} {image_url}
{button_caption} {button_url} {template_name} {template_params} {dlr_url}``. A value that is exactly
one placeholder keeps its type in JSON (numbers, booleans, lists).

The vendor posts delivery reports to ``/hooks/vendors/<code>/dlr`` and MO messages to
``/hooks/vendors/<code>/mo`` (single JSON objects, JSON arrays or query / form parameters), with the
vendor's token in an ``Authorization: Bearer`` header, an ``X-Vendor-Token`` header or a ``token``
query parameter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from messaging import httpclient
from messaging.connectors.base import Connector, Outbound, SubmitResult

PLACEHOLDER = re.compile(r"\{(\w+)\}")
RETRY_STATUSES = frozenset({429, 502, 503, 504})


def dig(data: Any, path: str) -> Any:
    """The value at a dotted path (``messages.0.id``) of decoded JSON, or None."""
    for key in path.split("."):
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and key.lstrip("-").isdigit() and -len(data) <= int(key) < len(data):
            data = data[int(key)]
        else:
            return None
    return data


def render(template: Any, values: dict[str, Any]) -> Any:
    """Fill the placeholders of a JSON template (dicts, lists and strings, recursively)."""
    if isinstance(template, dict):
        return {key: render(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [render(value, values) for value in template]
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                return match.group(0)
            value = values[name]
            return json.dumps(value) if isinstance(value, list | dict) else str(value)

        return PLACEHOLDER.sub(one, template)
    return template


def _flat(params: dict[str, Any]) -> dict[str, str]:
    flat = {}
    for key, value in params.items():
        if isinstance(value, bool):
            flat[key] = "1" if value else "0"
        elif isinstance(value, list | dict):
            flat[key] = json.dumps(value)
        elif value is None:
            flat[key] = ""
        else:
            flat[key] = str(value)
    return flat


class HttpConnector(Connector):
    kind = "http"
    batch_size = 50

    def __init__(self, *, vendor_id: int, code: str, settings: dict[str, Any], token: str = "") -> None:
        super().__init__(vendor_id=vendor_id, code=code, settings=self.check_settings(settings))
        self.token = token

    @classmethod
    def check_settings(cls, settings: dict[str, Any]) -> dict[str, Any]:
        settings = super().check_settings(settings)
        url = settings.get("url")
        try:
            httpclient.check_url(str(url or ""))
        except ValueError as error:
            raise ValidationError(_("url must be an http:// or https:// address."), code="settings") from error
        method = str(settings.get("method", "POST")).upper()
        if method not in ("GET", "POST"):
            raise ValidationError(_("method must be GET or POST."), code="settings")
        body_format = settings.get("format", "json")
        if body_format not in ("json", "form"):
            raise ValidationError(_("format must be json or form."), code="settings")
        for name in ("headers", "params", "dlr", "mo"):
            if not isinstance(settings.get(name, {}), dict):
                raise ValidationError(_("%(name)s must be a JSON object.") % {"name": name}, code="settings")
        if "body" in settings and not isinstance(settings["body"], dict | list):
            raise ValidationError(_("body must be a JSON object or list."), code="settings")
        timeout = settings.get("timeout", 10)
        if not isinstance(timeout, int | float) or not 0 < timeout <= 120:
            raise ValidationError(_("timeout must be between 0 and 120 seconds."), code="settings")
        return {**settings, "method": method, "format": body_format}

    @property
    def predictable_ids(self) -> bool:  # type: ignore[override]
        return not self.settings.get("response_id_path")

    def expected_id(self, *, ref: int, uuid: str) -> str:
        return uuid

    def dlr_url(self) -> str:
        base = str(self.settings.get("dlr_base_url") or getattr(django_settings, "MESSAGING_PUBLIC_URL", ""))
        return f"{base.rstrip('/')}/hooks/vendors/{self.code}/dlr?{urlencode({'token': self.token})}"

    def values(self, message: Outbound) -> dict[str, Any]:
        return {
            "sender": message.sender,
            "recipient": message.recipient,
            "text": message.text,
            "message_id": message.uuid,
            "transaction_id": message.transaction_id,
            "ref": message.ref,
            "channel": message.channel,
            "parts": message.parts,
            "flash": message.flash,
            "validity": message.validity_minutes or "",
            "mccmnc": message.mccmnc,
            "purpose": message.purpose,
            "image_url": message.image_url,
            "button_caption": message.button_caption,
            "button_url": message.button_url,
            "template_name": message.template_name,
            "template_params": list(message.template_params),
            "dlr_url": self.dlr_url(),
        }

    def build(self, message: Outbound) -> tuple[str, str, bytes | None, dict[str, str]]:
        """Method, URL, body and headers of the request that submits ``message``."""
        values = self.values(message)
        method = self.settings["method"]
        headers = {str(k): str(render(v, values)) for k, v in self.settings.get("headers", {}).items()}
        params = _flat(render(self.settings.get("params", {}), values))
        url = self.settings["url"]
        body: bytes | None = None
        if method == "GET":
            params = {**_flat(render(self.settings.get("body", {}), values)), **params}
        elif self.settings["format"] == "json":
            body = json.dumps(render(self.settings.get("body", {}), values)).encode()
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urlencode(_flat(render(self.settings.get("body", {}), values))).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if params:
            parts = urlsplit(url)
            query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
            url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
        return method, url, body, headers

    def submit(self, messages: Sequence[Outbound]) -> list[SubmitResult]:
        timeout = float(self.settings.get("timeout", 10))
        id_path = self.settings.get("response_id_path") or ""
        results: list[SubmitResult] = []
        unreachable = ""
        for message in messages:
            if unreachable:  # the vendor is down: keep the rest for later instead of waiting on each
                results.append(SubmitResult.later(unreachable))
                continue
            method, url, body, headers = self.build(message)
            try:
                answer = httpclient.request(method, url, body=body, headers=headers, timeout=timeout)
            except httpclient.TransportError as error:
                if error.sent:
                    results.append(SubmitResult.rejected(f"No answer from the vendor: {error}"))
                else:
                    unreachable = f"Vendor unreachable: {error}"
                    results.append(SubmitResult.later(unreachable))
                continue
            if answer.status in RETRY_STATUSES:
                results.append(SubmitResult.later(f"Vendor busy (HTTP {answer.status})"))
            elif not 200 <= answer.status < 300:
                results.append(SubmitResult.rejected(f"Rejected by vendor (HTTP {answer.status}): {answer.text[:150]}"))
            elif not id_path:
                results.append(SubmitResult.ok(self.expected_id(ref=message.ref, uuid=message.uuid)))
            else:
                try:
                    vendor_id = dig(json.loads(answer.body), id_path)
                except ValueError:
                    vendor_id = None
                if vendor_id in (None, ""):
                    results.append(SubmitResult.rejected(f"Rejected by vendor: no message id in {answer.text[:150]}"))
                else:
                    results.append(SubmitResult.ok(str(vendor_id)))
        return results

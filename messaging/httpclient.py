"""A small HTTP client on the standard library for vendors and client callbacks (no redirects followed)."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_BODY = 64 * 1024


class TransportError(Exception):
    """The request did not get an HTTP answer. ``sent`` says whether it may have reached the server."""

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return url


def request(
    method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None, timeout: float = 10
) -> Response:
    check_url(url)
    req = urllib.request.Request(url, data=body, method=method.upper(), headers=headers or {})  # noqa: S310 - checked
    try:
        with _opener.open(req, timeout=timeout) as answer:
            return Response(answer.status, answer.read(MAX_BODY))
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read(MAX_BODY) if error.fp else b"")
    except urllib.error.URLError as error:
        reason = error.reason
        sent = isinstance(reason, TimeoutError | socket.timeout)
        raise TransportError(str(reason), sent=sent) from error
    except TimeoutError as error:
        raise TransportError("timed out", sent=True) from error
    except (ConnectionError, OSError) as error:
        raise TransportError(str(error), sent=isinstance(error, ConnectionResetError)) from error

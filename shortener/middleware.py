"""Requests to a short domain are short links: a redirect to the original URL, or 404.

It runs before the portal is looked up by host, since a short domain is never a portal's host.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.utils.translation import gettext as _

from shortener.models import ShortDomain
from shortener.services import short_domain_names, short_link_open

SHORT_PATH = re.compile(r"^/([A-Za-z0-9]{4,16})/?$")
# How long a process answers "is this host a short domain?" from its own copy of the names. Saving a domain
# clears this process's copy at once and again after commit; other processes see a change within this time.
LOCAL_SECONDS = 5.0

_local_lock = threading.Lock()
_local: tuple[frozenset[str], float] | None = None  # the names and when this copy expires (monotonic clock)


def local_short_domain_names() -> frozenset[str]:
    """The active short domains' names, from this process's copy while it is fresh (no cache round trip)."""
    global _local
    copy = _local
    now = time.monotonic()
    if copy is not None and copy[1] > now:
        return copy[0]
    names = short_domain_names()
    with _local_lock:
        _local = (names, now + LOCAL_SECONDS)
    return names


def forget_local_short_domain_names() -> None:
    global _local
    with _local_lock:
        _local = None


# A receiver rather than a call in short_domain_save: the admin's edits must clear the copy as well.
@receiver([post_save, post_delete], sender=ShortDomain, dispatch_uid="shortener-forget-local-names")
def _short_domain_changed(**kwargs: Any) -> None:
    forget_local_short_domain_names()
    transaction.on_commit(forget_local_short_domain_names)


class ShortLinkMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = request.get_host().rsplit(":", 1)[0].strip("[]").lower()
        if name not in local_short_domain_names():
            return self.get_response(request)
        match = SHORT_PATH.match(request.path)
        if match and request.method in ("GET", "HEAD"):
            target = short_link_open(name=name, code=match[1], user_agent=request.headers.get("User-Agent", ""))
            if target is not None:
                return HttpResponseRedirect(target)
        return HttpResponseNotFound(_("This short link does not exist."), content_type="text/plain; charset=utf-8")

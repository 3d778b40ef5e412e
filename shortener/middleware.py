"""Requests to a short domain are short links: a redirect to the original URL, or 404.

It runs before the portal is looked up by host, since a short domain is never a portal's host.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.utils.translation import gettext as _

from shortener.services import short_domain_names, short_domain_names_version, short_link_open

SHORT_PATH = re.compile(r"^/([A-Za-z0-9]{4,16})/?$")
# The API and vendor webhooks are never short links: their hot paths check the host against this process's copy
# of the names without reading the shared version (a domain added a moment ago may answer them until the next
# short-link request refreshes the copy).
NEVER_SHORT_PREFIXES = ("/api/", "/hooks/")

_local_lock = threading.Lock()
_local: tuple[str, frozenset[str]] | None = None  # this process's copy of the names, and their version


def local_short_domain_names() -> frozenset[str]:
    """The active short domains' names: this process's copy, while the shared version says it is current.

    Each request costs one cache read of the version (a short string); the names are read from the database
    only after a change, so a domain created, renamed, switched off or deleted is seen by the next request.
    """
    global _local
    version = short_domain_names_version()  # before the names: a change committed meanwhile gives a newer one
    copy = _local
    if copy is not None and copy[0] == version:
        return copy[1]
    names = short_domain_names()
    with _local_lock:
        _local = (version, names)
    return names


def forget_local_short_domain_names() -> None:
    global _local
    with _local_lock:
        _local = None


class ShortLinkMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = request.get_host().rsplit(":", 1)[0].strip("[]").lower()
        copy = _local
        if request.path.startswith(NEVER_SHORT_PREFIXES) and copy is not None:
            names = copy[1]
        else:
            names = local_short_domain_names()
        if name not in names:
            return self.get_response(request)
        match = SHORT_PATH.match(request.path)
        if match and request.method in ("GET", "HEAD"):
            target = short_link_open(name=name, code=match[1], user_agent=request.headers.get("User-Agent", ""))
            if target is not None:
                return HttpResponseRedirect(target)
        return HttpResponseNotFound(_("This short link does not exist."), content_type="text/plain; charset=utf-8")

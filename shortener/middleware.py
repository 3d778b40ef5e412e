"""Requests to a short domain are short links: a redirect to the original URL, or 404.

It runs before the portal is looked up by host, since a short domain is never a portal's host.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.utils.translation import gettext as _

from shortener.services import short_domain_names, short_link_open

SHORT_PATH = re.compile(r"^/([A-Za-z0-9]{4,16})/?$")


class ShortLinkMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = request.get_host().rsplit(":", 1)[0].strip("[]").lower()
        if name not in short_domain_names():
            return self.get_response(request)
        match = SHORT_PATH.match(request.path)
        if match and request.method in ("GET", "HEAD"):
            target = short_link_open(name=name, code=match[1], user_agent=request.headers.get("User-Agent", ""))
            if target is not None:
                return HttpResponseRedirect(target)
        return HttpResponseNotFound(_("This short link does not exist."), content_type="text/plain; charset=utf-8")

"""Pick the Portal from the request host and apply the signed-in user's language and time zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Awaitable, Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.shortcuts import render
from django.utils import timezone, translation

from tenancy.models import Portal

# Paths served whatever the host: Django admin, static files, the API and vendor webhooks.
HOST_INDEPENDENT_PREFIXES = ("/admin/", "/static/", "/media/", "/api/", "/hooks/", "/healthz")
# The API finds its tenant from the key, never from the host: no portal lookup on its hot path.
API_PREFIX = "/api/"


def portal_for_host(host: str) -> Portal | None:
    name = host.rsplit(":", 1)[0].strip("[]").lower()
    return Portal.objects.select_related("partner").filter(hosts__name=name).first()


class PortalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            request.portal = None  # type: ignore[attr-defined]
            return self.get_response(request)
        portal = portal_for_host(request.get_host())
        request.portal = portal  # type: ignore[attr-defined]
        if portal is None and not request.path.startswith(HOST_INDEPENDENT_PREFIXES):
            return render(request, "tenancy/unknown_host.html", {"host": request.get_host()}, status=404)
        return self.get_response(request)


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's, but the language it activates (from the cookie or Accept-Language) ends with the request.

    Django's leaves it active on the thread for whatever runs there next; like UserPreferencesMiddleware, this
    one gives the thread back as it was.
    """

    async_capable = False  # __call__ wraps the synchronous path only

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        with translation.override(translation.get_language()):
            return super().__call__(request)


class UserPreferencesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Serve the request in the user's language and time zone, then give the thread back as it was.

        A worker thread serves many users one after another; anything it activated for this one must not
        reach the next request or the code that runs after it (tasks run eagerly, tests, management code).
        """
        user = request.user
        if not (user.is_authenticated and user.partner_id):
            with timezone.override(zoneinfo.ZoneInfo(settings.TIME_ZONE)):
                return self.get_response(request)
        request.LANGUAGE_CODE = user.language  # type: ignore[attr-defined]
        with translation.override(user.language), timezone.override(zoneinfo.ZoneInfo(user.time_zone)):
            response = self.get_response(request)
        response.headers["Content-Language"] = user.language
        return response

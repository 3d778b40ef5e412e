"""Every URL that takes an object id answers 404 to a user of another tenant.

The test walks the URL configuration, so a later page is covered as soon as it is routed: its
view must name its ``model`` and ``tests.factories.OBJECT_FACTORIES`` must know how to build one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import HOST_A, HOST_B, signed_in
from tests.factories import OBJECT_FACTORIES, Tenant, make_tenant

ID_CONVERTERS = ("IntConverter", "UUIDConverter")
SKIPPED_NAMESPACES = {"admin"}  # Django admin is for superusers only, never tenant users


@dataclass(frozen=True)
class IdRoute:
    name: str
    namespace: str
    kwargs: tuple[str, ...]
    view_class: Any

    def __str__(self) -> str:
        return self.name


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[IdRoute]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or namespace
            if inner in SKIPPED_NAMESPACES:
                continue
            yield from _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            converters = entry.pattern.converters
            id_kwargs = tuple(k for k, c in converters.items() if type(c).__name__ in ID_CONVERTERS)
            if id_kwargs:
                full = f"{namespace}:{entry.name}" if namespace else str(entry.name)
                yield IdRoute(full, namespace, id_kwargs, getattr(entry.callback, "view_class", None))


ROUTES = sorted(_walk(get_resolver().url_patterns), key=str)


def _model(route: IdRoute) -> Any:
    view = route.view_class
    model = getattr(view, "model", None)
    if model is None and getattr(view, "queryset", None) is not None:
        model = view.queryset.model
    return model


def test_routes_with_ids_are_found() -> None:
    """Guard against the walker silently finding nothing."""
    assert any(route.namespace == "adminpanel" for route in ROUTES), [str(r) for r in ROUTES]


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_other_tenant_gets_404(route: IdRoute, db: None) -> None:
    model = _model(route)
    assert model is not None, f"{route}: the view must declare the model it looks up"
    assert model in OBJECT_FACTORIES, f"{route}: add a factory for {model.__name__} to OBJECT_FACTORIES"
    owner_tenant: Tenant = make_tenant("Alpha", HOST_A)
    intruder: Tenant = make_tenant("Beta", HOST_B)
    obj = OBJECT_FACTORIES[model](owner_tenant)
    url = reverse(route.name, kwargs=dict.fromkeys(route.kwargs, obj.pk))
    in_ap = route.namespace == "adminpanel"
    method = "get" if hasattr(route.view_class, "get") else "post"

    own = signed_in(owner_tenant.owner_user if in_ap else owner_tenant.end_user_user, HOST_A)
    assert getattr(own, method)(url).status_code != 404, f"{route}: the owning tenant must reach its own object"

    for user in (intruder.reseller_user, intruder.owner_user) if in_ap else (intruder.end_user_user,):
        response = getattr(signed_in(user, HOST_B), method)(url)
        assert response.status_code == 404, f"{route} as {user.email}: {response.status_code}"

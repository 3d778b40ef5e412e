from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from tests.factories import Sibling, Tenant, make_sibling, make_tenant

HOST_A = "testserver"
HOST_B = "b.testserver"


def _is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


def pytest_fixture_post_finalizer(fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest) -> None:
    """A transactional test ends by flushing every table, the reference book of the data migration too.

    pytest-django runs transactional tests last, but only within one process's list: xdist's loadfile,
    loadscope and worksteal hand a worker other files after them. Load the book back for the tests that follow.
    """
    if fixturedef.argname != "_django_db_helper" or not _is_transactional(request.node):  # type: ignore[arg-type]
        return
    from pytest_django.plugin import blocking_manager_key

    from billing.models import Country
    from billing.services import reference_book_load_shipped

    with request.config.stash[blocking_manager_key].unblock():
        if not Country.objects.exists():
            reference_book_load_shipped()


@pytest.fixture(autouse=True)
def _fresh_shared_resolver() -> Iterator[None]:
    """Reference-book rows a test makes are rolled back after it: the process's resolver must not keep them."""
    from billing.services import reference

    reference._forget_shared_resolver()
    yield
    reference._forget_shared_resolver()


@pytest.fixture(autouse=True)
def _fresh_routing_caches() -> None:
    """Ids come back after a test's rollback: the process's routes, vendors and partners' owners of an earlier test
    must not answer for this one's (``routing.clear_cache`` leaves the owners, which never change in production)."""
    from messaging import routing

    routing.clear_cache()
    routing._roots.clear()


@pytest.fixture(autouse=True)
def _no_outbound_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any un-mocked outbound connection from the default suite fails the test."""
    import socket

    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost") and not (isinstance(host, str) and host.startswith("/")):
            raise RuntimeError(f"outbound connection to {address!r} in a unit test")
        real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def tenant(db: None) -> Tenant:
    return make_tenant("Alpha", HOST_A)


@pytest.fixture
def tenant_b(db: None) -> Tenant:
    return make_tenant("Beta", HOST_B)


@pytest.fixture
def sibling(tenant: Tenant) -> Sibling:
    return make_sibling(tenant)


def signed_in(user: object, host: str = HOST_A) -> Client:
    client = Client(HTTP_HOST=host)
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.fixture
def cp_client(tenant: Tenant) -> Client:
    return signed_in(tenant.end_user_user)


@pytest.fixture
def ap_client(tenant: Tenant) -> Client:
    return signed_in(tenant.reseller_user)


@pytest.fixture
def owner_client(tenant: Tenant) -> Client:
    return signed_in(tenant.owner_user)

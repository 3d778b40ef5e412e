"""Short domains take effect at once: the next request to a host created, renamed, switched off or deleted in
the AP, the Django admin or a service is answered by the domains as they are now, in every process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from shortener import middleware, services
from shortener.models import ShortDomain, ShortLink
from shortener.services import short_domain_save, short_link_create
from tenancy.models import User
from tests.conftest import signed_in
from tests.factories import Tenant, make_short_domain

NOT_A_LINK = "This short link does not exist."


@pytest.fixture(autouse=True)
def _no_copy_from_another_test() -> Iterator[None]:
    middleware.forget_local_short_domain_names()
    yield
    middleware.forget_local_short_domain_names()


@pytest.fixture
def domain(tenant: Tenant) -> ShortDomain:
    return make_short_domain(tenant.owner, partners=[tenant.reseller], name="go.example.test")


@pytest.fixture
def link(tenant: Tenant, domain: ShortDomain) -> ShortLink:
    return short_link_create(partner=tenant.end_user, domain=domain, original_url="https://shop.example/", by=None)


def opened(host: str, code: str) -> tuple[int, str]:
    """The status and where it redirects (or its text) of ``https://host/code``."""
    response = Client(HTTP_HOST=host).get(f"/{code}")
    return response.status_code, response.get("Location") or response.content.decode()[:200]


def is_short_domain(host: str) -> bool:
    """Whether the middleware takes the host for a short domain (it answers an unknown code itself)."""
    return opened(host, "zzzz") == (404, NOT_A_LINK)


def test_a_renamed_domain_redirects_from_its_new_host_at_once(domain: ShortDomain, link: ShortLink) -> None:
    assert opened("go.example.test", link.code) == (302, "https://shop.example/")
    domain.name = "go2.example.test"
    short_domain_save(domain=domain, partners=domain.partners.all(), by=None)
    assert not is_short_domain("go.example.test")
    assert opened("go.example.test", link.code)[0] != 302
    assert opened("go2.example.test", link.code) == (302, "https://shop.example/")


def test_a_domain_switched_off_or_on_in_the_ap_is_seen_at_once(
    tenant: Tenant, domain: ShortDomain, link: ShortLink, owner_client: Client
) -> None:
    assert opened("go.example.test", link.code)[0] == 302
    form = {"name": "go.example.test", "partners": [tenant.reseller.pk]}
    assert owner_client.post(f"/ap/short-domains/{domain.pk}/", form).status_code == 302
    assert not ShortDomain.objects.get().is_active
    assert opened("go.example.test", link.code)[0] != 302
    assert owner_client.post(f"/ap/short-domains/{domain.pk}/", {**form, "is_active": "on"}).status_code == 302
    assert opened("go.example.test", link.code)[0] == 302


def test_a_domain_created_in_the_ap_is_seen_at_once(tenant: Tenant, owner_client: Client) -> None:
    assert not is_short_domain("go.new.test")
    form = {"name": "go.new.test", "is_active": "on", "partners": [tenant.reseller.pk]}
    assert owner_client.post("/ap/short-domains/new", form).status_code == 302
    assert is_short_domain("go.new.test")


@pytest.fixture
def admin_client(tenant: Tenant) -> Client:
    superuser = User.objects.create_superuser("root@example.test", "secret", partner=tenant.owner)
    return signed_in(superuser)


def test_the_django_admins_rename_switch_off_and_delete_are_seen_at_once(
    tenant: Tenant, domain: ShortDomain, link: ShortLink, admin_client: Client
) -> None:
    change = f"/admin/shortener/shortdomain/{domain.pk}/change/"
    form = {"name": "go2.example.test", "partner": tenant.owner.pk, "is_active": "on", "created_at_0": "2026-01-01",
            "created_at_1": "10:00:00", "partners": [tenant.reseller.pk]}  # fmt: skip
    assert opened("go.example.test", link.code)[0] == 302
    assert admin_client.post(change, form).status_code == 302
    assert ShortDomain.objects.get().name == "go2.example.test"
    assert opened("go.example.test", link.code)[0] != 302
    assert opened("go2.example.test", link.code) == (302, "https://shop.example/")

    assert admin_client.post(change, {**form, "is_active": ""}).status_code == 302
    assert opened("go2.example.test", link.code)[0] != 302

    ShortLink.objects.all().delete()  # a domain with links is protected
    ShortDomain.objects.filter(pk=domain.pk).update(is_active=True)
    services.short_domains_changed()
    assert is_short_domain("go2.example.test")
    delete = f"/admin/shortener/shortdomain/{domain.pk}/delete/"
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert not ShortDomain.objects.exists()
    assert not is_short_domain("go2.example.test")


def test_a_change_another_process_made_is_seen_by_the_next_request(domain: ShortDomain, link: ShortLink) -> None:
    """Another process's change reaches this one by the version in the shared cache alone."""
    assert opened("go.example.test", link.code)[0] == 302
    ShortDomain.objects.filter(pk=domain.pk).update(is_active=False)  # no signal here: it happened elsewhere
    assert is_short_domain("go.example.test")  # this process's copy, while the version stands
    cache.set(services.DOMAINS_VERSION_KEY, "the other process's version", timeout=None)
    assert not is_short_domain("go.example.test")


def test_the_names_are_read_again_only_after_a_change(
    tenant: Tenant, domain: ShortDomain, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[frozenset[str]] = []
    real_names = middleware.short_domain_names

    def counted() -> frozenset[str]:
        reads.append(real_names())
        return reads[-1]

    monkeypatch.setattr(middleware, "short_domain_names", counted)
    for _request in range(3):
        assert is_short_domain("go.example.test")
        assert not is_short_domain("testserver")
    assert len(reads) == 1
    cache.delete(services.DOMAINS_VERSION_KEY)  # the cache lost it: read again, as after a change
    assert is_short_domain("go.example.test")
    assert len(reads) == 2
    make_short_domain(tenant.owner, name="go.other.test")
    assert is_short_domain("go.other.test") and is_short_domain("go.example.test")
    assert len(reads) == 3


def test_api_and_webhook_requests_use_the_process_copy_of_the_short_domains(
    domain: ShortDomain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API's hot path reads no version from the cache, and a short domain serves no API or webhook."""
    checks: list[str] = []
    real = middleware.short_domain_names_version

    def counted() -> str:
        checks.append("version")
        return real()

    monkeypatch.setattr(middleware, "short_domain_names_version", counted)
    assert is_short_domain("go.example.test")
    assert checks == ["version"]
    assert (
        Client(HTTP_HOST="testserver").post("/api/send_sms", "[]", content_type="application/json").status_code == 401
    )
    assert Client(HTTP_HOST="testserver").post("/hooks/vendors/none/dlr").status_code == 404
    assert checks == ["version"]
    for path in ("/api/docs/", "/api/schema/", "/hooks/vendors/none/dlr"):
        response = Client(HTTP_HOST="go.example.test").get(path)
        assert (response.status_code, response.content.decode()) == (404, NOT_A_LINK)
    assert checks == ["version"]

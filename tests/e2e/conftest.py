"""Playwright against Debian's Chromium and pytest-django's live server.

Never ``playwright install``: the browser is the distribution's ``/usr/bin/chromium``
(``scripts/ensure-chromium`` installs it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import Locator, Page, expect

from tenancy.models import Portal
from tests.factories import make_portal, make_tenant

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# between browser steps are ordinary synchronous code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
# One address family for the server and the browser, so "localhost" never means ::1 to one of them.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

TERMS = "Be kind to your recipients. No spam."
PRIVACY = "We keep your data in the EU."


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: run scripts/ensure-chromium")
        for item in items:
            if item.get_closest_marker("e2e"):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's options (--headed, --slowmo) plus Debian's Chromium and flags for a closed network."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(autouse=True)
def reference_book(transactional_db: None) -> None:
    """Transactional tests flush every table, the reference book of the data migration too: load it back."""
    from billing.models import Country

    if not Country.objects.exists():
        call_command("load_reference_book", verbosity=0)


@pytest.fixture
def portal(live_server: Any, transactional_db: None) -> Portal:
    """A portal answering on the live server's host: open registration, 2FA required, terms to accept."""
    host = urlsplit(live_server.url).hostname
    assert host
    tenant = make_tenant("E2E", f"other-{host}")
    return make_portal(
        tenant.owner,
        host,
        brand_name="E2E Brand",
        allow_self_registration=True,
        require_2fa=True,
        terms_of_service=TERMS,
        privacy_policy=PRIVACY,
    )


class Shots:
    """Numbered screenshots of one test under tests/e2e/artifacts/<test name>/."""

    def __init__(self, page: Page, folder: Path) -> None:
        self.page, self.folder, self.count = page, folder, 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def __call__(self, step: str) -> None:
        self.count += 1
        self.page.screenshot(path=str(self.folder / f"{self.count:02d}-{step}.png"), full_page=True)


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest) -> Iterator[Shots]:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    shots = Shots(page, ARTIFACTS / name)
    yield shots
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        shots("failed")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report


def shown(dialog: Locator) -> Locator:
    """A Bootstrap modal once its opening transition has ended, when Bootstrap focuses it. Until then its dialog
    slides 50 px down: Playwright may find a button in it stable at the start of the slide and click where the
    button no longer is, and the click is lost."""
    expect(dialog).to_be_focused()
    return dialog


def outbox_to(email: str) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if email in message.to]

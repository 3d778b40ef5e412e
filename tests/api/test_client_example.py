"""A client written like the guide's Python example (POST, raise on HTTP errors, split each result line at the
first colon, tell transaction ids from errors) talks to a real local HTTP server running this project."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django.test.testcases import LiveServerThread

from messaging.models import Message
from tests.api.conftest import new_key
from tests.messaging.conftest import Setup

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@pytest.fixture
def server(transactional_db: None) -> Iterator[str]:
    """The project behind a real socket. As in Django's LiveServerTestCase, the server thread shares the test's
    connection only for an in-memory SQLite database (which another connection could not see); on PostgreSQL
    it opens its own and sees the committed data."""
    connection = connections["default"]
    shared = isinstance(connection, SQLiteWrapper) and connection.is_in_memory_db()
    connection.inc_thread_sharing()
    override = {"default": connection} if shared else {}
    thread = LiveServerThread("127.0.0.1", StaticFilesHandler, connections_override=override, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        yield f"127.0.0.1:{thread.port}"
    finally:
        thread.terminate()
        connection.dec_thread_sharing()


def send_sms(data: list[dict[str, Any]], token: str, host: str) -> tuple[dict[str, str], dict[str, str]]:
    """Returns (sent: number → transaction id, failed: number → error)."""
    request = urllib.request.Request(
        f"http://{host}/api/send_sms",
        data=json.dumps(data).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  (a local test server)
        results = json.load(response).get("results", [])
    sent: dict[str, str] = {}
    failed: dict[str, str] = {}
    for result in results:
        number, outcome = result.split(":", 1)
        outcome = outcome.strip()
        (sent if UUID.match(outcome) else failed)[number] = outcome
    return sent, failed


@pytest.fixture
def shipped_book(transactional_db: None) -> None:
    """An earlier transactional test may have flushed the reference book of the data migration: load it back."""
    from billing.models import Country
    from billing.services import reference_book_load_shipped

    if not Country.objects.exists():
        reference_book_load_shipped()


def test_the_guides_style_client_sends_and_reads_the_results(shipped_book: None, setup: Setup, server: str) -> None:
    token = new_key(setup.tenant).secret
    sent, failed = send_sms(
        [{"channels": ["SMS"], "from": "Shop", "to": ["34600000001", "34600000002", "34600000001"],
          "message": "Hello", "label": "client"}],
        token,
        server,
    )  # fmt: skip
    assert set(sent) == {"34600000001", "34600000002"} and list(failed) == ["34600000001"]
    assert {str(value) for value in Message.objects.values_list("transaction_id", flat=True)} == set(sent.values())
    with pytest.raises(urllib.error.HTTPError) as refused:
        send_sms([{"channels": ["SMS"], "from": "Shop", "to": "34600000001", "message": ""}], token, server)
    assert refused.value.code == 400
    assert json.loads(refused.value.read())["error"]["code"] == "no_message"

"""A real Celery worker, consuming from Redis and writing to the same PostgreSQL test database.

Run with ``make test-integration`` (``--ds=config.settings_integration``; ``DATABASE_URL`` and
``REDIS_URL`` choose the servers). The worker is a subprocess started once per session, after
pytest-django has created ``test_<name>``, and stopped before that database is dropped.
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

INTEGRATION_SETTINGS = "config.settings_integration"
QUEUES = "default,expand,dispatch,dlr,callbacks,io"
START_TIMEOUT = 60.0
MAIL_TIMEOUT = 30.0
BASE_DIR = Path(settings.BASE_DIR)
MAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def _database_url(settings_dict: dict[str, Any]) -> str:
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(str(settings_dict.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


class Worker:
    """The worker subprocess, its log and the folder its e-mails land in."""

    def __init__(self, process: subprocess.Popen[bytes], name: str, log_path: Path, mail_dir: Path) -> None:
        self.process, self.name, self.log_path, self.mail_dir = process, name, log_path, mail_dir

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the Celery worker exited with {self.process.returncode}:\n{self.log_tail()}")
            if celery_app.control.ping(destination=[self.name], timeout=0.5):
                return
        pytest.fail(f"the Celery worker did not answer a ping in {START_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # warm shutdown of the worker and its pool children
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def mails_to(self, address: str) -> list[EmailMessage]:
        found = []
        for path in sorted(self.mail_dir.glob("*.log")):
            for chunk in path.read_bytes().split(MAIL_SEPARATOR):
                if not chunk.strip():
                    continue
                message = email.message_from_bytes(chunk, policy=email.policy.default)
                if isinstance(message, EmailMessage) and address in str(message.get("To", "")):
                    found.append(message)
        return found

    def wait_for_mail(self, address: str, containing: str) -> EmailMessage:
        """The first e-mail to ``address`` whose text contains ``containing``, once the worker has written it."""
        deadline = time.monotonic() + MAIL_TIMEOUT
        while True:
            for message in self.mails_to(address):
                if containing in text_of(message):
                    return message
            if self.process.poll() is not None:
                pytest.fail(f"the Celery worker died:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"no e-mail to {address} containing {containing!r} in {MAIL_TIMEOUT:.0f} s;"
                    f" worker log:\n{self.log_tail()}"
                )
            time.sleep(0.1)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    if body is None:
        return ""
    try:
        return str(body.get_content())  # type: ignore[attr-defined]
    except (LookupError, ValueError):  # a file the worker is still writing
        return ""


def _flush_broker() -> None:
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


@pytest.fixture(scope="session")
def worker(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """Start ``celery -A config worker`` on the test database; stop it before the database is dropped."""
    if settings.SETTINGS_MODULE != INTEGRATION_SETTINGS:
        pytest.fail(f"integration tests need --ds={INTEGRATION_SETTINGS}: run them with `make test-integration`")
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.fail("integration tests need a Redis broker and no eager mode")

    folder = tmp_path_factory.mktemp("celery")
    mail_dir = folder / "mail"
    mail_dir.mkdir()
    settings.EMAIL_FILE_PATH = str(mail_dir)  # mail sent by the test process itself lands there too
    log_path = folder / "worker.log"
    name = f"integration-{os.getpid()}@localhost"
    with django_db_blocker.unblock():
        database_url = _database_url(connection.settings_dict)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": INTEGRATION_SETTINGS,
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "INTEGRATION_MAIL_DIR": str(mail_dir),
        "CONN_MAX_AGE": "0",
    }
    _flush_broker()  # tasks left by an earlier, interrupted run would run against this database
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 -- our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "-Q",
                QUEUES,
                "-n",
                name,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = Worker(process, name, log_path, mail_dir)
    try:
        started.wait_until_ready()
        yield started
    finally:
        started.stop()
        _flush_broker()


@pytest.fixture(autouse=True)
def reference_book(transactional_db: None) -> None:
    """Transactional tests flush every table, the reference book of the data migration too: load it back."""
    from billing.models import Country
    from billing.services import reference_book_load_shipped

    if not Country.objects.exists():
        reference_book_load_shipped()

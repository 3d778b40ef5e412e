"""What the benchmarks share: a throwaway database (SQLite file or PostgreSQL database) and Celery workers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
QUEUES = "default,expand,dispatch,dlr,callbacks,io"


def admin_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))


def prepare_environment(workdir: Path, name: str) -> str | None:
    """Point this process (and the workers) at a throwaway database; returns the PostgreSQL database to drop.

    Without a PostgreSQL ``DATABASE_URL`` it is a SQLite file in ``workdir`` (and no Redis); with one, a database
    called ``name`` is created next to it and Redis (``REDIS_URL``) is emptied.
    """
    os.environ["VAR_DIR"] = str(workdir)
    for folder in ("broker", "broker-processed", "broker-control", "media", "private"):
        (workdir / folder).mkdir(parents=True, exist_ok=True)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
        os.environ.pop("REDIS_URL", None)
        return None
    import psycopg

    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    os.environ["DATABASE_URL"] = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    if os.environ.get("REDIS_URL"):
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    return name


def drop_database(name: str, url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_workers(count: int, workdir: Path) -> subprocess.Popen[bytes]:
    log = (workdir / "worker.log").open("wb")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "CONN_MAX_AGE": "600"}
    return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "--loglevel=WARNING",
         f"--concurrency={count}", "-Q", QUEUES, "-n", f"bench-{os.getpid()}@localhost", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "-s", str(workdir / "celerybeat-schedule")],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def stop_workers(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def create_test_database(workdir: Path, name: str) -> str:
    """Django's test database, migrated (with the reference book): a SQLite file in ``workdir``, or the PostgreSQL
    database ``name``. Returns the name to give ``destroy_test_database``. Call after ``django.setup()``."""
    from django.db import connection
    from django.test.utils import setup_test_environment

    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(workdir / "bench.sqlite3")
    else:
        connection.settings_dict["TEST"]["NAME"] = name
    setup_test_environment()
    print(f"database: {connection.vendor}, preparing (migrations, reference book)…", flush=True)
    return connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)


def destroy_test_database(old_name: str, *, keep: bool) -> None:
    """Drop the test database, unless ``keep`` (it is named then, to look at query plans)."""
    from django.db import connection

    if keep:
        print(f"kept database: {connection.settings_dict['NAME']}")
    else:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def clean_up(workdir: Path, database: str | None, original_url: str, *, keep: bool) -> None:
    """Drop the PostgreSQL database of ``prepare_environment`` and remove ``workdir``, unless ``keep``."""
    if database and not keep:
        from django.db import connections

        connections.close_all()
        drop_database(database, original_url)
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"kept {workdir}" + (f" and database {database}" if database else ""))

"""Benchmark: ``/api/send_sms`` behind gunicorn as shipped (``gunicorn.conf.py``, 2 workers) on PostgreSQL and Redis.

(a) 700-recipient POSTs, one at a time: p50 and p95 latency;
(b) single-recipient POSTs from 16 concurrent clients for a fixed time: requests per second.

Each client keeps one HTTP/1.1 connection open (keep-alive) for all its requests, as API clients do
(``requests.Session`` and the guide's examples); gunicorn keeps idle connections for ``keepalive`` seconds.

A throwaway database ``bench_api_<pid>`` is created and dropped; the Redis database given is FLUSHED, so
use a spare number. No Celery worker runs: the messages stay PREPARED, which is what the request costs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/api_send.py

Options: ``--bulk-requests`` (default 40), ``--seconds`` (default 15), ``--clients`` (default 16),
``--workers`` (gunicorn workers, default 2). The last lines print the figures as ``<figure>: <value> <unit>``,
with the load average (the machine's other work skews wall-clock figures) and the workers' CPU time per request.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
from bench._common import admin_url, drop_database  # noqa: E402

os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key")


SEQUENTIAL = 100
_connections = threading.local()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="send_sms latency and throughput; each client reuses one keep-alive (HTTP/1.1) connection"
    )
    parser.add_argument("--bulk-requests", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    return parser.parse_args()


def prepare_database() -> tuple[str, str]:
    import psycopg

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or not os.environ.get("REDIS_URL"):
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL (a spare Redis database: it is flushed).")
    name = f"bench_api_{os.getpid()}"
    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    os.environ["DATABASE_URL"] = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    return name, url


def setup() -> str:
    """An end user with an SMS plan for Spain, money, an enabled sender ID and an API key; returns the key."""
    from decimal import Decimal

    from api import services as api_services
    from billing import services as billing
    from billing.models import BillingChannel, Country, Rate, RatePlan
    from senders.models import SenderID
    from tenancy import services as tenancy_services
    from tenancy.models import Channel, Partner

    owner = tenancy_services.partner_create_owner(name="Bench Owner")
    reseller = tenancy_services.partner_create(parent=owner, kind=Partner.Kind.RESELLER, name="Bench Reseller")
    company = tenancy_services.partner_create(parent=reseller, kind=Partner.Kind.END_USER, name="Bench Company")
    user = tenancy_services.user_create(partner=company, email="bench@example.test", password="bench-pass-2026!")  # noqa: S106
    plan = RatePlan.objects.create(partner=reseller, name="Bench SMS", channel=BillingChannel.SMS)
    Rate.objects.create(plan=plan, country=Country.objects.get(iso_code="ES"), price=Decimal("0.03"))
    billing.plan_subscribe(partner=company, plan=plan, by=None)
    billing.balance_change(partner=company, amount=Decimal("100000"), type="payment", by=None, description="bench")
    SenderID.objects.create(partner=company, value="BenchShop", channel=Channel.SMS, status=SenderID.Status.ENABLED)
    return api_services.api_key_create(partner=company, by=user, name="bench", expiration="never").secret


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(workers: int, port: int, workdir: Path) -> subprocess.Popen[bytes]:
    log = (workdir / "gunicorn.log").open("wb")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "CONN_MAX_AGE": "600", "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi", "-w", str(workers),
         "-b", f"127.0.0.1:{port}"],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start; see " + str(workdir / "gunicorn.log"))


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU time of each process so far (Linux /proc); processes that ended are left out."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def worker_cpu_seconds(master: int) -> float:
    """CPU time of the gunicorn master's children so far."""
    children = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == master:
                children.append(int(entry.name))
        except OSError:
            continue
    return sum(cpu_seconds(children).values())


def postgres_cpu(database: str, url: str) -> dict[int, float]:
    """CPU time so far of the PostgreSQL backends serving the bench database (the server runs on this host)."""
    import psycopg

    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database]).fetchall()
    return cpu_seconds([row[0] for row in rows])


def post(port: int, key: str, payload: list[dict[str, Any]]) -> tuple[int, bytes]:
    """One request on the calling thread's keep-alive connection; a connection the server closed is opened again."""
    for attempt in (1, 2):
        connection = getattr(_connections, "http", None)
        reused = connection is not None
        if connection is None:
            connection = _connections.http = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request(
                "POST", "/api/send_sms", json.dumps(payload),
                {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )  # fmt: skip
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            _connections.http = None
            if reused and attempt == 1:
                continue  # the server dropped the idle connection (gunicorn's keepalive)
            raise
        if response.will_close:
            connection.close()
            _connections.http = None
        return response.status, body
    raise AssertionError("unreachable")


def spanish_numbers(count: int) -> list[str]:
    return [f"346{n:08d}" for n in random.sample(range(10**8), count)]


def bulk(port: int, key: str, requests: int) -> list[float]:
    timings = []
    for _ in range(requests):
        payload = [{"channels": ["SMS"], "from": "BenchShop", "to": spanish_numbers(700), "message": "Bench"}]
        started = time.perf_counter()
        status, body = post(port, key, payload)
        timings.append((time.perf_counter() - started) * 1000)
        if status != 200 or len(json.loads(body)["results"]) != 700:
            raise RuntimeError(f"bulk request failed: {status} {body[:300]!r}; see the gunicorn log above")
    return timings


def single(port: int, key: str, clients: int, seconds: float) -> tuple[int, int]:
    done = [0]
    failed = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        while time.perf_counter() < deadline:
            payload = [{"channels": ["SMS"], "from": "BenchShop", "to": spanish_numbers(1)[0], "message": "Hi"}]
            status, _body = post(port, key, payload)
            with lock:
                done[0] += 1
                failed[0] += status != 200

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0], failed[0]


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-api-"))
    os.environ["VAR_DIR"] = str(workdir)
    database, original_url = prepare_database()
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    server = None
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        print(f"database: {os.environ['DATABASE_URL']}, preparing…", flush=True)
        call_command("migrate", verbosity=0)
        key = setup()
        connections.close_all()
        port = free_port()
        server = start_gunicorn(args.workers, port, workdir)
        post(port, key, [{"channels": ["SMS"], "from": "BenchShop", "to": "34600000001", "message": "warm-up"}])
        cpu = worker_cpu_seconds(server.pid)
        started = time.perf_counter()
        for number in range(SEQUENTIAL):
            post(port, key, [{"channels": ["SMS"], "from": "BenchShop", "to": f"3461{number:07d}", "message": "Hi"}])
        sequential = (time.perf_counter() - started) / SEQUENTIAL * 1000
        sequential_cpu = (worker_cpu_seconds(server.pid) - cpu) / SEQUENTIAL * 1000
        cpu = worker_cpu_seconds(server.pid)
        timings = sorted(bulk(port, key, args.bulk_requests))
        bulk_cpu = (worker_cpu_seconds(server.pid) - cpu) / len(timings) * 1000
        p50 = statistics.median(timings)
        p95 = timings[min(len(timings) - 1, int(round(0.95 * len(timings))) - 1)]
        load_before = os.getloadavg()[0]
        cpu, client_cpu, database_cpu = (
            worker_cpu_seconds(server.pid),
            time.process_time(),
            postgres_cpu(database, original_url),
        )
        count, failed = single(port, key, args.clients, args.seconds)
        database_used = sum(
            seconds - database_cpu.get(pid, 0.0) for pid, seconds in postgres_cpu(database, original_url).items()
        )
        workers_used = worker_cpu_seconds(server.pid) - cpu
        clients_used = time.process_time() - client_cpu
        used = workers_used + clients_used + database_used
        load_after = os.getloadavg()[0]
        print(f"gunicorn: gunicorn.conf.py, {args.workers} workers; database: postgresql; cache and broker: redis")
        print(
            f"single-recipient requests from {args.clients} clients: {count} in {args.seconds:.0f} s, {failed} failed"
        )
        print(f"load average (1 min) before / after the concurrent run: {load_before:.2f} / {load_after:.2f}")
        print(f"one client, single-recipient request: {sequential:.1f} ms")
        print(f"worker CPU per single-recipient request: {sequential_cpu:.2f} ms")
        print(f"700-recipient p50: {p50:.0f} ms")
        print(f"700-recipient p95: {p95:.0f} ms")
        print(f"worker CPU per 700-recipient request: {bulk_cpu:.1f} ms")
        per_request = used / count * 1000
        cores = os.cpu_count() or 1
        print(f"CPU per concurrent single-recipient request (workers, PostgreSQL, clients): {per_request:.2f} ms")
        print(
            "  of which workers / PostgreSQL / clients: "
            + " / ".join(f"{seconds / count * 1000:.2f}" for seconds in (workers_used, database_used, clients_used))
            + " ms"
        )
        allowed = cores * 1000 / per_request
        print(f"single-recipient throughput the CPU allows on {cores} idle cores: {allowed:.0f} requests/s")
        print(f"single-recipient throughput, {args.clients} clients: {count / args.seconds:.0f} requests/s")
    except Exception:
        log = workdir / "gunicorn.log"
        if log.exists():
            print(log.read_text()[-5000:], file=sys.stderr)
        raise
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        drop_database(database, original_url)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

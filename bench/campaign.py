"""Benchmark: a campaign to a contact group, from Confirm to Completed, with real Celery workers.

The script creates a throwaway database with ``--contacts`` Spanish contacts in one group, a sender ID, an
SMS rate plan and the built-in simulator vendor (instant delivery reports, 90 % delivered), starts real
``celery worker`` processes (with beat, all queues), then confirms an SMS campaign with a ``{firstname}``
variable (``campaigns.services.campaign_launch``) and polls the campaign until it is Completed. The
workers expand the recipients (``campaigns.expansion``: stop list, de-duplication, variables, bulk message
rows) while they already dispatch the first messages and process their reports.

Printed at the end (``<figure>: <value> <unit>``):

- ``expansion recipients/s``: recipients / seconds from Confirm to the last chunk written;
- ``end-to-end``: minutes from Confirm to Completed;
- ``peak worker memory``: the largest resident size of one worker process, and of all of them together
  (sampled from /proc twice a second);
- worker and PostgreSQL CPU time per recipient (expansion, dispatch and reports together) and the load
  average, since the cores may be shared: on a busy machine the CPU times are the figures to compare.

The 1,000,000-contact acceptance run (budget: expansion >= 10,000 recipients/s, Completed within 10
minutes on 2 cores) needs PostgreSQL and Redis; a database ``bench_campaign_<pid>`` is created and
dropped (the user needs CREATEDB) and the Redis database given is FLUSHED, so use a spare number:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/python bench/campaign.py --contacts 1000000

When the server runs without autovacuum (the development PostgreSQL here), the bench analyzes the messages
table every 30 seconds itself, as autovacuum would in production.

``--expansion-only`` times the expansion alone in this process (no workers, dispatch switched off) and
prints the CPU time per recipient of this process and of its PostgreSQL backend: the figure to compare
changes with on a busy machine, e.g. ``--expansion-only --contacts 100000``. Without ``DATABASE_URL`` the
embedded SQLite database and filesystem broker are used (in a temporary folder).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest import mock

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
from bench._common import clean_up, prepare_environment, start_workers, stop_workers  # noqa: E402

os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key")
NAMES = ["Ana", "Lucas", "Sofia", "Javier", "Isabella", "Mateo"]
TEXT = "Hola {firstname}, 20% off today"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else "",
        epilog="\n\n".join(__doc__.split("\n\n")[1:]) if __doc__ else "",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--contacts", type=int, default=1_000_000, help="recipients (default 1000000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--expansion-only", action="store_true", help="time the expansion alone, in this process")
    parser.add_argument("--timeout", type=float, default=3600, help="give up after this many seconds (default 3600)")
    parser.add_argument("--keep", action="store_true", help="keep the database and folder afterwards")
    return parser.parse_args()


def group_rss_mb(group: int) -> list[float]:
    """Resident size of every process of the worker's process group, in MB."""
    sizes = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != group:
                continue
            rss = next(line for line in (entry / "status").read_text().splitlines() if line.startswith("VmRSS:"))
        except (OSError, StopIteration, IndexError, ValueError):
            continue
        sizes.append(int(rss.split()[1]) / 1024)
    return sizes


def group_cpu(group: int) -> float:
    """CPU seconds used so far by the processes of a process group."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == group:
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a local process (a PostgreSQL backend), or None when it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backend_cpu(database: str, last: dict[int, float]) -> None:
    """Record the CPU seconds of every PostgreSQL backend of ``database`` (local server only) in ``last``."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])
        pids = [row[0] for row in cursor.fetchall()]
    for pid in pids:
        now = cpu_seconds(pid)
        if now is not None:
            last[pid] = now


def final_messages(campaign_id: int) -> int:
    from django.db.models import Sum

    from messaging.models import CampaignCounter

    names = [f"{status}_messages" for status in ("delivered", "seen", "undelivered", "failed")]
    totals = CampaignCounter.objects.filter(campaign_id=campaign_id).aggregate(**{name: Sum(name) for name in names})
    return sum(int(value or 0) for value in totals.values())


def load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"{one:.1f} (1 min) / {five:.1f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-campaign-"))
    original_url = os.environ.get("DATABASE_URL", "")
    os.environ["PRIVATE_MEDIA_ROOT"] = str(workdir / "private")
    database = prepare_environment(workdir, f"bench_campaign_{os.getpid()}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    workers: list[subprocess.Popen[bytes]] = []
    try:
        import django

        django.setup()
        from django.core.management import call_command

        print(f"database: {os.environ['DATABASE_URL']}, preparing (migrations, reference book)…", flush=True)
        call_command("migrate", verbosity=0)
        campaign, user = setup(args.contacts)
        if args.expansion_only:
            expansion_only(args, campaign, user)
        else:
            end_to_end(args, campaign, user, workers, workdir)
    finally:
        for process in workers:
            stop_workers(process)
        clean_up(workdir, database, original_url, keep=args.keep)


def setup(count: int) -> tuple[Any, Any]:
    from decimal import Decimal

    from django.db import connection

    from billing import services as billing_services
    from billing.models import BillingChannel, Country, Rate, RatePlan
    from campaigns import services
    from campaigns.models import Campaign
    from contacts import services as contact_services
    from contacts.models import Contact, Membership
    from messaging.models import ConnectorType, Route, Vendor
    from senders.models import SenderID
    from tenancy import services as tenancy_services
    from tenancy.models import Channel, Partner

    owner = tenancy_services.partner_create_owner(name="Bench Owner")
    reseller = tenancy_services.partner_create(parent=owner, kind=Partner.Kind.RESELLER, name="Bench Reseller")
    company = tenancy_services.partner_create(parent=reseller, kind=Partner.Kind.END_USER, name="Bench Company")
    user = tenancy_services.user_create(partner=company, email="bench@example.test", password="bench-pass-2026!")  # noqa: S106
    spain = Country.objects.get(iso_code="ES")
    plan = RatePlan.objects.create(partner=reseller, name="Bench SMS", channel=BillingChannel.SMS)
    Rate.objects.create(plan=plan, country=spain, price=Decimal("0.001"))
    billing_services.plan_subscribe(partner=company, plan=plan, by=None)
    billing_services.balance_change(partner=company, amount=Decimal(count), type="payment", by=None)
    SenderID.objects.create(partner=company, value="Bench", channel=Channel.SMS, status=SenderID.Status.ENABLED)
    vendor = Vendor.objects.create(
        partner=owner,
        name="Bench simulator",
        code="bench-sim",
        connector=ConnectorType.SIMULATOR,
        settings={"seed": 7, "latency": 0, "delivery_ratio": 0.9, "seen_ratio": 0},
    )
    Route.objects.create(partner=owner, channel=Channel.SMS, vendor=vendor)
    group = contact_services.group_create(partner=company, by=user, name="Bench")

    started = time.perf_counter()
    if connection.vendor == "postgresql":
        contacts, memberships = Contact._meta.db_table, Membership._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {contacts} (partner_id, phone, first_name, last_name, gender, comment, custom_values,"  # noqa: S608
                " country_id, created_at, updated_at)"
                " SELECT %s, '346' || lpad(i::text, 8, '0'), (%s::text[])[i %% 6 + 1], '', '', '', '{}', %s,"
                " now(), now() FROM generate_series(0, %s - 1) AS i",
                [company.pk, NAMES, spain.pk, count],
            )
            cursor.execute(
                f"INSERT INTO {memberships} (contact_id, group_id) SELECT id, %s FROM {contacts}"  # noqa: S608
                " WHERE partner_id = %s",
                [group.pk, company.pk],
            )
            cursor.execute(f"ANALYZE {contacts}; ANALYZE {memberships}")
    else:
        batch = 20_000
        for start in range(0, count, batch):
            created = Contact.objects.bulk_create(
                Contact(partner=company, phone=f"346{i:08d}", first_name=NAMES[i % 6], country=spain)
                for i in range(start, min(count, start + batch))
            )
            Membership.objects.bulk_create(Membership(contact=contact, group=group) for contact in created)
    print(f"contacts: {count} created in {time.perf_counter() - started:.1f} s", flush=True)
    campaign = services.campaign_create(
        partner=company,
        by=user,
        name="Bench",
        steps=[{"channel": "sms", "sender": "Bench", "text": TEXT}],
        source=Campaign.Source.GROUPS,
        groups=[group],
    )
    return campaign, user


def backend_pid() -> int | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def expansion_only(args: argparse.Namespace, campaign: Any, user: Any) -> None:
    from campaigns import expansion, services, tasks
    from messaging.models import Message

    with mock.patch.object(tasks.expand_recipients, "delay"), mock.patch("messaging.services.enqueue.trigger"):
        started = time.perf_counter()
        services.campaign_launch(campaign=campaign, by=user)
        launch = time.perf_counter() - started
        backend = backend_pid()
        backend_before = cpu_seconds(backend) if backend else None
        cpu_before = time.process_time()
        started = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.runcall(expansion.campaign_expand, campaign_id=campaign.pk, budget=3600)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        while expansion.campaign_expand(campaign_id=campaign.pk, budget=3600):
            pass
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
        backend_after = cpu_seconds(backend) if backend else None
    campaign.refresh_from_db()
    written = Message.objects.filter(campaign_id=campaign.pk).count()
    assert written == args.contacts == campaign.messages_written, (written, campaign.messages_written)
    print(f"launch (validation and estimate): {launch:.2f} s")
    print(f"expansion: {seconds:.1f} s for {written} messages")
    print(f"python CPU per recipient: {cpu / written * 1e6:.0f} µs")
    if backend_before is not None and backend_after is not None:
        print(f"postgresql CPU per recipient: {(backend_after - backend_before) / written * 1e6:.0f} µs")
    print(f"load average: {load()}")
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"expansion recipients/s: {written / seconds:.0f} recipients/s")


def autovacuum_off() -> int:
    """Seconds between the bench's own ANALYZE of the messages when the server runs no autovacuum (else 0).

    Without statistics the planner keeps the estimates of an empty table and reads delivery reports' messages
    through a fraction of an index: seconds per batch at a million messages, which production (autovacuum on)
    never sees."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        return 30 if cursor.fetchone()[0] == "off" else 0


def wait_ready(process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    from config.celery import app

    deadline = time.monotonic() + timeout
    while not app.control.ping(timeout=1.0):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the workers did not start: see worker.log (--keep keeps it)")


def end_to_end(
    args: argparse.Namespace, campaign: Any, user: Any, workers: list[subprocess.Popen[bytes]], workdir: Path
) -> None:
    from django.db import connection
    from django.db.models import Count

    from campaigns import services
    from campaigns.models import Campaign
    from messaging.models import Message

    analyze_every = autovacuum_off()
    if analyze_every:
        print(f"autovacuum is off on this server: the bench analyzes the messages every {analyze_every} s instead")
    process = start_workers(args.workers, workdir)
    workers.append(process)
    wait_ready(process)
    print(f"workers ready ({args.workers} processes); load average {load()}; Confirm", flush=True)
    peak_one = peak_all = 0.0
    database = connection.settings_dict["NAME"]
    before: dict[int, float] = {}
    backend_cpu(database, before)
    backends = dict(before)  # backends born later count from zero
    workers_before = group_cpu(process.pid)
    started = time.perf_counter()
    services.campaign_launch(campaign=campaign, by=user)
    launch = time.perf_counter() - started
    expanded_at = None
    last_report = last_analyze = started
    while True:
        time.sleep(0.5)
        now = time.perf_counter()
        sizes = group_rss_mb(process.pid)
        peak_one, peak_all = max(peak_one, *sizes, 0.0), max(peak_all, sum(sizes))
        backend_cpu(database, backends)
        row = Campaign.objects.values("status", "expanded", "recipients_total", "messages_written").get(pk=campaign.pk)
        if expanded_at is None and row["expanded"]:
            expanded_at = now
            print(f"  t={now - started:6.1f}s expansion done: {row['messages_written']} messages", flush=True)
        if row["status"] in (Campaign.Status.COMPLETED, Campaign.Status.FAILED, Campaign.Status.CANCELED):
            break
        if analyze_every and now - last_analyze > analyze_every:
            last_analyze = now
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Message._meta.db_table}")
        if now - last_report > 10:
            last_report = now
            print(f"  t={now - started:6.1f}s {row['status']} recipients={row['recipients_total']}"
                  f" final={final_messages(campaign.pk)} load={os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
        if now - started > args.timeout:
            raise SystemExit(f"timeout: {row}")
        if process.poll() is not None:
            raise SystemExit("the workers stopped: see worker.log (--keep keeps it)")
    finished = time.perf_counter()
    end_load = load()
    postgres = sum(seconds - before.get(pid, 0.0) for pid, seconds in backends.items())
    workers.remove(process)
    stop_workers(process)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    campaign.refresh_from_db()
    statuses = dict(Message.objects.filter(campaign_id=campaign.pk).values_list("status").annotate(n=Count("pk")))
    print(f"database: {connection.vendor}; broker: {'redis' if os.environ.get('REDIS_URL') else 'filesystem'}")
    print(f"campaign: {campaign.status}; recipients {campaign.recipients_total}, messages {campaign.messages_written}")
    print(f"messages by status: {statuses}")
    print(f"launch (validation and estimate, part of the end-to-end time): {launch:.1f} s")
    worker_cpu = children.ru_utime + children.ru_stime - workers_before
    print(f"worker CPU per recipient (after Confirm): {worker_cpu / args.contacts * 1e6:.0f} µs")
    print(f"postgresql CPU per recipient (all backends of the database): {postgres / args.contacts * 1e6:.0f} µs")
    print(f"load average at the end: {end_load}")
    print(f"peak worker memory: {peak_one:.0f} MB per process, {peak_all:.0f} MB all worker processes")
    assert campaign.status == Campaign.Status.COMPLETED and campaign.messages_written == args.contacts
    assert expanded_at is not None
    print(f"expansion recipients/s: {campaign.recipients_total / (expanded_at - started):.0f} recipients/s")
    print(f"end-to-end: {(finished - started) / 60:.2f} minutes")


if __name__ == "__main__":
    main()

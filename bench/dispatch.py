"""Benchmark: messages submitted and delivery reports processed per second by real Celery workers.

A 200,000-message SMS campaign to Spanish and Swedish numbers (1–3 parts, charged from a rate plan)
is enqueued in chunks of 5,000 with ``messaging.services.enqueue_messages``, the way the recipient
expansion does it (its rate is printed too). Then real ``celery worker`` processes (with beat) start,
dispatch the queue through the built-in simulator vendor with instant delivery reports (latency 0,
90 % delivered) and process the reports, both at once. The script polls the campaign counters and prints:

- ``submitted/s``: messages / seconds from the first message leaving the queue (the workers are up)
  to the last message submitted to the vendor (SENT or already final);
- ``dlr processed/s``: delivery reports / seconds from the first final status to the last one;
- ``time to all final``: seconds from the first message leaving the queue to the last final status.

Afterwards it checks that every message is final, that the simulator received each message exactly
once, and that the partner's balance equals the sum of its ledger.

Embedded default (SQLite in WAL mode and the filesystem broker, in a temporary folder):

    .venv/bin/python bench/dispatch.py

PostgreSQL and Redis (a throwaway database ``bench_dispatch_<pid>`` is created and dropped; the Redis
database given is FLUSHED, so use a spare number):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/python bench/dispatch.py

Options: ``--messages`` (default 200000), ``--workers`` (worker processes, default 2), ``--chunk``.
The last three lines are ``submitted/s: <v> msg/s``, ``dlr processed/s: <v> dlr/s`` and
``time to all final: <v> s``.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
from bench._common import clean_up, prepare_environment, start_workers, stop_workers  # noqa: E402

os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key")
CAMPAIGN_ID = 1
WORKERS: list[subprocess.Popen[bytes]] = []


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else "",
        epilog="\n\n".join(__doc__.split("\n\n")[1:]) if __doc__ else "",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--messages", type=int, default=200_000, help="campaign size (default 200000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--chunk", type=int, default=5_000, help="messages per enqueue_messages call (default 5000)")
    parser.add_argument("--timeout", type=float, default=1800, help="give up after this many seconds (default 1800)")
    parser.add_argument("--keep", action="store_true", help="keep the database and folder afterwards")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    original_url = os.environ.get("DATABASE_URL", "")
    database = prepare_environment(workdir, f"bench_dispatch_{os.getpid()}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    try:
        import django

        django.setup()
        from django.core.management import call_command

        print(f"database: {os.environ['DATABASE_URL']}, preparing (migrations, reference book)…", flush=True)
        call_command("migrate", verbosity=0)
        company = setup()
        run(args, company, lambda: start_workers(args.workers, workdir))
    finally:
        if WORKERS:
            stop_workers(WORKERS[0])
        clean_up(workdir, database, original_url, keep=args.keep)


def setup():  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from billing import services as billing
    from billing.models import BillingChannel, Country, Rate, RatePlan
    from messaging.models import ConnectorType, Route, Vendor
    from senders.models import SenderID
    from tenancy import services as tenancy_services
    from tenancy.models import Channel, Partner

    owner = tenancy_services.partner_create_owner(name="Bench Owner")
    reseller = tenancy_services.partner_create(parent=owner, kind=Partner.Kind.RESELLER, name="Bench Reseller")
    company = tenancy_services.partner_create(parent=reseller, kind=Partner.Kind.END_USER, name="Bench Company")
    spain, sweden = Country.objects.get(iso_code="ES"), Country.objects.get(iso_code="SE")
    plan = RatePlan.objects.create(partner=reseller, name="Bench SMS", channel=BillingChannel.SMS)
    Rate.objects.bulk_create(
        [Rate(plan=plan, country=spain, price=Decimal("0.03")), Rate(plan=plan, country=sweden, price=Decimal("0.045"))]
    )
    billing.plan_subscribe(partner=company, plan=plan, by=None)
    billing.balance_change(partner=company, amount=Decimal("100000"), type="payment", by=None, description="bench")
    SenderID.objects.create(partner=company, value="BenchShop", channel=Channel.SMS, status=SenderID.Status.ENABLED)
    vendor = Vendor.objects.create(
        partner=owner,
        name="Bench simulator",
        code="bench-sim",
        connector=ConnectorType.SIMULATOR,
        settings={"seed": 7, "latency": 0, "delivery_ratio": 0.9, "seen_ratio": 0},
    )
    Route.objects.create(partner=owner, channel=Channel.SMS, vendor=vendor)
    return company


def counts() -> dict[str, int]:
    from django.db.models import Sum

    from messaging.models import CampaignCounter, MessageStatus

    names = [f"{status.value}_messages" for status in MessageStatus]
    totals = CampaignCounter.objects.filter(campaign_id=CAMPAIGN_ID).aggregate(
        total=Sum("total_messages"), **{name: Sum(name) for name in names}
    )
    return {key: int(value or 0) for key, value in totals.items()}


def run(args: argparse.Namespace, company, start) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection

    from billing.services import ledger_total
    from messaging.models import Message, MessageStatus, SimulatorEvent
    from messaging.services import ChannelContent, OutgoingMessage, enqueue_messages
    from tenancy.models import Channel

    rng = random.Random(2026)
    texts = ["Your order has shipped.", "Sale! " + "x" * 170, "Código: 1234 — ¡gracias!"]
    steps = [[ChannelContent(channel=Channel.SMS, sender="BenchShop", text=text)] for text in texts]
    numbers = [f"346{index:08d}" if rng.random() < 0.7 else f"467{index:08d}" for index in range(args.messages)]
    print(f"messages: {args.messages}, worker processes: {args.workers}", flush=True)
    enqueue_started = time.perf_counter()
    for position in range(0, len(numbers), args.chunk):
        chunk = numbers[position : position + args.chunk]
        enqueue_messages(
            partner=company,
            messages=[OutgoingMessage(number, steps[index % 3]) for index, number in enumerate(chunk)],
            campaign_id=CAMPAIGN_ID,
        )
    enqueue_seconds = time.perf_counter() - enqueue_started
    print(f"  enqueued {args.messages} in {enqueue_seconds:.1f} s; starting the workers", flush=True)
    WORKERS.append(start())
    started = time.perf_counter()
    first_out = submitted_at = first_final = all_final = None
    last_report = started
    while True:
        time.sleep(0.1)
        now = time.perf_counter()
        state = counts()
        waiting = state["prepared_messages"] + state["billed_messages"]
        final = sum(state[f"{s}_messages"] for s in ("delivered", "seen", "undelivered", "failed"))
        if first_out is None and waiting < state["total"]:
            first_out = now
        if first_final is None and final:
            first_final = now
        if submitted_at is None and waiting == 0:
            submitted_at = now
        if final >= args.messages:
            all_final = now
            break
        if now - last_report > 5:
            last_report = now
            print(f"  t={now - started:6.1f}s waiting={waiting} final={final}", flush=True)
        if now - started > args.timeout:
            raise SystemExit(f"timeout: {state}")
    assert first_out and submitted_at and first_final and all_final
    stop_workers(WORKERS.pop())
    import resource

    worker_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_seconds = worker_cpu.ru_utime + worker_cpu.ru_stime

    company.refresh_from_db()
    ledger = ledger_total(company)
    statuses = dict(Message.objects.values_list("status").annotate(n=__import__("django").db.models.Count("pk")))
    duplicates = (
        SimulatorEvent.objects.exclude(status="seen")
        .values("client_ref")
        .annotate(n=__import__("django").db.models.Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    assert company.balance == ledger, (company.balance, ledger)
    assert duplicates == 0, duplicates
    assert sum(statuses.values()) == args.messages
    assert not set(statuses) - {MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.FAILED}, statuses
    print(f"database: {connection.vendor}; broker: {os.environ.get('REDIS_URL') and 'redis' or 'filesystem'}")
    print(f"statuses: {statuses}")
    print(f"balance {company.balance} = ledger {ledger}; messages submitted twice: {duplicates}")
    print(f"enqueue (before the workers start): {args.messages / enqueue_seconds:.0f} msg/s")
    print(f"worker start-up: {first_out - started:.1f} s (not counted below)")
    print(
        "worker CPU per message (dispatch, charge, submit and report together):"
        f" {worker_seconds / args.messages * 1e6:.0f} µs"
    )
    print(f"load average at the end (other processes share the {os.cpu_count()} cores): {os.getloadavg()[0]:.1f}")
    print(f"submitted/s: {args.messages / max(1e-9, submitted_at - first_out):.0f} msg/s")
    print(f"dlr processed/s: {args.messages / max(1e-9, all_final - first_final):.0f} dlr/s")
    print(f"time to all final: {all_final - first_out:.1f} s")


if __name__ == "__main__":
    main()

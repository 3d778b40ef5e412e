"""Benchmark: how many campaign messages per second the billing service charges.

A 100,000-message campaign (Spain and Sweden, 1–3 parts each) is charged in chunks the way the
recipient expansion does it: each chunk is one ``billing.services.charge_batch`` call. Part of the
messages are paid from packs, the rest from the rate plan (by exact network or "all networks").
The script builds a throwaway database (Django's test database machinery), checks afterwards that
the balance equals the sum of the ledger, and drops the database.

SQLite (the embedded default; the database is a file in WAL mode, as in `make run`):

    .venv/bin/python bench/charging.py

PostgreSQL (and Redis, which charging does not use, but the production settings expect):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/campaign_portal \\
    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/charging.py

(a database named ``bench_charging_<pid>`` is created and dropped; the user needs CREATEDB). The last line
is ``messages charged/s: <value> msg/s``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else "",
        epilog="\n\n".join(__doc__.split("\n\n")[1:]) if __doc__ else "",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--messages", type=int, default=100_000, help="campaign size (default 100000)")
    parser.add_argument("--chunk", type=int, default=5_000, help="messages per charge_batch call (default 5000)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the destination mix")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    workdir = None
    if connection.vendor == "sqlite":
        workdir = tempfile.TemporaryDirectory(prefix="bench-charging-")
        connection.settings_dict["TEST"]["NAME"] = str(Path(workdir.name) / "bench.sqlite3")
    else:  # never the integration suite's test database
        connection.settings_dict["TEST"]["NAME"] = f"bench_charging_{os.getpid()}"
    setup_test_environment()
    print(f"database: {connection.vendor}, preparing (migrations, reference book)…", flush=True)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if workdir is not None:
            workdir.cleanup()


def run(args: argparse.Namespace) -> None:
    from django.db import connection

    from billing import services
    from billing.models import BillingChannel, Country, Network, Pack, Rate, RatePlan, Subscription, Transaction
    from tenancy import services as tenancy_services
    from tenancy.models import Partner

    owner = tenancy_services.partner_create_owner(name="Bench Owner")
    reseller = tenancy_services.partner_create(parent=owner, kind=Partner.Kind.RESELLER, name="Bench Reseller")
    company = tenancy_services.partner_create(parent=reseller, kind=Partner.Kind.END_USER, name="Bench Company")
    spain, sweden = Country.objects.get(iso_code="ES"), Country.objects.get(iso_code="SE")
    es_networks = list(Network.objects.filter(country=spain).order_by("mnc"))
    se_networks = list(Network.objects.filter(country=sweden).order_by("mnc"))

    plan = RatePlan.objects.create(partner=reseller, name="Bench SMS", channel=BillingChannel.SMS)
    Rate.objects.bulk_create(
        [Rate(plan=plan, country=spain, network=None, price=Decimal("0.03000"))]
        + [Rate(plan=plan, country=sweden, network=None, price=Decimal("0.04500"))]
        + [Rate(plan=plan, country=spain, network=n, price=Decimal("0.02500") + i * Decimal("0.001"))
           for i, n in enumerate(es_networks[:4])]
        + [Rate(plan=plan, country=sweden, network=n, price=Decimal("0.04000")) for n in se_networks[:3]]
    )  # fmt: skip
    services.plan_subscribe(partner=company, plan=plan, by=None)
    services.balance_change(partner=company, amount=Decimal("100000"), type="payment", by=None, description="bench")
    pack_sizes = [(spain, es_networks[:1], 15_000), (spain, [], 10_000), (sweden, [], 8_000)]
    for index, (country, networks, size) in enumerate(pack_sizes):
        pack = Pack.objects.create(
            partner=reseller,
            name=f"Bench pack {index}",
            price=Decimal(size) / 100,
            channel=BillingChannel.SMS,
            country=country,
            message_count=max(1, size * args.messages // 100_000),
        )
        pack.networks.set(networks)
        services.pack_purchase(partner=company, pack=pack, by=None)

    rng = random.Random(args.seed)
    destinations = [n.mccmnc for n in es_networks + se_networks] + [spain.mcc, sweden.mcc]
    weights = [5] * len(es_networks) + [3] * len(se_networks) + [2, 1]
    mccmncs = rng.choices(destinations, weights=weights, k=args.messages)
    items = [(mccmnc, rng.choice((1, 1, 1, 2, 3))) for mccmnc in mccmncs]
    chunks = [items[start : start + args.chunk] for start in range(0, len(items), args.chunk)]

    charged = rejected = from_packs = 0
    started = time.perf_counter()
    for chunk in chunks:
        for result in services.charge_batch(
            partner=company, channel=BillingChannel.SMS, items=chunk, reference="campaign:bench", description="Bench"
        ):
            if isinstance(result, services.Charge):
                charged += 1
                from_packs += result.from_pack
            else:
                rejected += 1
    elapsed = time.perf_counter() - started

    company.refresh_from_db()
    ledger = services.ledger_total(company)
    campaign = Transaction.objects.get(partner=company, reference="campaign:bench")
    packs_left = sum(Subscription.objects.filter(partner=company, kind="pack").values_list("messages_left", flat=True))
    assert company.balance == ledger, (company.balance, ledger)
    assert charged + rejected == args.messages
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"messages: {args.messages} in {len(chunks)} chunks of {args.chunk}")
    print(f"charged: {charged} ({from_packs} from packs, {charged - from_packs} from the plan), rejected: {rejected}")
    print(f"campaign transaction: {campaign.amount} EUR, {campaign.details.count()} MCCMNC details")
    print(f"pack messages left: {packs_left}; balance {company.balance} = ledger sum {ledger}")
    print(f"elapsed: {elapsed:.3f} s")
    print(f"messages charged/s: {charged / elapsed:.0f} msg/s")


if __name__ == "__main__":
    main()

"""Benchmark: recipient expansion of a campaign to a contact group, in this process (the task's body).

The script creates ``--contacts`` Spanish contacts in one group (bulk inserts), launches an SMS campaign
with a ``{firstname}`` variable through ``campaigns.services.campaign_launch`` and times the expansion
(``campaign_expand``: stop list, de-duplication, variables, number resolution, bulk message rows) — the
part of the Confirm → Completed path that runs before the dispatch workers take over (bench/dispatch.py
measures those). Dispatch triggers are switched off so only the expansion is timed.

SQLite (the embedded default, a WAL file in a temporary folder):

    .venv/bin/python bench/campaign.py --contacts 100000

PostgreSQL (a database ``bench_campaign_<pid>`` is created and dropped; the user needs CREATEDB):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/campaign.py

The last lines are ``<figure>: <value> <unit>``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    return parser.parse_args()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    args = parse_args()
    workdir = tempfile.TemporaryDirectory(prefix="bench-campaign-")
    os.environ["PRIVATE_MEDIA_ROOT"] = workdir.name
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(Path(workdir.name) / "bench.sqlite3")
    else:
        connection.settings_dict["TEST"]["NAME"] = f"bench_campaign_{os.getpid()}"
    setup_test_environment()
    print(f"database: {connection.vendor}, preparing (migrations, reference book)…", flush=True)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        workdir.cleanup()


def run(args: argparse.Namespace) -> None:
    from decimal import Decimal

    from billing import services as billing_services
    from billing.models import BillingChannel, Country, Rate, RatePlan
    from campaigns import expansion, services, tasks
    from campaigns.models import Campaign
    from contacts import services as contact_services
    from contacts.models import Contact, Membership
    from messaging.models import Message
    from senders import services as sender_services
    from tenancy import approvals
    from tenancy import services as tenancy_services
    from tenancy.models import Partner

    owner = tenancy_services.partner_create_owner(name="Bench Owner")
    reseller = tenancy_services.partner_create(parent=owner, kind=Partner.Kind.RESELLER, name="Bench Reseller")
    company = tenancy_services.partner_create(parent=reseller, kind=Partner.Kind.END_USER, name="Bench Company")
    users = [
        tenancy_services.user_create(partner=p, email=f"bench{i}@example.test", password="bench-pass-2026!")  # noqa: S106
        for i, p in enumerate((owner, reseller, company))
    ]
    spain = Country.objects.get(iso_code="ES")
    plan = RatePlan.objects.create(partner=reseller, name="Bench SMS", channel=BillingChannel.SMS)
    Rate.objects.create(plan=plan, country=spain, price=Decimal("0.001"))
    billing_services.plan_subscribe(partner=company, plan=plan, by=None)
    billing_services.balance_change(partner=company, amount=Decimal(args.contacts), type="payment", by=None)
    request = sender_services.sender_request_create(partner=company, by=users[2], value="Bench", channel="sms")
    approval = request.approval
    while approval.current_partner is not None and not approvals.is_final_level(approval):
        approval = approvals.approval_forward(approval=approval, by=approval.current_partner.users.get())
    sender_services.sender_request_confirm(sender_request=request, by=users[0], validity_months=12)
    group = contact_services.group_create(partner=company, by=users[2], name="Bench")

    started = time.perf_counter()
    names = ["Ana", "Lucas", "Sofia", "Javier", "Isabella", "Mateo"]
    batch = 20_000
    for start in range(0, args.contacts, batch):
        count = min(batch, args.contacts - start)
        contacts = Contact.objects.bulk_create(
            Contact(partner=company, phone=f"346{start + i:08d}", first_name=names[(start + i) % 6], country=spain)
            for i in range(count)
        )
        Membership.objects.bulk_create(Membership(contact=contact, group=group) for contact in contacts)
    print(f"contacts: {args.contacts} created in {time.perf_counter() - started:.1f} s", flush=True)

    campaign = services.campaign_create(
        partner=company,
        by=users[2],
        name="Bench",
        steps=[{"channel": "sms", "sender": "Bench", "text": "Hola {firstname}, 20% off today"}],
        source=Campaign.Source.GROUPS,
        groups=[group],
    )
    with mock.patch.object(tasks.expand_recipients, "delay"), mock.patch("messaging.services.enqueue.trigger"):
        started = time.perf_counter()
        services.campaign_launch(campaign=campaign, by=users[2])
        launch = time.perf_counter() - started
        started = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.runcall(expansion.campaign_expand, campaign_id=campaign.pk, budget=3600)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        while expansion.campaign_expand(campaign_id=campaign.pk, budget=3600):
            pass
        expansion.campaign_expand_chunk(campaign_id=campaign.pk)
        expand_seconds = time.perf_counter() - started
    campaign.refresh_from_db()
    written = Message.objects.filter(campaign_id=campaign.pk).count()
    assert written == args.contacts == campaign.messages_written, (written, campaign.messages_written)
    print(f"launch (validation and estimate): {launch:.2f} s")
    print(f"expansion: {expand_seconds:.1f} s for {written} messages")
    print(f"expansion rows/s: {written / expand_seconds:.0f} rows/s")
    print(f"peak memory: {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()

"""Benchmark: the Contacts page (page 1, with and without filters) of a company with 1,000,000 contacts.

The script builds a throwaway database, fills it with a million contacts in two groups (with a custom
"City" field, a few stop-listed), and times full page renders through Django's test client (session,
middleware, view, template), each several times. The figure is the median per page.

SQLite (the embedded default):

    .venv/bin/python bench/contacts_page.py

PostgreSQL (a database named ``bench_contacts_page_<pid>`` is created and dropped; the user needs CREATEDB):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/contacts_page.py

The last lines are ``<page>: <value> ms`` and ``slowest page: <value> ms``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import create_test_database, destroy_test_database  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key")

HOST = "bench.local"
FIRST = ["Ana", "Lucas", "Sofia", "Javier", "Isabella", "Mateo", "Lucia", "Hugo", "Martina", "Pablo"]
CITIES = ["Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao", "Malaga"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else "",
        epilog="\n\n".join(__doc__.split("\n\n")[1:]) if __doc__ else "",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--contacts", type=int, default=1_000_000, help="contacts (default 1000000)")
    parser.add_argument("--repeat", type=int, default=7, help="renders per page (default 7)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards (to look at query plans)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    workdir = tempfile.TemporaryDirectory(prefix="bench-contacts-page-")
    os.environ["PRIVATE_MEDIA_ROOT"] = workdir.name
    import django

    django.setup()
    old_name = create_test_database(Path(workdir.name), f"bench_contacts_page_{os.getpid()}")
    try:
        run(args)
    finally:
        destroy_test_database(old_name, keep=args.keep)
        if not args.keep:
            workdir.cleanup()


def fill(company: object, user: object, count: int) -> tuple[object, object]:
    """A million contacts in batches of plain rows (the import's own writer), 10 % of them VIP."""
    from django.db import connection, transaction
    from django.utils import timezone

    from billing.models import Country
    from contacts import services
    from contacts.models import Contact, Membership
    from contacts.services._sql import insert_rows

    vip = services.group_create(partner=company, by=user, name="Spain VIP")  # type: ignore[arg-type]
    standard = services.group_create(partner=company, by=user, name="Spain Standard")  # type: ignore[arg-type]
    spain = Country.objects.get(iso_code="ES").pk
    start = timezone.now() - timedelta(days=400)
    columns = ("partner_id", "phone", "first_name", "last_name", "custom_values", "country_id", "created_by_id",
               "created_at", "updated_at", "gender", "comment")  # fmt: skip
    batch = 20_000
    began = time.perf_counter()
    for offset in range(0, count, batch):
        rows = []
        for index in range(offset, min(offset + batch, count)):
            moment = start + timedelta(seconds=index * 30)
            phone = f"346{(index * 7_919 + 12_345) % 100_000_000:08d}"
            city = {"city": CITIES[index % len(CITIES)]}
            name = FIRST[index % len(FIRST)]
            gender = "female" if index % 2 else "male"
            rows.append((company.pk, phone, name, "Garcia", city, spain, user.pk, moment, moment, gender, ""))  # type: ignore[attr-defined]
        with transaction.atomic():
            returned = insert_rows(Contact, columns, rows, returning=("id",))
            members = [(pk, vip.pk if pk % 10 == 0 else standard.pk) for (pk,) in returned]
            insert_rows(Membership, ("contact_id", "group_id"), members)
    if connection.vendor == "postgresql":
        # What autovacuum does after a bulk load: statistics, and the visibility map index-only scans rely on.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE contacts_contact")
            cursor.execute("VACUUM ANALYZE contacts_membership")
    print(f"filled {count} contacts in {time.perf_counter() - began:.0f} s", flush=True)
    return vip, standard


def run(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from contacts import services
    from contacts.models import Contact
    from tenancy import services as tenancy_services
    from tenancy.models import Partner, Portal, PortalHost

    owner = tenancy_services.partner_create_owner(name="Bench Owner")
    reseller = tenancy_services.partner_create(parent=owner, kind=Partner.Kind.RESELLER, name="Bench Reseller")
    company = tenancy_services.partner_create(parent=reseller, kind=Partner.Kind.END_USER, name="Bench Company")
    portal = Portal.objects.create(partner=owner, brand_name="Bench")
    PortalHost.objects.create(portal=portal, name=HOST)
    user = tenancy_services.user_create(partner=company, email="bench@example.test", password="bench-pass-2026!")  # noqa: S106
    services.contact_field_create(partner=company, by=user, name="City", data_type="text")
    vip, _standard = fill(company, user, args.contacts)
    stop_listed = Contact.objects.for_partner(company).order_by("pk")[:50]
    services.stop_list_block(
        partner=company, contacts=Contact.objects.filter(pk__in=list(stop_listed.values_list("pk", flat=True))),
        sender_ids=None, by=user,
    )  # fmt: skip

    first_created = Contact.objects.for_partner(company).order_by("created_at").values_list("created_at", flat=True)[0]
    month_start = first_created + timedelta(days=60)
    month_end = month_start + timedelta(days=30)
    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    contacts, stop_list = reverse("contacts:list"), reverse("contacts:stop_list")
    pages = {
        "page 1, no filter": contacts,
        "page 1 of 100 rows": f"{contacts}?per_page=100",
        "phone starts with 34612": f"{contacts}?phone=34612",
        "group Spain VIP": f"{contacts}?group={vip.pk}",  # type: ignore[attr-defined]
        "first name contains 'uc'": f"{contacts}?first_name=uc",
        "created in one month": f"{contacts}?created_from={month_start:%Y-%m-%d}&created_to={month_end:%Y-%m-%d}",
        "city contains 'bil'": f"{contacts}?field_city=bil",
        "group + gender + name": f"{contacts}?group={vip.pk}&gender=female&first_name=a",  # type: ignore[attr-defined]
        "stop list tab": stop_list,
    }
    results = {}
    for label, url in pages.items():
        client.get(url)  # warm the caches (and remember the page size)
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        total = response.context["paginator"].count
        results[label] = statistics.median(timings)
        print(f"  {label}: {total} contacts, median {results[label]:.0f} ms, max {max(timings):.0f} ms", flush=True)
    print(f"database: {connection.vendor}")
    print(f"contacts: {args.contacts} contacts")
    for label, value in results.items():
        print(f"{label}: {value:.0f} ms")
    print(f"slowest page: {max(results.values()):.0f} ms")


if __name__ == "__main__":
    main()

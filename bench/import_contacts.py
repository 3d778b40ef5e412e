"""Benchmark: a 1,000,000-row contacts CSV imported through the real import task, then imported again.

The script writes a CSV (phone written with spaces as people do, first and last name, date of birth,
gender and a custom "City" field), stores it as an upload would be stored, goes through the wizard's
services (configure, start) and runs the Celery task's body in this process, as a worker would. The
second run imports the same numbers with changed names ("add and update existing"), so every row
is an update. Peak memory is the process's maximum resident set size (of a parsing child process too).
Wall-clock rates depend on what else the machine runs, so the script also prints the CPU time this
process (and its children) spent per row, and the load average when each import ended.

SQLite (the embedded default; the database is a file in WAL mode, as in `make run`):

    .venv/bin/python bench/import_contacts.py

PostgreSQL (a database named ``bench_contacts_<pid>`` is created and dropped; the user needs CREATEDB):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/import_contacts.py

Use ``--rows`` for a smaller run. The last lines are ``<figure>: <value> <unit>``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import create_test_database, destroy_test_database  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key")

FIRST = ["Ana", "Lucas", "Sofia", "Javier", "Isabella", "Mateo", "Lucia", "Hugo", "Martina", "Pablo"]
LAST = ["Garcia", "Martinez", "Lopez", "Sanchez", "Perez", "Gomez", "Martin", "Jimenez", "Ruiz", "Torres"]
CITIES = ["Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao", "Malaga"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else "",
        epilog="\n\n".join(__doc__.split("\n\n")[1:]) if __doc__ else "",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the file (default 1000000)")
    parser.add_argument("--no-reimport", action="store_true", help="skip the second (update) import")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards (to look at query plans)")
    return parser.parse_args()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def write_csv(path: Path, rows: int, generation: int) -> None:
    """Unique Spanish mobile numbers in a scrambled order (a bijection of 0..10^8), written as people write them."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("Phone;First name;Last name;Date of birth;Gender;City\n")
        for index in range(rows):
            national = (index * 7_919 + 12_345) % 100_000_000
            digits = f"6{national:08d}"
            phone = f"34 {digits[:3]} {digits[3:6]} {digits[6:]}"
            first = FIRST[index % len(FIRST)] + ("" if generation == 1 else "-2")
            born = f"{1950 + index % 50}-{1 + index % 12:02d}-{1 + index % 28:02d}"
            gender = "female" if index % 2 else "male"
            handle.write(f"{phone};{first};{LAST[index % len(LAST)]};{born};{gender};{CITIES[index % len(CITIES)]}\n")


def main() -> None:
    args = parse_args()
    workdir = tempfile.TemporaryDirectory(prefix="bench-contacts-")
    os.environ["PRIVATE_MEDIA_ROOT"] = workdir.name
    import django

    django.setup()
    old_name = create_test_database(Path(workdir.name), f"bench_contacts_{os.getpid()}")
    try:
        run(args, Path(workdir.name))
    finally:
        destroy_test_database(old_name, keep=args.keep)
        if not args.keep:
            workdir.cleanup()


def cpu_seconds() -> tuple[float, float, float]:
    """CPU time of this process, of its finished children (a parsing process) and of the database backend."""
    mine, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime, children.ru_utime + children.ru_stime, database_cpu_seconds()


def database_cpu_seconds() -> float:
    """CPU time of this connection's PostgreSQL backend, when the server runs on this machine (else 0)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    connection.ensure_connection()
    try:
        stat = Path(f"/proc/{connection.connection.info.backend_pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def import_file(path: Path, partner: Any, user: Any, group: Any, action: str) -> tuple[Any, float, list[float]]:
    from contacts import services, tasks
    from contacts.models import ContactImport

    job = ContactImport(partner=partner, created_by=user, file_name=path.name, file_size=path.stat().st_size)
    job.file_format = ContactImport.FileFormat.CSV
    job.encoding, job.delimiter, job.has_header = "utf-8", ";", True
    job.file.name = path.name  # stored in the private storage's folder, as an upload would be
    job.save()
    choices = dict(services.mapping_choices(job.partner))
    mapping = ["phone", "first_name", "last_name", "birth_date", "gender", "field:city"]
    assert all(key in choices for key in mapping)
    services.contact_import_configure(
        contact_import=job, by=user, mapping=mapping, existing_action=action, stop_list_action="exclude"
    )
    with mock.patch.object(tasks.import_contacts, "delay"):  # the task body runs below, in this process
        services.contact_import_start(contact_import=job, by=user, group=group)
    started, before = time.perf_counter(), cpu_seconds()
    tasks.import_contacts(job.pk)
    elapsed, cpu = time.perf_counter() - started, [now - then for now, then in zip(cpu_seconds(), before, strict=True)]
    job.refresh_from_db()
    return job, elapsed, cpu


def run(args: argparse.Namespace, folder: Path) -> None:
    from django.db import connection

    from contacts import services
    from contacts.models import Contact
    from tenancy import services as tenancy_services
    from tenancy.models import Partner

    owner = tenancy_services.partner_create_owner(name="Bench Owner")
    reseller = tenancy_services.partner_create(parent=owner, kind=Partner.Kind.RESELLER, name="Bench Reseller")
    company = tenancy_services.partner_create(parent=reseller, kind=Partner.Kind.END_USER, name="Bench Company")
    user = tenancy_services.user_create(partner=company, email="bench@example.test", password="bench-pass-2026!")  # noqa: S106
    services.contact_field_create(partner=company, by=user, name="City", data_type="text")
    group = services.group_create(partner=company, by=user, name="Bench")

    first, second = folder / "contacts.csv", folder / "contacts-again.csv"
    started = time.perf_counter()
    write_csv(first, args.rows, 1)
    print(f"file: {first.stat().st_size / 1024 / 1024:.1f} MB written in {time.perf_counter() - started:.1f} s")
    before = peak_mb()

    job, elapsed, cpu = import_file(first, company, user, group, "add_update")
    print(
        f"import: {job.status}, created {job.created_count}, updated {job.updated_count}, "
        f"skipped {job.skipped_count}, invalid {job.invalid_count} in {elapsed:.1f} s "
        f"(CPU: {cpu[0]:.1f} s here, {cpu[1]:.1f} s in a parsing process, {cpu[2]:.1f} s in the database), "
        f"load average {load()}"
    )
    assert Contact.objects.for_partner(company).count() == args.rows
    figures = [("import", args.rows / elapsed, cpu)]
    if not args.no_reimport:
        write_csv(second, args.rows, 2)
        job, elapsed, cpu = import_file(second, company, user, group, "add_update")
        print(
            f"re-import: {job.status}, created {job.created_count}, updated {job.updated_count} in {elapsed:.1f} s "
            f"(CPU: {cpu[0]:.1f} s here, {cpu[1]:.1f} s in a parsing process, {cpu[2]:.1f} s in the database), "
            f"load average {load()}"
        )
        assert Contact.objects.for_partner(company).filter(first_name__endswith="-2").count() == args.rows
        figures.append(("re-import", args.rows / elapsed, cpu))
    print(f"database: {connection.vendor}")
    print(f"rows: {args.rows} rows")
    print(f"cores: {os.cpu_count()}")
    print(f"load average: {load()}")
    print(f"memory before the imports: {before:.0f} MB")
    for name, rate, (here, child, database) in figures:
        print(f"{name}: {rate:.0f} rows/s")
        print(f"{name} CPU here: {here / args.rows * 1e6:.1f} us/row")
        print(f"{name} CPU in a parsing process: {child / args.rows * 1e6:.1f} us/row")
        print(f"{name} CPU in the database: {database / args.rows * 1e6:.1f} us/row")
    print(f"peak memory of the parsing process: {children_peak_mb():.0f} MB")
    print(f"peak memory: {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()

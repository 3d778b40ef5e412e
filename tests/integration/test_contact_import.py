"""A contact import queued by the wizard and run by a real Celery worker (io queue) on PostgreSQL."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from config.celery import app as celery_app
from contacts.models import Contact, ContactImport, Group
from tests.conftest import signed_in
from tests.contacts.factories import csv_upload, make_contact, make_contact_field, make_group
from tests.integration.conftest import Worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

HOST = "testserver"
ROWS = 12_000  # a few batches


def _wait(job: ContactImport, worker: Worker, timeout: float = 120) -> ContactImport:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in (ContactImport.Status.COMPLETED, ContactImport.Status.FAILED):
            return job
        if worker.process.poll() is not None:
            pytest.fail(f"the Celery worker died:\n{worker.log_tail()}")
        time.sleep(0.2)
    pytest.fail(f"the import did not finish in {timeout:.0f} s ({job.status}); worker log:\n{worker.log_tail()}")


def test_imports_go_to_the_io_queue() -> None:
    route = celery_app.amqp.router.route({}, "contacts.tasks.import_contacts")
    assert route["queue"].name == "io"


def _reference_book() -> None:
    """Transactional tests empty the tables between tests; bring the shipped book back when needed."""
    from billing import services
    from billing.models import Country

    if not Country.objects.filter(iso_code="ES").exists():
        services.reference_book_load(rows=services.parse_book_csv(services.reference.SHIPPED_BOOK.read_bytes()))


def test_the_worker_imports_a_file_started_in_the_wizard(worker: Worker) -> None:
    from tests.factories import make_tenant

    _reference_book()
    tenant = make_tenant("Alpha", HOST)
    company = tenant.end_user
    make_contact_field(company, "City")
    old = make_group(company, "Old")
    make_contact(company, [old], phone="34600000001", first_name="Known", custom_values={"city": "Madrid"})
    client: Client = signed_in(tenant.end_user_user, HOST)

    rows = [["Phone", "First name", "City"], ["34 600 000 001", "Ana", ""], ["oops", "Bad", ""]]
    rows += [[f"34 61{n:07d}", f"Name {n}", "Bilbao"] for n in range(ROWS)]
    response = client.post(reverse("contacts:import"), {"file": csv_upload(rows, name="big.csv")})
    job = ContactImport.objects.get()
    assert response["Location"] == reverse("contacts:import_mapping", args=[job.pk])
    form = {"existing_action": "add_update", "stop_list_action": "exclude", "has_header": "on"}
    form |= {"column_0": "phone", "column_1": "first_name", "column_2": "field:city"}
    client.post(reverse("contacts:import_mapping", args=[job.pk]), form)
    target = make_group(company, "Imported")
    client.post(reverse("contacts:import_group", args=[job.pk]), {"group": target.pk})

    job = _wait(job, worker)
    try:
        assert job.status == ContactImport.Status.COMPLETED, job.failure_reason
        assert (job.created_count, job.updated_count, job.invalid_count) == (ROWS, 1, 1)
        assert job.processed_rows == job.total_rows == ROWS + 2
        assert Contact.objects.for_partner(company).count() == ROWS + 1
        assert Contact.objects.in_groups([target]).count() == ROWS + 1
        known = Contact.objects.get(phone="34600000001")
        assert (known.first_name, known.custom_values) == ("Ana", {"city": "Madrid"})
        assert set(known.groups.values_list("name", flat=True)) == {"Old", "Imported"}
        assert Group.objects.for_partner(company).count() == 2
        page = client.get(reverse("contacts:import_status", args=[job.pk])).content.decode()
        assert 'data-status="completed"' in page
        errors = b"".join(client.get(reverse("contacts:import_errors", args=[job.pk])).streaming_content)  # type: ignore[attr-defined]
        assert b"oops" in errors
    finally:
        job.file.delete(save=False)
        job.error_file.delete(save=False)

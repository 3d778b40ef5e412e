"""The import: every combination of the mapping step's choices, encodings, delimiters, workbooks, the error file,
re-runs after a crash, and the wizard's checks."""

from __future__ import annotations

import csv
import io
import os
import signal
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from contacts import services
from contacts.models import Contact, ContactField, ContactImport, Group, ImportRowError, StopEntry
from contacts.services import import_parsing, import_writing, importer
from senders.models import SenderID
from tenancy.models import Partner, User
from tests.contacts.factories import csv_upload, make_contact, make_contact_field, make_group, run_import, xlsx_upload

HEADER = ["Phone", "First name", "Last name", "City"]
MAPPING = ["phone", "first_name", "last_name", "field:city"]


@pytest.fixture
def known(company: Partner, city: ContactField, sms_sender: SenderID, user: User) -> dict[str, Contact]:
    """Ana is a plain contact; Bea is blocked for the SMS sender ID."""
    old = make_group(company, "Old")
    ana = make_contact(company, [old], phone="34600000001", first_name="Ana", custom_values={"city": "Madrid"})
    bea = make_contact(company, [old], phone="34600000002", first_name="Bea")
    services.stop_list_block(
        partner=company, contacts=Contact.objects.filter(pk=bea.pk), sender_ids=[sms_sender], by=user
    )
    return {"ana": ana, "bea": bea}


FILE_ROWS = [
    HEADER,
    ["34 600 000 001", "", "Ruiz", ""],  # Ana: empty cells keep her first name and city
    ["+34600000002", "Bea", "Bell", "Bilbao"],
    ["34 600 000 004", "Dan", "Diaz", "Cadiz"],
    ["0034600000004", "Dan again", "", ""],  # the same number again
    ["call me", "Eve", "", ""],
]

# existing action, stop-list action -> created, updated, skipped, invalid, who joins the group, who is blocked
CASES = {
    ("add_update", "exclude"): (1, 1, 2, 1, {"ana", "dan"}, {"bea"}),
    ("add_update", "unblock"): (1, 2, 1, 1, {"ana", "bea", "dan"}, set()),
    ("add_update", "block"): (1, 2, 1, 1, {"ana", "bea", "dan"}, {"ana", "bea", "dan"}),
    ("add_new", "exclude"): (1, 0, 3, 1, {"dan"}, {"bea"}),
    ("add_new", "unblock"): (1, 0, 3, 1, {"dan"}, {"bea"}),
    ("add_new", "block"): (1, 0, 3, 1, {"dan"}, {"bea", "dan"}),
    ("update_existing", "exclude"): (0, 1, 3, 1, {"ana"}, {"bea"}),
    ("update_existing", "unblock"): (0, 2, 2, 1, {"ana", "bea"}, set()),
    ("update_existing", "block"): (0, 2, 2, 1, {"ana", "bea"}, {"ana", "bea"}),
}


@pytest.mark.parametrize(("existing_action", "stop_list_action"), list(CASES))
def test_every_mapping_mode(
    company: Partner,
    known: dict[str, Contact],
    sms_sender: SenderID,
    existing_action: str,
    stop_list_action: str,
) -> None:
    created, updated, skipped, invalid, joined, blocked = CASES[(existing_action, stop_list_action)]
    target = make_group(company, "Imported")
    job = run_import(
        company,
        csv_upload(FILE_ROWS),
        group=target,
        mapping=MAPPING,
        existing_action=existing_action,
        stop_list_action=stop_list_action,
        sender_ids=[sms_sender] if stop_list_action != "exclude" else [],
    )
    assert job.status == ContactImport.Status.COMPLETED, job.failure_reason
    assert (job.created_count, job.updated_count, job.skipped_count, job.invalid_count) == (
        created,
        updated,
        skipped,
        invalid,
    )
    assert job.processed_rows == job.total_rows == 5
    names = {"34600000001": "ana", "34600000002": "bea", "34600000004": "dan"}
    in_group = {names[c.phone] for c in Contact.objects.in_groups([target])}
    assert in_group == joined
    stop_listed = {names[c.phone] for c in Contact.objects.for_partner(company).stop_listed()}
    assert stop_listed == blocked
    ana = Contact.objects.get(phone="34600000001")
    if "ana" in joined:
        assert (ana.first_name, ana.last_name, ana.custom_values) == ("Ana", "Ruiz", {"city": "Madrid"})
        assert {g.name for g in ana.groups.all()} == {"Old", "Imported"}  # known contacts keep their groups
    else:
        assert ana.last_name == ""
    dan = Contact.objects.filter(phone="34600000004").first()
    assert (dan is not None) == ("dan" in joined)
    if dan is not None:
        assert (dan.first_name, dan.custom_values, dan.created_by_id) == ("Dan", {"city": "Cadiz"}, job.created_by_id)


def test_all_sender_ids_in_the_stop_list_choices(company: Partner, known: dict[str, Contact]) -> None:
    job = run_import(company, csv_upload(FILE_ROWS), mapping=MAPPING, stop_list_action="block", all_sender_ids=True)
    assert StopEntry.objects.filter(contact__phone="34600000004", sender__isnull=True).exists()
    assert job.all_sender_ids
    run_import(company, csv_upload(FILE_ROWS[:3]), mapping=MAPPING, stop_list_action="unblock", all_sender_ids=True)
    assert not Contact.objects.for_partner(company).filter(phone__in=["34600000001", "34600000002"]).stop_listed()


def test_the_error_file_lists_invalid_rows_with_their_reasons(company: Partner, city: ContactField) -> None:
    make_contact_field(company, "Points", data_type=ContactField.DataType.NUMBER, required=True)
    rows = [
        ["Phone", "Points", "Born", "Gender"],
        ["34600000001", "5", "1990-01-02", "f"],
        ["", "5", "", ""],
        ["12", "5", "", ""],
        ["34600000003", "many", "", ""],
        ["34600000004", "", "", ""],
        ["34600000005", "1", "31/31/1990", ""],
        ["34600000006", "1", "", "robot"],
    ]
    job = run_import(company, csv_upload(rows), mapping=["phone", "field:points", "birth_date", "gender"])
    assert (job.created_count, job.invalid_count) == (1, 6)
    assert job.error_file
    content = job.error_file.open("rb").read().decode("utf-8-sig")
    listed = list(csv.reader(io.StringIO(content)))
    assert listed[0] == ["Row", "Phone", "Reason"]
    assert [row[0] for row in listed[1:]] == ["3", "4", "5", "6", "7", "8"]
    reasons = " | ".join(row[2] for row in listed[1:])
    for expected in ("phone number is empty", "is not a phone number", "Points: “many” is not a number",
                     "Required fields are empty: Points", "is not a date", "is not a gender"):  # fmt: skip
        assert expected in reasons
    assert ImportRowError.objects.filter(contact_import=job).count() == 6
    contact = Contact.objects.get(phone="34600000001")
    assert (contact.birth_date, contact.gender, contact.custom_values) == (date(1990, 1, 2), "female", {"points": 5})


SAMPLE_ROWS = [["Phone", "First name", "Last name"], ["34600000001", "José", "Núñez"], ["34600000002", "Zoë", "Müller"]]
CYRILLIC_ROWS = [["Телефон", "Имя", "Фамилия"], ["34600000001", "Зоя", "Иванова"], ["34600000002", "Пётр", "Смирнов"]]


@pytest.mark.parametrize(
    ("encoding", "rows"),
    [
        ("utf-8", CYRILLIC_ROWS),
        ("utf-8-sig", SAMPLE_ROWS),
        ("cp1251", CYRILLIC_ROWS),
        ("cp1252", SAMPLE_ROWS),
        ("iso-8859-1", SAMPLE_ROWS),
        ("utf-16", CYRILLIC_ROWS),
    ],
)
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_encodings_and_delimiters_are_detected_and_read(
    company: Partner, encoding: str, rows: list[list[str]], delimiter: str
) -> None:
    job = run_import(
        company, csv_upload(rows, delimiter=delimiter, encoding=encoding), mapping=["phone", "first_name", "last_name"]
    )
    assert job.delimiter == delimiter
    assert job.created_count == 2, job.failure_reason
    assert {(c.first_name, c.last_name) for c in Contact.objects.for_partner(company)} == {
        tuple(r[1:]) for r in rows[1:]
    }


def test_a_chosen_encoding_wins_over_the_guess(company: Partner, user: User) -> None:
    upload = csv_upload([["Phone", "Name"], ["34600000001", "Ça"]], encoding="cp1252")
    job = services.contact_import_upload(partner=company, by=user, upload=upload)
    assert job.encoding == "cp1252"
    services.contact_import_configure(
        contact_import=job,
        by=user,
        mapping=["phone", "first_name"],
        existing_action="add_update",
        stop_list_action="exclude",
        encoding="iso-8859-1",
    )
    services.contact_import_start(contact_import=job, by=user, group=make_group(company))
    services.contact_import_run(contact_import=job)
    assert Contact.objects.get().first_name == "Ça"


def test_xlsx_workbooks(company: Partner, city: ContactField) -> None:
    rows: list[list[Any]] = [
        ["Phone", "First name", "Date of birth", "City"],
        [34600111001, "Ana", date(1988, 7, 15), "Madrid"],
        ["34 600 111 002", "Bea", "1995-03-22T00:00:00.000Z", None],
        [None, None, None, None],
        ["0", "Bad", None, None],
    ]
    job = run_import(company, xlsx_upload(rows))
    assert job.mapping == ["phone", "first_name", "birth_date", "field:city"]  # guessed from the header
    assert (job.created_count, job.invalid_count) == (2, 1)
    ana = Contact.objects.get(phone="34600111001")
    assert (ana.birth_date, ana.custom_values) == (date(1988, 7, 15), {"city": "Madrid"})
    assert Contact.objects.get(phone="34600111002").birth_date == date(1995, 3, 22)


def test_xls_workbooks(company: Partner, city: ContactField) -> None:
    with open("tests/contacts/data/contacts.xls", "rb") as handle:
        upload = SimpleUploadedFile("contacts.xls", handle.read())
    job = run_import(company, upload, mapping=["phone", "first_name", "last_name", "birth_date", "field:city"])
    assert (job.file_format, job.created_count, job.invalid_count) == ("xls", 2, 1)
    assert Contact.objects.get(phone="34600111001").birth_date == date(1988, 7, 15)
    assert Contact.objects.get(phone="34600111002").last_name == "Иванова"


def test_numbers_without_a_country_code_take_the_chosen_country(company: Partner) -> None:
    from billing.models import Country

    rows = [["Phone"], ["612 345 678"], ["+44 7700 900123"]]
    job = run_import(company, csv_upload(rows), mapping=["phone"], default_country=Country.objects.get(iso_code="ES"))
    assert set(Contact.objects.values_list("phone", flat=True)) == {"34612345678", "447700900123"}
    assert job.invalid_count == 0


def test_a_file_without_header(company: Partner) -> None:
    job = run_import(
        company, csv_upload([["34600000001", "Ana"], ["34600000002", "Bea"]]), mapping=["phone", "first_name"]
    )
    assert not job.has_header and job.created_count == 2


def test_a_second_run_changes_nothing_and_a_crashed_run_resumes(company: Partner, user: User) -> None:
    rows = [["Phone", "Name"]] + [[f"3460000{n:04d}", f"N{n}"] for n in range(12)]
    job = services.contact_import_upload(partner=company, by=user, upload=csv_upload(rows))
    services.contact_import_configure(
        contact_import=job, by=user, mapping=["phone", "first_name"], existing_action="add_update",
        stop_list_action="exclude",
    )  # fmt: skip
    services.contact_import_start(contact_import=job, by=user, group=make_group(company))

    real_commit = importer._commit
    calls = {"count": 0}

    def crash_after_two(*args: Any, **kwargs: Any) -> int:
        calls["count"] += 1
        if calls["count"] == 3:
            raise SystemExit("the worker died")
        return real_commit(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(importer, "_commit", crash_after_two)
        with pytest.raises(SystemExit):
            services.contact_import_run(contact_import=job, batch_rows=5)
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_count) == ("processing", 10, 10)

    services.contact_import_run(contact_import=job, batch_rows=5)  # the worker is alive: nothing happens
    job.refresh_from_db()
    assert job.status == "processing"
    assert job.heartbeat_at is not None
    ContactImport.objects.filter(pk=job.pk).update(heartbeat_at=job.heartbeat_at - importer.STALE_AFTER * 2)
    services.contact_import_run(contact_import=job, batch_rows=5)  # redelivered after the worker died
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_count, job.skipped_count) == ("completed", 12, 12, 0)
    services.contact_import_run(contact_import=job)
    job.refresh_from_db()
    assert job.created_count == 12 and Contact.objects.count() == 12


def test_an_unreadable_file_fails_with_its_reason(company: Partner, user: User) -> None:
    job = services.contact_import_upload(partner=company, by=user, upload=csv_upload([["Phone"], ["34600000001"]]))
    services.contact_import_configure(
        contact_import=job, by=user, mapping=["phone"], existing_action="add_update", stop_list_action="exclude"
    )
    services.contact_import_start(contact_import=job, by=user, group=make_group(company))
    job.file.save("broken.xlsx", SimpleUploadedFile("broken.xlsx", b"PK\x03\x04 not really"), save=False)
    ContactImport.objects.filter(pk=job.pk).update(file=job.file.name, file_format="xlsx")
    job.refresh_from_db()
    services.contact_import_run(contact_import=job)
    job.refresh_from_db()
    assert job.status == "failed" and "could not be read" in job.failure_reason


@pytest.mark.parametrize(
    ("mapping", "options", "message"),
    [
        (["first_name", ""], {}, "Map one column to Phone"),
        (["phone", "phone"], {}, "mapped more than once: Phone"),
        (["phone", "first_name", "first_name"], {}, "mapped more than once: First name"),
        (["phone", "field:nothing"], {}, "do not exist"),
        (["phone"], {"stop_list_action": "block"}, "Choose the sender IDs"),
        (["phone"], {"existing_action": "replace"}, "Choose what to do"),
        (["phone"], {"encoding": "koi8-r"}, "listed encodings"),
    ],
)
def test_the_mapping_step_refuses_bad_choices(
    company: Partner, user: User, mapping: list[str], options: dict[str, Any], message: str
) -> None:
    job = services.contact_import_upload(
        partner=company, by=user, upload=csv_upload([["Phone", "Name", "Other"], ["34600000001", "Ana", "x"]])
    )
    options = {"existing_action": "add_update", "stop_list_action": "exclude", **options}
    with pytest.raises(ValidationError, match=message):
        services.contact_import_configure(contact_import=job, by=user, mapping=mapping, **options)


def test_a_started_import_cannot_be_changed_or_started_again(company: Partner, user: User, vip: Group) -> None:
    job = run_import(company, csv_upload([["Phone"], ["34600000001"]]))
    with pytest.raises(ValidationError, match="already started"):
        services.contact_import_start(contact_import=job, by=user, group=vip)
    with pytest.raises(ValidationError):
        services.contact_import_replace_file(contact_import=job, upload=csv_upload([["Phone"]]))
    with pytest.raises(ValidationError):
        services.contact_import_configure(
            contact_import=job, by=user, mapping=["phone"], existing_action="add_update", stop_list_action="exclude"
        )


def test_uploads_are_refused_clearly(company: Partner, user: User) -> None:
    with pytest.raises(ValidationError) as error:
        services.contact_import_upload(partner=company, by=user, upload=SimpleUploadedFile("a.pdf", b"%PDF"))
    assert "not a CSV, XLS or XLSX" in str(error.value.message_dict["file"])
    with pytest.raises(ValidationError, match="no rows"):
        services.contact_import_upload(partner=company, by=user, upload=SimpleUploadedFile("a.csv", b"\n\n\n"))
    assert not ContactImport.objects.exists()


# A worker parses a large file in a forked process while it writes; tests that see it run outside a transaction.

PARSED_ALONGSIDE_ROWS = (
    [["Phone", "First name", "City"]]
    + [[f"34 600 00{n:04d}", f"N{n}", "Bilbao"] for n in range(23)]
    + [["", "", ""], ["call me", "Eve", ""], ["34600000003", "Again", ""], ["34 600 000 030", "x" * 101, ""]]
)


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Small batches, a child process from the first row on; the pids of the children forked."""
    monkeypatch.setattr(importer, "BATCH_ROWS", 5)
    monkeypatch.setattr(importer, "FORK_FROM_ROWS", 1)
    children: list[int] = []
    real_fork = import_parsing.os.fork

    def fork() -> int:
        pid = real_fork()
        if pid:
            children.append(pid)
        return pid

    monkeypatch.setattr(import_parsing.os, "fork", fork)
    return children


def _alongside_company() -> Partner:
    from billing.models import Country
    from billing.services import reference_book_load_shipped
    from tests.factories import make_tenant

    if not Country.objects.exists():  # an earlier transactional test flushed the data migration's book
        reference_book_load_shipped()
    company = make_tenant("Pipe", "pipe.testserver").end_user
    make_contact_field(company, name="City")
    return company


def _reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@pytest.mark.django_db(transaction=True)
def test_a_large_file_is_parsed_in_a_child_process_with_the_same_result(forks: list[int]) -> None:
    company = _alongside_company()
    mapping = ["phone", "first_name", "field:city"]
    job = run_import(company, csv_upload(PARSED_ALONGSIDE_ROWS), mapping=mapping)
    assert len(forks) == 1 and _reaped(forks[0])
    assert (job.status, job.processed_rows) == ("completed", 27)
    # 23 numbers, the blank row skipped, one bad number, one repeated from an earlier batch, one name too long
    assert (job.created_count, job.updated_count, job.skipped_count, job.invalid_count) == (23, 0, 1, 2)
    assert [(e.row, e.reason[:12]) for e in job.errors.order_by("row")] == [(26, "“call me” is"), (28, "First name i")]
    third = Contact.objects.select_related("country").get(partner=company, phone="34600000003")
    assert (third.first_name, third.custom_values) == ("N3", {"city": "Bilbao"})
    assert third.country is not None and third.country.iso_code == "ES"

    again = run_import(company, csv_upload(PARSED_ALONGSIDE_ROWS), mapping=mapping)
    assert (again.created_count, again.updated_count, again.skipped_count, again.invalid_count) == (0, 23, 1, 2)
    assert Contact.objects.filter(partner=company).count() == 23


@pytest.mark.django_db(transaction=True)
def test_a_file_the_child_cannot_read_fails_with_its_reason(forks: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    company = _alongside_company()
    real_parse = import_parsing.RowParser.parse_batch

    def unreadable_after_one_batch(self: Any, rows: list[Any]) -> Any:
        if rows[0][0] > 5:
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
        return real_parse(self, rows)

    monkeypatch.setattr(import_parsing.RowParser, "parse_batch", unreadable_after_one_batch)
    job = run_import(company, csv_upload(PARSED_ALONGSIDE_ROWS), mapping=["phone", "first_name", "field:city"])
    assert len(forks) == 1 and _reaped(forks[0])
    assert (job.status, job.processed_rows, job.created_count) == ("failed", 5, 5)
    assert "could not be read" in job.failure_reason and "invalid start byte" in job.failure_reason


@pytest.mark.django_db(transaction=True)
def test_a_failing_write_stops_the_child_and_the_import(forks: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    company = _alongside_company()
    real_commit = importer._commit

    def fail_on_the_second(imp: Any, batch: Any, job_pk: int, done: int) -> int:
        if done:
            raise RuntimeError("the database went away")
        return real_commit(imp, batch, job_pk, done)

    monkeypatch.setattr(importer, "_commit", fail_on_the_second)
    with pytest.raises(RuntimeError, match="went away"):
        run_import(company, csv_upload(PARSED_ALONGSIDE_ROWS), mapping=["phone", "first_name", "field:city"])
    assert len(forks) == 1 and _reaped(forks[0])
    job = ContactImport.objects.get()
    assert (job.status, job.processed_rows, job.created_count) == ("failed", 5, 5)
    assert "internal error" in job.failure_reason


def _in_the_child_from_the_second_batch(monkeypatch: pytest.MonkeyPatch, then: Any) -> None:
    """The forked process parses the first batch, then does ``then()`` instead of the second one."""
    parent = os.getpid()
    real_parse = import_parsing.RowParser.parse_batch

    def parse_batch(self: Any, rows: list[Any]) -> Any:
        if os.getpid() != parent and rows[0][0] > 5:
            then()
        return real_parse(self, rows)

    monkeypatch.setattr(import_parsing.RowParser, "parse_batch", parse_batch)


@pytest.mark.django_db(transaction=True)
def test_a_child_that_dies_mid_file_fails_the_import(forks: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    company = _alongside_company()
    _in_the_child_from_the_second_batch(monkeypatch, lambda: os._exit(3))
    job = run_import(company, csv_upload(PARSED_ALONGSIDE_ROWS), mapping=["phone", "first_name", "field:city"])
    assert len(forks) == 1 and _reaped(forks[0])
    assert (job.status, job.processed_rows, job.created_count) == ("failed", 5, 5)
    assert "reading the file ended unexpectedly" in job.failure_reason
    assert job.finished_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_child_that_dies_while_its_pipe_stays_open_fails_the_import(
    forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No end of file reaches the writer (another process holds the pipe): the child's exit status tells."""
    real_pipe = import_parsing.Pipe
    held: list[int] = []

    def pipe_held_open(duplex: bool) -> Any:
        receiver, sender = real_pipe(duplex)
        held.append(os.dup(sender.fileno()))
        return receiver, sender

    monkeypatch.setattr(import_parsing, "Pipe", pipe_held_open)
    monkeypatch.setattr(import_parsing, "PARSER_CHECK_EVERY", 0.01)
    monkeypatch.setattr(import_parsing, "PARSER_SILENCE_LIMIT", 120.0)  # far longer than the test takes
    company = _alongside_company()
    _in_the_child_from_the_second_batch(monkeypatch, lambda: os._exit(3))
    try:
        job = run_import(company, csv_upload(PARSED_ALONGSIDE_ROWS), mapping=["phone", "first_name", "field:city"])
    finally:
        for fd in held:
            os.close(fd)
    assert len(forks) == 1 and _reaped(forks[0])
    assert (job.status, job.processed_rows, job.created_count) == ("failed", 5, 5)
    assert "reading the file ended unexpectedly" in job.failure_reason


@pytest.mark.django_db(transaction=True)
def test_a_child_that_stops_sending_is_killed_and_fails_the_import(
    forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_parsing, "PARSER_CHECK_EVERY", 0.01)
    monkeypatch.setattr(import_parsing, "PARSER_SILENCE_LIMIT", 0.2)
    company = _alongside_company()
    _in_the_child_from_the_second_batch(monkeypatch, signal.pause)  # until it is killed
    job = run_import(company, csv_upload(PARSED_ALONGSIDE_ROWS), mapping=["phone", "first_name", "field:city"])
    assert len(forks) == 1 and _reaped(forks[0])
    assert (job.status, job.processed_rows, job.created_count) == ("failed", 5, 5)
    assert "made no progress" in job.failure_reason


@pytest.mark.django_db(transaction=True)
def test_without_a_child_process_the_file_is_parsed_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "BATCH_ROWS", 5)
    monkeypatch.setattr(importer, "FORK_FROM_ROWS", 1)

    def no_fork() -> int:
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(import_parsing.os, "fork", no_fork)
    company = _alongside_company()
    job = run_import(company, csv_upload(PARSED_ALONGSIDE_ROWS), mapping=["phone", "first_name", "field:city"])
    assert (job.status, job.created_count, job.skipped_count, job.invalid_count) == ("completed", 23, 1, 2)


def test_inside_a_transaction_the_file_is_parsed_inline(company: Partner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "FORK_FROM_ROWS", 1)
    monkeypatch.setattr(import_parsing.os, "fork", lambda: pytest.fail("forked inside a transaction"))
    job = run_import(company, csv_upload([["Phone"], ["34600000001"], ["34600000002"]]), mapping=["phone"])
    assert (job.status, job.created_count) == ("completed", 2)


def test_a_number_added_by_someone_else_during_the_import_is_updated(
    company: Partner, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_init = import_writing.BatchWriter.__init__
    group = make_group(company, "Imported")

    def someone_adds_a_number(self: Any, contact_import: ContactImport, required: list[ContactField]) -> None:
        real_init(self, contact_import, required)  # the partner's numbers are known now, then someone adds one
        make_contact(company, [make_group(company, "Other")], phone="34600000002", first_name="Old")

    monkeypatch.setattr(import_writing.BatchWriter, "__init__", someone_adds_a_number)
    rows = [["Phone", "First name"], ["34600000001", "Ana"], ["34600000002", "Bea"], ["34600000003", "Cid"]]
    job = run_import(company, csv_upload(rows), mapping=["phone", "first_name"], group=group)
    assert (job.status, job.created_count, job.updated_count) == ("completed", 2, 1)
    contacts = Contact.objects.filter(partner=company).order_by("phone")
    assert [(c.phone, c.first_name) for c in contacts] == [
        ("34600000001", "Ana"), ("34600000002", "Bea"), ("34600000003", "Cid"),
    ]  # fmt: skip
    assert sorted(group.contacts.values_list("phone", flat=True)) == ["34600000001", "34600000002", "34600000003"]

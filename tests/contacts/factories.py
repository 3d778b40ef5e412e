"""Contacts test data, built through the services like the product builds it."""

from __future__ import annotations

import io
import itertools
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from contacts import services
from contacts.models import Contact, ContactField, ContactImport, Group
from tenancy.models import Partner, User

_seq = itertools.count(1)
_numbers = itertools.count(100000)


def first_user(partner: Partner) -> User | None:
    return partner.users.order_by("pk").first()


def make_group(partner: Partner, name: str | None = None, **fields: Any) -> Group:
    return services.group_create(partner=partner, by=first_user(partner), name=name or f"Group {next(_seq)}", **fields)


def spanish_number() -> str:
    """A new Spanish mobile number (E.164 digits) on every call."""
    return f"34600{next(_numbers):06d}"


def make_contact(
    partner: Partner, groups: list[Group] | None = None, phone: str | None = None, **fields: Any
) -> Contact:
    return services.contact_create(
        partner=partner,
        by=first_user(partner),
        phone=phone or spanish_number(),
        groups=groups or [make_group(partner)],
        **fields,
    )


def make_contact_field(partner: Partner, name: str | None = None, **fields: Any) -> ContactField:
    fields.setdefault("data_type", ContactField.DataType.TEXT)
    return services.contact_field_create(
        partner=partner, by=first_user(partner), name=name or f"Field {next(_seq)}", **fields
    )


def csv_upload(rows: list[list[str]], name: str = "contacts.csv", delimiter: str = ",", encoding: str = "utf-8") -> Any:
    text = "\n".join(delimiter.join(row) for row in rows) + "\n"
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_upload(rows: list[list[Any]], name: str = "contacts.xlsx") -> Any:
    return SimpleUploadedFile(name, xlsx_bytes(rows))


def run_import(
    partner: Partner,
    upload: Any,
    *,
    group: Group | None = None,
    mapping: list[str] | None = None,
    **options: Any,
) -> ContactImport:
    """Upload, map, start and run an import synchronously (the task body, as a worker runs it)."""
    user = first_user(partner)
    job = services.contact_import_upload(partner=partner, by=user, upload=upload)
    options.setdefault("existing_action", ContactImport.ExistingAction.ADD_AND_UPDATE)
    options.setdefault("stop_list_action", ContactImport.StopListAction.EXCLUDE)
    services.contact_import_configure(contact_import=job, by=user, mapping=mapping or job.mapping, **options)
    services.contact_import_start(contact_import=job, by=user, group=group or make_group(partner))
    return services.contact_import_run(contact_import=job)


def make_contact_import(partner: Partner) -> ContactImport:
    """A finished import with one invalid row, so it has an original file and an error file."""
    rows = [["Phone", "First name"], ["+34 600 111 222", "Ana"], ["not a number", "Bad"]]
    return run_import(partner, csv_upload(rows))

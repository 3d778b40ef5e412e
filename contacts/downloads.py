"""Downloads of the Contacts section, for the portal pages and the API alike: contacts as XLSX, stored import files."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.utils import timezone

from billing.exports import XLSX_CONTENT_TYPE
from contacts import selectors
from contacts.files import write_xlsx
from contacts.models import Contact, ContactField, TableSettings
from tenancy.models import Partner, User

FORMAT_TYPES = {"csv": "text/csv", "xls": "application/vnd.ms-excel", "xlsx": XLSX_CONTENT_TYPE}


def xlsx_response(header: list[str], rows: Any, name: str, title: str) -> FileResponse:
    """The rows as an XLSX attachment named `<name>-<local date and time>.xlsx`."""
    handle = write_xlsx(header, rows, title=title)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(handle, as_attachment=True, filename=f"{name}-{stamp}.xlsx", content_type=XLSX_CONTENT_TYPE)


def contacts_xlsx(
    *, partner: Partner, user: User, contacts: QuerySet[Contact], name: str, stop_list: bool = False
) -> FileResponse:
    """The contacts with the user's columns of the contacts (or stop list) table."""
    table = TableSettings.Table.STOP_LIST if stop_list else TableSettings.Table.CONTACTS
    fields = list(ContactField.objects.for_partner(partner))
    columns = selectors.table_columns(user=user, table=table, fields=fields)
    rows = selectors.export_rows(contacts, columns, date_format=user.date_format)
    safe_name = "".join(ch if ch.isalnum() else "-" for ch in name) or "contacts"
    return xlsx_response([column.label for column in columns], rows, safe_name, "Contacts")


def serve_private(file_field: Any, name: str, content_type: str | None = None) -> FileResponse:
    """A stored (not public) file as an attachment; 404 when there is none."""
    if not file_field:
        raise Http404
    try:
        handle = file_field.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    return FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)

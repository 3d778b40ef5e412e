"""XLSX downloads of the v1 API: the same workbooks the Campaign Portal's export actions give, streamed as written.

Exports here are synchronous (the file is written row by row to a temporary file while the request waits);
there are no stored export tasks to list or poll.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes

from billing.exports import XLSX_CONTENT_TYPE, transaction_details_xlsx
from billing.models import Transaction
from billing.templatetags.billing_tags import initiator_text
from contacts import selectors as contact_selectors
from contacts.models import Contact, TableSettings
from contacts.views.common import contact_fields, export_contacts
from tenancy.models import Partner, User
from tenancy.templatetags.tenancy_tags import user_datetime

XLSX_RESPONSE = {(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY}


def _safe_name(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name) or "contacts"


def contacts_xlsx(
    *, partner: Partner, user: User, contacts: QuerySet[Contact], name: str, stop_list: bool = False
) -> FileResponse:
    """The contacts with the user's columns of the contacts (or stop list) table, as the portal exports them."""
    table = TableSettings.Table.STOP_LIST if stop_list else TableSettings.Table.CONTACTS
    columns = contact_selectors.table_columns(user=user, table=table, fields=contact_fields(partner))
    return export_contacts(contacts, columns, user, _safe_name(name))


def transaction_xlsx(*, partner: Partner, user: User, entry: Transaction) -> FileResponse:
    """The transaction's details per MCCMNC, as Finance → Export Details gives them."""
    handle = transaction_details_xlsx(
        entry, when=user_datetime({"user": user}, entry.created_at), initiator=initiator_text(entry, partner.pk)
    )
    return FileResponse(
        handle, as_attachment=True, filename=f"transaction-{entry.pk}.xlsx", content_type=XLSX_CONTENT_TYPE
    )

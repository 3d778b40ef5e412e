"""XLSX of a transaction's per MCCMNC details, written row by row (openpyxl's write-only mode) to a temporary file."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from billing import selectors
from billing.models import Transaction, TransactionDetail
from billing.templatetags.billing_tags import initiator_text
from tenancy.models import Partner, User
from tenancy.templatetags.tenancy_tags import user_datetime

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading quote; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def detail_row(detail: TransactionDetail) -> list[Any]:
    if detail.from_pack:
        source = _("Pack")
    elif detail.rate_plan is not None:
        source = detail.rate_plan.name
    else:
        source = ""
    return [
        detail.country.name if detail.country else "",
        detail.network.name if detail.network else _("All networks"),
        detail.mccmnc,
        source,
        detail.quantity,
        detail.parts,
        Decimal(detail.rate),
        Decimal(detail.total),
    ]


def _rows(entry: Transaction, when: str, initiator: str) -> Iterable[list[Any]]:
    yield [_("Transaction"), entry.pk]
    yield [_("Date"), when]
    yield [_("Operation type"), entry.get_type_display()]
    yield [_("Initiator"), initiator]
    yield [_("Description"), entry.description]
    yield [_("Amount"), Decimal(entry.amount)]
    yield [_("Messages from packs"), entry.messages_from_packs]
    yield []
    yield [
        _("Country"),
        _("Network"),
        _("MCCMNC"),
        _("Charged from"),
        _("Quantity"),
        _("Segments"),
        _("Rate"),
        _("Total"),
    ]
    for detail in selectors.transaction_details(entry).iterator(chunk_size=CHUNK):
        yield detail_row(detail)


def transaction_details_response(entry: Transaction, *, user: User, partner: Partner) -> FileResponse:
    """Finance → Export Details: the workbook as an attachment, its date as the user reads dates and its initiator
    as the partner may see it. The workbook is written to a temporary file that the response streams and closes."""
    when = user_datetime({"user": user}, entry.created_at)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Details")[:31])
    for row in _rows(entry, when, initiator_text(entry, partner.pk)):
        sheet.append([safe_cell(value) for value in row])
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename=f"transaction-{entry.pk}.xlsx", content_type=XLSX_CONTENT_TYPE
    )

"""Contact files: checking an upload, guessing its text encoding and delimiter, reading rows, writing XLSX.

Readers stream: CSV through a text wrapper over the stored file, XLSX through openpyxl's read-only
mode; only XLS (a format capped at 65,536 rows) is read as a whole.
"""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from contacts.models import MAX_UPLOAD_BYTES, ContactImport

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Bytes that Windows-1252 leaves undefined: a file that has them is ISO-8859-1 (where they are controls).
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")

Format = ContactImport.FileFormat


def _head(upload: Any, size: int = SAMPLE_BYTES) -> bytes:
    upload.seek(0)
    head: bytes = upload.read(size)
    upload.seek(0)
    return head


def check_upload(upload: Any) -> str:
    """The format of an uploaded contacts file (by its content and name), or a ValidationError saying why not."""
    name = str(getattr(upload, "name", "") or "")
    size = int(getattr(upload, "size", 0) or 0)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("“%(name)s” is %(size)s MB; the limit is 10 MB. Split the file and import the parts one by one.")
            % {"name": name, "size": f"{size / 1024 / 1024:.1f}"},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    head = _head(upload)
    if extension not in {"csv", "txt", "xls", "xlsx"}:
        raise ValidationError(
            _("“%(name)s” is not a CSV, XLS or XLSX file.") % {"name": name},
            code="format",
        )
    if head.startswith(ZIP_MAGIC):
        if extension != "xlsx":
            raise ValidationError(
                _("“%(name)s” looks like an XLSX workbook; rename it to .xlsx or save it as CSV.") % {"name": name},
                code="format",
            )
        return str(Format.XLSX)
    if head.startswith(OLE2_MAGIC):
        if extension != "xls":
            raise ValidationError(
                _("“%(name)s” looks like an XLS workbook; rename it to .xls or save it as CSV.") % {"name": name},
                code="format",
            )
        return str(Format.XLS)
    if extension in {"xls", "xlsx"}:
        raise ValidationError(
            _("“%(name)s” is not a valid Excel workbook.") % {"name": name},
            code="format",
        )
    if b"\x00" in head and detect_encoding(head) != "utf-16":
        raise ValidationError(
            _("“%(name)s” is not a text file; upload CSV, XLS or XLSX.") % {"name": name},
            code="format",
        )
    return str(Format.CSV)


def detect_encoding(data: bytes) -> str:
    """UTF-8, UTF-16, Windows-1251, Windows-1252 or ISO-8859-1: a byte-order mark decides, then the bytes."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8"
    sample = data[:SAMPLE_BYTES]
    if len(sample) >= 4 and (sample[1::2].count(0) > len(sample) // 4 or sample[0::2].count(0) > len(sample) // 4):
        return "utf-16"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut where the sample ends is still UTF-8.
        cut = len(sample) >= SAMPLE_BYTES and error.reason == "unexpected end of data"
        if not cut:
            return _single_byte_encoding(sample)
    return "utf-8"


def _single_byte_encoding(sample: bytes) -> str:
    high = [byte for byte in sample if byte >= 0x80]
    letters = sum(1 for byte in sample if byte >= 0xC0 or 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A)
    # Cyrillic text in Windows-1251 is mostly bytes from 0xC0 up; Western text has an accented letter here and there.
    cyrillic = sum(1 for byte in high if byte >= 0xC0)
    if letters and cyrillic / letters > 0.3:
        return "cp1251"
    if any(byte in _CP1252_UNDEFINED for byte in high):
        return "iso-8859-1"
    return "cp1252"


def detect_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {delimiter: lines[0].count(delimiter) for delimiter in DELIMITERS}
        best = max(counts, key=lambda key: counts[key])
        return best if counts[best] else ","


def decode_sample(data: bytes, encoding: str) -> str:
    text = data.decode(encoding, errors="replace")
    return text.lstrip("\ufeff")


# Reading ----------------------------------------------------------------------------------------------------------


@contextmanager
def open_rows(contact_import: ContactImport) -> Iterator[Iterator[list[Any]]]:
    """The rows of the stored file, each a list of cell values (text, numbers, dates), header included."""
    handle = contact_import.file.open("rb")
    rows: Iterator[list[Any]]
    if contact_import.file_format == Format.XLSX:
        rows = _xlsx_rows(handle)
    elif contact_import.file_format == Format.XLS:
        rows = _xls_rows(handle)
    else:
        rows = _csv_rows(handle, contact_import.encoding, contact_import.delimiter)
    try:
        yield rows
    finally:
        rows.close()  # type: ignore[attr-defined]  # a generator; the reader lets go of the file first
        handle.close()


def _csv_rows(handle: IO[bytes], encoding: str, delimiter: str) -> Iterator[list[Any]]:
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    text = io.TextIOWrapper(handle, encoding=codec, errors="replace", newline="")  # type: ignore[type-var]
    try:
        reader = csv.reader(text, delimiter=delimiter or ",")
        for values in reader:  # only a first cell can start with a byte-order mark the codec left
            if values and values[0].startswith("\ufeff"):
                values[0] = values[0][1:]
            yield values
            break
        yield from reader
    finally:
        text.detach()


def _xlsx_rows(handle: IO[bytes]) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged archive
        raise ValidationError(_("The workbook cannot be read: %(error)s") % {"error": error}, code="xlsx") from error
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers store a wrong size; read what is really there
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def xlsx_row_estimate(contact_import: ContactImport) -> int:
    from openpyxl import load_workbook

    with contact_import.file.open("rb") as handle:
        try:
            workbook = load_workbook(handle, read_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged archive
            raise ValidationError(
                _("The workbook cannot be read: %(error)s") % {"error": error}, code="xlsx"
            ) from error
        try:
            return int(workbook.worksheets[0].max_row or 0)
        finally:
            workbook.close()


def _xls_rows(handle: IO[bytes]) -> Iterator[list[Any]]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=handle.read(), on_demand=True)
    except xlrd.XLRDError as error:
        raise ValidationError(_("The workbook cannot be read: %(error)s") % {"error": error}, code="xls") from error
    try:
        sheet = book.sheet_by_index(0)
        for index in range(sheet.nrows):
            values: list[Any] = []
            for cell in sheet.row(index):
                if cell.ctype == xlrd.XL_CELL_DATE:
                    values.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                elif cell.ctype == xlrd.XL_CELL_EMPTY:
                    values.append(None)
                else:
                    values.append(cell.value)
            yield values
    finally:
        book.release_resources()


def preview_rows(contact_import: ContactImport, count: int = 8) -> list[list[Any]]:
    rows: list[list[Any]] = []
    with open_rows(contact_import) as reader:
        for values in reader:
            if not any(value not in (None, "") for value in values):
                continue
            rows.append(values)
            if len(rows) >= count:
                break
    return rows


def count_rows(contact_import: ContactImport) -> int:
    """Non-empty rows of the file (header included); XLSX uses the sheet's stated size."""
    if contact_import.file_format == Format.XLSX:
        return xlsx_row_estimate(contact_import)
    total = 0
    with open_rows(contact_import) as reader:
        for values in reader:
            # any() alone would take a 0 read from a workbook for an empty cell
            if any(values) or any(value not in (None, "") for value in values):
                total += 1
    return total


# Writing ----------------------------------------------------------------------------------------------------------


def safe_cell(value: Any) -> Any:
    """A cell value that a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def write_xlsx(header: list[str], rows: Iterable[Iterable[Any]], title: str = "Contacts") -> IO[bytes]:
    """An XLSX file (a temporary file, positioned at its start) written row by row in openpyxl's write-only mode."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Sheet")
    bold = [WriteOnlyCell(sheet, value=safe_cell(name)) for name in header]
    for cell in bold:
        cell.font = Font(bold=True)
    sheet.append(bold)
    for row in rows:
        sheet.append([_xlsx_value(value) for value in row])
    output = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    workbook.save(output)
    output.seek(0)
    return output


def _xlsx_value(value: Any) -> Any:
    value = safe_cell(value)
    if isinstance(value, date | datetime | int | float) or value is None:
        return value
    return str(value)


def write_csv(header: list[str], rows: Iterable[Iterable[Any]]) -> IO[bytes]:
    output = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller
    text = io.TextIOWrapper(output, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    text.flush()
    text.detach()
    output.seek(0)
    return output

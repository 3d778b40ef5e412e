"""Checking uploads and reading contact files: sizes, formats, encodings, delimiters, workbooks."""

from __future__ import annotations

import codecs

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from contacts import files
from contacts.models import MAX_UPLOAD_BYTES
from tests.contacts.factories import xlsx_bytes


def test_files_over_10_mb_are_refused_with_their_size() -> None:
    upload = SimpleUploadedFile("big.csv", b"phone\n" + b"34600000000\n" * (MAX_UPLOAD_BYTES // 12 + 10))
    with pytest.raises(ValidationError, match=r"“big.csv” is 10.0 MB; the limit is 10 MB"):
        files.check_upload(upload)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("contacts.pdf", b"%PDF-1.4", "not a CSV, XLS or XLSX"),
        ("contacts.xlsx", b"phone\n346000000", "not a valid Excel workbook"),
        ("contacts.csv", xlsx_bytes([["phone"]]), "looks like an XLSX workbook"),
        ("contacts.csv", b"\x00\x01\x02\x03" * 100 + b"\xff", "not a text file"),
        ("empty.csv", b"", "is empty"),
    ],
)
def test_files_that_are_not_contact_lists_are_refused(name: str, content: bytes, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        files.check_upload(SimpleUploadedFile(name, content))


def test_formats_are_told_by_their_content() -> None:
    assert files.check_upload(SimpleUploadedFile("a.csv", b"phone\n34600000000\n")) == "csv"
    assert files.check_upload(SimpleUploadedFile("a.xlsx", xlsx_bytes([["phone"]]))) == "xlsx"
    with open("tests/contacts/data/contacts.xls", "rb") as handle:
        assert files.check_upload(SimpleUploadedFile("a.xls", handle.read())) == "xls"


SAMPLE = "Phone;First name;City\n34600000001;José Núñez;Málaga\n34600000002;François;Zürich\n"
CYRILLIC = "Телефон;Имя;Город\n34600000001;Зоя;Москва\n34600000002;Пётр;Казань\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), "utf-8"),
        (CYRILLIC.encode("cp1251"), "cp1251"),
        (SAMPLE.encode("cp1252"), "cp1252"),
        ((SAMPLE + "Ca\x8dn\n").encode("latin-1"), "iso-8859-1"),
        (SAMPLE.encode("utf-16"), "utf-16"),
        (SAMPLE.encode("utf-16-le"), "utf-16"),
        (SAMPLE.encode("utf-16-be"), "utf-16"),
    ],
)
def test_encodings_are_detected(data: bytes, expected: str) -> None:
    assert files.detect_encoding(data) == expected


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters_are_detected(delimiter: str) -> None:
    sample = "\n".join(delimiter.join(row) for row in [["Phone", "Name", "City"], ["34600000001", "Ana", "Madrid"]])
    assert files.detect_delimiter(sample) == delimiter

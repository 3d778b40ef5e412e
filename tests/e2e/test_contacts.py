"""Contacts in a real browser: import an XLSX through every wizard step, see the contacts, move one to the stop
list, export the group."""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook
from playwright.sync_api import FilePayload, Page, expect

from contacts.models import Contact, ContactImport, StopEntry
from tests.contacts.factories import make_contact_field, xlsx_bytes
from tests.e2e.conftest import Shots, shown
from tests.factories import PASSWORD, Tenant, make_sender_id, make_tenant

pytestmark = pytest.mark.e2e

ROWS: list[list[Any]] = [
    ["Mobile", "Nombre", "Last name", "Date of birth", "City"],
    ["34 762 398 274", "John", "Smith", date(1988, 7, 15), "Madrid"],
    ["34 398 217 462", "Sarah", "Johnson", date(1995, 3, 22), "Sevilla"],
    ["34 627 394 815", "Sofia", "Torres", date(1987, 2, 15), "Bilbao"],
    ["34 532 481", "Isabella", "Sanchez", date(1999, 11, 12), "Malaga"],
]


@pytest.fixture
def company(live_server: Any, transactional_db: None) -> Tenant:
    """Owner → reseller → end user with a portal (no 2FA) on the live server's host, a City field and a sender ID."""
    host = urlsplit(live_server.url).hostname
    assert host
    tenant = make_tenant("Sol", host)
    make_contact_field(tenant.end_user, "City")
    make_sender_id(tenant.end_user, value="SolShop")
    return tenant


def test_import_see_block_and_export(page: Page, live_server: Any, company: Tenant, shot: Shots) -> None:
    base = live_server.url
    page.goto(f"{base}/")
    page.get_by_label("E-mail").fill(company.end_user_user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="Contacts").first.click()
    expect(page.get_by_test_id("table-total")).to_have_text("Total: 0")
    shot("empty-contacts")

    # 1. upload
    page.get_by_test_id("import-contacts").click()
    expect(page.get_by_test_id("import-steps")).to_be_visible()
    workbook: FilePayload = {"name": "clients.xlsx", "mimeType": "application/octet-stream", "buffer": xlsx_bytes(ROWS)}
    page.get_by_test_id("file-input").set_input_files(workbook)
    expect(page.get_by_text("clients.xlsx")).to_be_visible()
    shot("upload")
    page.get_by_test_id("upload").click()

    # 2. mapping: the preview, a refused double mapping, then the right one
    preview = page.get_by_test_id("preview")
    expect(preview).to_contain_text("34 762 398 274")
    selects = page.get_by_test_id("column-select")
    expect(selects).to_have_count(5)
    expect(selects.nth(0)).to_have_value("phone")  # guessed from "Mobile"
    selects.nth(1).select_option("first_name")
    selects.nth(2).select_option("first_name")
    page.get_by_test_id("next-step").click()
    expect(page.get_by_test_id("mapping-errors")).to_contain_text("mapped more than once")
    page.get_by_test_id("column-select").nth(2).select_option("last_name")
    page.get_by_test_id("column-select").nth(3).select_option("birth_date")
    page.get_by_test_id("column-select").nth(4).select_option("field:city")
    page.get_by_label("Add only new").check()
    shot("mapping")
    page.get_by_test_id("next-step").click()

    # every step stays reachable: back to the mapping and forward again
    page.get_by_test_id("step-mapping").click()
    expect(page.get_by_label("Add only new")).to_be_checked()
    page.get_by_test_id("step-group").click()

    # 3. a new group, created inline and selected, then the import
    page.get_by_test_id("inline-group-form").get_by_label("Name").fill("Clients 2026")
    page.get_by_test_id("create-group").click()
    expect(page.get_by_test_id("group-step-form").get_by_label("Group")).to_have_value(
        str(company.end_user.contact_groups.get(name="Clients 2026").pk)
    )
    shot("group")
    page.get_by_test_id("start-import").click()

    status = page.get_by_test_id("import-status")
    expect(status).to_have_attribute("data-status", "completed", timeout=20_000)
    expect(page.get_by_test_id("created")).to_have_text("3")
    expect(page.get_by_test_id("invalid")).to_have_text("1")
    expect(page.get_by_test_id("error-file")).to_be_visible()
    shot("imported")
    job = ContactImport.objects.get()
    assert (job.created_count, job.invalid_count, job.existing_action) == (3, 1, "add_new")

    # the contacts, in their group
    page.get_by_test_id("see-contacts").click()
    rows = page.get_by_test_id("contact-row")
    expect(rows).to_have_count(3)
    expect(page.get_by_test_id("contact-table")).to_contain_text("Sevilla")
    bulk_bar = page.get_by_test_id("bulk-bar")
    expect(bulk_bar).to_be_hidden()
    rows.nth(0).locator("input[data-select]").check()
    rows.nth(1).locator("input[data-select]").check()
    expect(bulk_bar).to_be_visible()
    expect(bulk_bar).to_contain_text("2 selected")
    shot("contacts")
    rows.nth(0).locator("input[data-select]").uncheck()
    rows.nth(1).locator("input[data-select]").uncheck()
    expect(bulk_bar).to_be_hidden()

    # table settings: show the User column
    page.get_by_test_id("table-settings-button").click()
    settings = shown(page.locator("#table-settings"))
    settings.get_by_label("User", exact=True).check()
    shot("table-settings")
    settings.get_by_test_id("save-columns").click()
    expect(page.get_by_test_id("contact-table").locator("th", has_text="User")).to_be_visible()

    # one of them to the stop list, for the SolShop sender ID
    row = rows.filter(has_text="34762398274")
    row.get_by_test_id("row-actions").click()
    row.get_by_test_id("row-block").click()
    modal = page.locator("#modal-block")
    expect(modal).to_be_visible()
    shown(modal)
    modal.get_by_label("SolShop (SMS)").check()
    shot("stop-list-window")
    modal.get_by_test_id("confirm-block").click()
    expect(page.get_by_text("in the stop list for the chosen sender IDs")).to_be_visible()
    page.get_by_role("link", name="Stop List").click()
    stop_rows = page.get_by_test_id("contact-row")
    expect(stop_rows).to_have_count(1)
    expect(stop_rows.first).to_contain_text("SolShop (SMS)")
    shot("stop-list")
    blocked = Contact.objects.get(phone="34762398274")
    assert StopEntry.objects.filter(contact=blocked, sender__value="SolShop").exists()
    assert blocked.groups.filter(name="Clients 2026").exists()  # it keeps its group

    # the group's contacts as a spreadsheet
    page.get_by_role("link", name="Groups").click()
    group_row = page.get_by_test_id("group-row").filter(has_text="Clients 2026")
    expect(group_row.get_by_test_id("group-count")).to_have_text("3")
    shot("groups")
    group_row.get_by_test_id("group-actions").click()
    with page.expect_download() as download_info:
        group_row.get_by_test_id("group-export").click()
    download = download_info.value
    assert download.suggested_filename.startswith("Clients-2026-") and download.suggested_filename.endswith(".xlsx")
    path = download.path()
    assert path is not None
    sheet = load_workbook(io.BytesIO(path.read_bytes()), read_only=True).worksheets[0]
    exported = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert exported[0][0] == "Phone" and len(exported) == 4
    assert {row[0] for row in exported[1:]} == {"34762398274", "34398217462", "34627394815"}

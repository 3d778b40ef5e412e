"""The Contacts section in the Campaign Portal: tables, filters, settings, forms, mass actions and the wizard."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from contacts import services
from contacts.models import MAX_UPLOAD_BYTES, Contact, ContactField, ContactImport, Group, StopEntry, TableSettings
from senders.models import SenderID
from tenancy.models import Partner, User
from tests.contacts.factories import csv_upload, make_contact, make_group, run_import, xlsx_bytes
from tests.factories import Tenant

LIST = reverse("contacts:list")
ACTIONS = reverse("contacts:actions")


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def _xlsx_rows(response: Any) -> list[list[Any]]:
    content = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# The table ---------------------------------------------------------------------------------------------------------


def test_the_menu_leads_to_the_contacts_tabs(cp_client: Client) -> None:
    html = cp_client.get(reverse("portal:dashboard")).content.decode()
    assert f'href="{LIST}"><i class="bi bi-person-lines-fill"></i> Contacts' in html
    assert reverse("contacts:import") in html and reverse("contacts:stop_list") in html
    page = cp_client.get(LIST).content.decode()
    assert f'nav-link active" href="{LIST}"' in page
    for name in ("groups", "imports", "stop_list"):
        assert reverse(f"contacts:{name}") in page


def test_the_table_shows_own_contacts_with_system_and_custom_columns(
    cp_client: Client, company: Partner, tenant_b: Tenant, vip: Group, city: ContactField
) -> None:
    make_contact(company, [vip], phone="34600000001", first_name="Ana", custom_values={"city": "Madrid"})
    make_contact(tenant_b.end_user, phone="34600000002", first_name="Foreign")
    response = cp_client.get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert "34600000001" in html and "Madrid" in html and "Spain VIP" in html
    assert "Foreign" not in html
    labels = [column.label for column in response.context["columns"]]
    assert labels[:4] == ["Phone", "Groups", "Creation date", "Last updated"]
    assert "City" in labels and "User" not in labels  # "User" is hidden until the user shows it
    assert 'data-total="1"' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("phone=%2B34 600 000 01", {"34600000010", "34600000011"}),
        ("phone=3460000002", {"34600000020"}),
        ("first_name=an", {"34600000010"}),
        ("field_city=bilb", {"34600000011"}),
        ("gender=female", {"34600000010"}),
        ("created_from=2000-01-01&created_to=2999-01-01", {"34600000010", "34600000011", "34600000020"}),
        ("updated_to=2000-01-01", set()),
    ],
)
def test_filters(
    cp_client: Client, company: Partner, vip: Group, standard: Group, city: ContactField, query: str, expected: set[str]
) -> None:
    make_contact(company, [vip], phone="34600000010", first_name="Ana", gender="female")
    make_contact(company, [vip], phone="34600000011", first_name="Leo", custom_values={"city": "Bilbao"})
    make_contact(company, [standard], phone="34600000020")
    response = cp_client.get(f"{LIST}?{query}")
    assert {contact.phone for contact in response.context["object_list"]} == expected


def test_group_and_user_filters(cp_client: Client, company: Partner, user: User, vip: Group, standard: Group) -> None:
    make_contact(company, [vip], phone="34600000010")
    make_contact(company, [standard], phone="34600000020")
    response = cp_client.get(f"{LIST}?group={standard.pk}&user={user.pk}")
    assert [contact.phone for contact in response.context["object_list"]] == ["34600000020"]


def test_pages_of_20_50_or_100_rows_remembered_per_user(
    cp_client: Client, company: Partner, user: User, vip: Group
) -> None:
    for _ in range(25):
        make_contact(company, [vip])
    assert len(cp_client.get(LIST).context["object_list"]) == 20
    assert len(cp_client.get(f"{LIST}?per_page=50").context["object_list"]) == 25
    assert TableSettings.objects.get(user=user, table="contacts").per_page == 50
    assert len(cp_client.get(f"{LIST}?per_page=7").context["object_list"]) == 25  # not a choice: the saved size


def test_the_list_pages_do_not_query_per_row(
    cp_client: Client,
    company: Partner,
    user: User,
    vip: Group,
    standard: Group,
    city: ContactField,
    sms_sender: SenderID,
    django_assert_max_num_queries: Any,
) -> None:
    for number in range(30):
        contact = make_contact(company, [vip, standard], custom_values={"city": f"C{number}"})
        services.stop_list_block(
            partner=company, contacts=Contact.objects.filter(pk=contact.pk), sender_ids=None, by=user
        )
    for number in range(25):
        make_group(company, f"Extra {number}")
    run_import(company, csv_upload([["Phone"], ["34600999001"]]))
    pages = [
        f"{LIST}?per_page=100",
        reverse("contacts:stop_list") + "?per_page=100",
        reverse("contacts:groups") + "?per_page=100",
        reverse("contacts:imports"),
    ]
    for url in pages:
        cp_client.get(url)  # the first visit remembers the page size
        with django_assert_max_num_queries(15):
            response = cp_client.get(url)
        assert response.status_code == 200, url


def test_table_settings_order_and_visibility(cp_client: Client, user: User, city: ContactField) -> None:
    response = cp_client.post(
        reverse("contacts:table_settings"),
        {"table": "contacts", "column": ["field:city", "phone", "groups", "user"], "visible": ["field:city", "user"]},
    )
    assert response.status_code == 302
    columns = cp_client.get(LIST).context["columns"]
    # columns the window did not send keep their defaults, after the others
    assert [column.key for column in columns] == [
        "field:city",
        "phone",
        "user",
        "created_at",
        "updated_at",
        "first_name",
        "last_name",
    ]


def test_custom_fields_from_the_table_settings_window(cp_client: Client, company: Partner) -> None:
    cp_client.post(
        reverse("contacts:field_create"), {"name": "Loyalty Tier", "data_type": "list", "options": "Gold\nSilver"}
    )
    field = ContactField.objects.get(partner=company)
    assert (field.variable, field.option_list) == ("loyaltytier", ["Gold", "Silver"])
    response = cp_client.post(
        reverse("contacts:field_create"), {"name": "First name", "data_type": "text"}, follow=True
    )
    assert "built-in contact detail" in response.content.decode()
    cp_client.post(reverse("contacts:field_edit", args=[field.pk]), {"name": "Tier", "required": "on"})
    field.refresh_from_db()
    assert (field.name, field.variable, field.required) == ("Tier", "loyaltytier", True)
    cp_client.post(reverse("contacts:field_delete", args=[field.pk]))
    assert not ContactField.objects.exists()


# The contact form --------------------------------------------------------------------------------------------------


def test_adding_and_editing_a_contact(
    cp_client: Client, company: Partner, vip: Group, standard: Group, sms_sender: SenderID, city: ContactField
) -> None:
    form = {
        "phone": "+34 600 000 001",
        "groups": [vip.pk],
        "first_name": "Lana",
        "birth_date": "2000-11-14",
        "gender": "female",
        "blocked_sender_ids": [sms_sender.pk],
        "field_city": "Madrid",
    }
    response = cp_client.post(reverse("contacts:create"), form)
    assert response.status_code == 302
    contact = Contact.objects.get(phone="34600000001")
    assert contact.custom_values == {"city": "Madrid"} and contact.stop_entries.get().sender == sms_sender
    duplicate = cp_client.post(reverse("contacts:create"), form)
    assert duplicate.status_code == 400 and "already in your contacts" in duplicate.content.decode()
    no_group = cp_client.post(reverse("contacts:create"), {**form, "phone": "34600000002", "groups": []})
    assert no_group.status_code == 400
    edit = reverse("contacts:edit", args=[contact.pk])
    page = cp_client.get(edit).content.decode()
    assert 'value="+34600000001"' in page and "Madrid" in page
    cp_client.post(edit, {**form, "groups": [standard.pk], "blocked_all": "on", "blocked_sender_ids": []})
    contact.refresh_from_db()
    assert list(contact.groups.all()) == [standard]
    assert list(contact.stop_entries.values_list("sender_id", flat=True)) == [None]


# Mass actions ------------------------------------------------------------------------------------------------------


def test_row_and_mass_actions(
    cp_client: Client, company: Partner, vip: Group, standard: Group, sms_sender: SenderID
) -> None:
    ana = make_contact(company, [vip], first_name="Ana")
    leo = make_contact(company, [vip], first_name="Leo")
    cp_client.post(ACTIONS, {"action": "add_to_group", "ids": f"{ana.pk},{leo.pk}", "group": standard.pk})
    assert Contact.objects.in_groups([standard]).count() == 2
    response = cp_client.post(
        ACTIONS, {"action": "remove_from_group", "ids": str(ana.pk), "group": vip.pk}, follow=True
    )
    assert "1 contact is removed from Spain VIP." in response.content.decode()
    cp_client.post(ACTIONS, {"action": "block", "ids": str(ana.pk), "sender_ids": [sms_sender.pk]})
    cp_client.post(ACTIONS, {"action": "block", "ids": str(ana.pk), "all_senders": "1"})
    assert set(ana.stop_entries.values_list("sender_id", flat=True)) == {sms_sender.pk, None}
    # "select all" with the filters of the page
    cp_client.post(
        ACTIONS, {"action": "move_to_group", "select_all": "1", "query": "first_name=leo", "group": standard.pk}
    )
    assert list(leo.groups.all()) == [standard] and set(ana.groups.all()) == {standard}
    cp_client.post(ACTIONS, {"action": "delete", "select_all": "1", "query": "first_name=ana"})
    assert list(Contact.objects.all()) == [leo]


def test_export_of_selected_contacts_is_protected_against_formulas(
    cp_client: Client, company: Partner, vip: Group
) -> None:
    make_contact(company, [vip], phone="34600000001", first_name='=HYPERLINK("http://evil")', last_name="Ruiz")
    make_contact(company, [vip], phone="34600000002", first_name="Leo")
    response = cp_client.post(ACTIONS, {"action": "export", "select_all": "1", "query": "phone=34600000001"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    rows = _xlsx_rows(response)
    assert rows[0][:4] == ["Phone", "Groups", "Creation date", "Last updated"]
    assert len(rows) == 2 and rows[1][0] == "34600000001" and rows[1][1] == "Spain VIP"
    assert '\'=HYPERLINK("http://evil")' in rows[1]


def test_the_stop_list_tab(
    cp_client: Client, company: Partner, user: User, vip: Group, sms_sender: SenderID, viber_sender: SenderID
) -> None:
    blocked = make_contact(company, [vip], phone="34600000001")
    make_contact(company, [vip], phone="34600000002")
    services.stop_list_block(
        partner=company, contacts=Contact.objects.filter(pk=blocked.pk), sender_ids=[sms_sender, viber_sender], by=user
    )
    url = reverse("contacts:stop_list")
    response = cp_client.get(url)
    assert [c.phone for c in response.context["object_list"]] == ["34600000001"]
    assert "ShopSMS (SMS)" in response.content.decode()
    assert list(cp_client.get(f"{url}?sender={viber_sender.pk}").context["object_list"]) == [blocked]
    assert not cp_client.get(f"{url}?sender=all").context["object_list"]
    cp_client.post(
        reverse("contacts:stop_list_actions"),
        {"action": "unblock", "ids": str(blocked.pk), "sender_ids": [sms_sender.pk]},
    )
    assert list(blocked.stop_entries.values_list("sender", flat=True)) == [viber_sender.pk]
    cp_client.post(reverse("contacts:stop_list_add"), {"phone": "34600000003", "all_senders": "on", "group": vip.pk})
    assert StopEntry.objects.filter(contact__phone="34600000003", sender__isnull=True).exists()
    refused = cp_client.post(reverse("contacts:stop_list_add"), {"phone": "34600000004"})
    assert refused.status_code == 400


# Groups ------------------------------------------------------------------------------------------------------------


def test_groups_tab_counts_and_actions(cp_client: Client, company: Partner, vip: Group, standard: Group) -> None:
    make_contact(company, [vip])
    make_contact(company, [vip, standard])
    response = cp_client.get(reverse("contacts:groups"))
    counts = {group.name: group.contact_count for group in response.context["object_list"]}
    assert counts == {"Spain Standard": 1, "Spain VIP": 2}
    duplicate = cp_client.post(reverse("contacts:group_create"), {"name": "spain vip"})
    assert duplicate.status_code == 400 and "already have a group" in duplicate.content.decode()
    cp_client.post(reverse("contacts:group_create"), {"name": "Spain", "description": "All of Spain"})
    spain = Group.objects.get(name="Spain")
    actions = reverse("contacts:group_actions")
    cp_client.post(actions, {"action": "nest", "ids": f"{vip.pk},{standard.pk}", "target": spain.pk})
    assert set(spain.children.all()) == {vip, standard}
    cp_client.post(actions, {"action": "copy_contacts", "ids": str(vip.pk), "target": standard.pk})
    assert Contact.objects.in_groups([standard]).count() == 2
    export = cp_client.post(actions, {"action": "export", "ids": str(standard.pk)})
    assert len(_xlsx_rows(export)) == 3
    page = cp_client.get(reverse("contacts:group_delete", args=[vip.pk])).content.decode()
    assert "The group has 2 contacts." in page
    cp_client.post(reverse("contacts:group_delete", args=[vip.pk]))
    assert not Group.objects.filter(pk=vip.pk).exists() and Contact.objects.count() == 2


# The import wizard -------------------------------------------------------------------------------------------------


def test_the_wizard_from_upload_to_progress(
    cp_client: Client, company: Partner, city: ContactField, vip: Group
) -> None:
    upload = SimpleUploadedFile(
        "clients.xlsx",
        xlsx_bytes([["Mobile", "Nombre", "City"], ["34 762 398 274", "John", "Madrid"], ["x", "y", "z"]]),
    )
    response = cp_client.post(reverse("contacts:import"), {"file": upload})
    job = ContactImport.objects.get()
    assert response["Location"] == reverse("contacts:import_mapping", args=[job.pk])
    page = cp_client.get(response["Location"]).content.decode()
    assert "34 762 398 274" in page and "— unused —" in page
    mapping = reverse("contacts:import_mapping", args=[job.pk])
    form = {"existing_action": "add_update", "stop_list_action": "exclude", "has_header": "on"}
    refused = cp_client.post(mapping, {**form, "column_0": "phone", "column_1": "first_name", "column_2": "first_name"})
    assert refused.status_code == 400 and "mapped more than once: First name" in refused.content.decode()
    step = cp_client.post(mapping, {**form, "column_0": "phone", "column_1": "first_name", "column_2": "field:city"})
    assert step["Location"] == reverse("contacts:import_group", args=[job.pk])
    group_step = reverse("contacts:import_group", args=[job.pk])
    created = cp_client.post(group_step, {"add_group": "1", "new-name": "Clients 2026"})
    new_group = Group.objects.get(name="Clients 2026")
    assert created["Location"].endswith(f"?group={new_group.pk}")
    assert f'value="{new_group.pk}" selected' in cp_client.get(created["Location"]).content.decode()
    started = cp_client.post(group_step, {"group": new_group.pk})
    assert started["Location"] == reverse("contacts:import_progress", args=[job.pk])
    job.refresh_from_db()
    assert job.status == "queued"
    services.contact_import_run(contact_import=job)  # what the worker does
    status = cp_client.get(reverse("contacts:import_status", args=[job.pk])).content.decode()
    assert 'data-status="completed"' in status and "hx-get" not in status
    assert Contact.objects.get(phone="34762398274").custom_values == {"city": "Madrid"}
    assert cp_client.get(mapping)["Location"] == reverse("contacts:import_progress", args=[job.pk])  # no going back now
    errors = cp_client.get(reverse("contacts:import_errors", args=[job.pk]))
    assert b"is not a phone number" in _body(errors)
    original = cp_client.get(reverse("contacts:import_file", args=[job.pk]))
    assert _body(original).startswith(b"PK")


def test_the_wizard_refuses_big_files_and_lets_the_user_replace_or_remove_a_file(cp_client: Client) -> None:
    big = SimpleUploadedFile("big.csv", b"1" * (MAX_UPLOAD_BYTES + 1))
    response = cp_client.post(reverse("contacts:import"), {"file": big})
    assert response.status_code == 400 and "the limit is 10 MB" in response.content.decode()
    cp_client.post(reverse("contacts:import"), {"file": csv_upload([["Phone"], ["34600000001"]])})
    job = ContactImport.objects.get()
    step = reverse("contacts:import_upload", args=[job.pk])
    cp_client.post(step, {"file": csv_upload([["Phone", "Name"], ["34600000001", "Ana"]], name="second.csv")})
    job.refresh_from_db()
    assert job.file_name == "second.csv" and job.mapping == ["phone", "first_name"]
    cp_client.post(step, {"discard": "1"})
    assert not ContactImport.objects.exists()


def test_import_history(cp_client: Client, company: Partner, user: User) -> None:
    run_import(company, csv_upload([["Phone"], ["34600000001"], ["nope"]], name="first.csv"))
    run_import(company, csv_upload([["Phone"], ["34600000002"]], name="second.csv"))
    services.contact_import_upload(partner=company, by=user, upload=csv_upload([["Phone"]], name="draft.csv"))
    url = reverse("contacts:imports")
    response = cp_client.get(url)
    assert [job.file_name for job in response.context["object_list"]] == ["second.csv", "first.csv"]
    assert [job.file_name for job in cp_client.get(f"{url}?file_name=first").context["object_list"]] == ["first.csv"]
    ids = ",".join(str(job.pk) for job in response.context["object_list"])
    rows = _xlsx_rows(cp_client.post(reverse("contacts:imports_export"), {"ids": ids}))
    assert rows[0][0] == "File" and {row[0] for row in rows[1:]} == {"first.csv", "second.csv"}


def test_big_totals_are_counted_up_to_a_cap(
    cp_client: Client, company: Partner, vip: Group, standard: Group, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contacts.views.common import ContactPaginator

    monkeypatch.setattr(ContactPaginator, "CAP", 3)
    for _ in range(5):
        make_contact(company, [vip])
    make_contact(company, [standard])
    paginator = cp_client.get(LIST).context["paginator"]
    if connection.vendor == "postgresql":
        assert paginator.approximate and paginator.count >= 4  # the planner's estimate, never below the cap
    else:
        assert (paginator.count, paginator.approximate) == (6, False)  # SQLite has no estimate: the exact count
    response = cp_client.get(f"{LIST}?group={vip.pk}")
    assert response.context["paginator"].count == 5  # a group's members are counted exactly
    assert "Total: 5" in response.content.decode()

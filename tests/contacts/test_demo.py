"""seed_demo: the demo company's contacts."""

from __future__ import annotations

from django.core.management import call_command

from contacts.models import Contact, ContactImport, Group, StopEntry
from tenancy.models import Partner


def test_seed_demo_creates_the_demo_contacts_once(db: None) -> None:
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    company = Partner.objects.get(name="Demo Company")
    groups = {group.name: group for group in Group.objects.for_partner(company)}
    assert set(groups) == {"Spain VIP", "Spain Standard"}
    contacts = Contact.objects.for_partner(company)
    assert contacts.count() == 1000
    assert contacts.in_groups([groups["Spain VIP"]]).count() == 300
    assert all(phone.startswith("346") for phone in contacts.values_list("phone", flat=True))
    assert contacts.exclude(first_name="").count() == 1000
    assert contacts.filter(custom_values__has_key="city").count() == 1000
    assert StopEntry.objects.filter(partner=company, sender__value="DemoSMS").count() == 5
    assert StopEntry.objects.filter(partner=company, sender__isnull=True).count() == 2
    assert ContactImport.objects.filter(partner=company, status="completed").count() == 2
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Contact.objects.for_partner(company).count() == 1000

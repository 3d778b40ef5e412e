"""Demo contacts: "Spain VIP" and "Spain Standard" with 1,000 Spanish contacts and a "City" field, imported
from two files the way a user would, and a few of them in the stop list. Safe to run again."""

from __future__ import annotations

import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from contacts import services
from contacts.models import Contact, ContactField, Group
from senders.models import SenderID
from tenancy.demo import DemoTenants

GROUPS = (("Spain VIP", 300, "Customers with a loyalty card."), ("Spain Standard", 700, "Everyone else in Spain."))
FIRST = ["Ana", "Lucas", "Sofia", "Javier", "Isabella", "Mateo", "Lucia", "Hugo", "Martina", "Pablo", "Laura", "Daniel"]
LAST = ["Garcia", "Martinez", "Lopez", "Sanchez", "Perez", "Gomez", "Martin", "Jimenez", "Ruiz", "Torres", "Navarro"]
CITIES = ["Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao", "Malaga", "Zaragoza"]


def _csv(rng: random.Random, count: int, used: set[str]) -> SimpleUploadedFile:
    lines = ["Phone;First name;Last name;Date of birth;Gender;City"]
    while len(lines) <= count:
        number = f"6{rng.randrange(10**8):08d}"
        if number in used:
            continue
        used.add(number)
        gender = rng.choice(["male", "female"])
        born = f"{rng.randint(1950, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        phone = f"34 {number[:3]} {number[3:6]} {number[6:]}"
        lines.append(f"{phone};{rng.choice(FIRST)};{rng.choice(LAST)};{born};{gender};{rng.choice(CITIES)}")
    return SimpleUploadedFile("contacts.csv", ("\n".join(lines) + "\n").encode(), content_type="text/csv")


@transaction.atomic
def seed(tenants: DemoTenants) -> None:
    partner, user = tenants.end_user, tenants.end_user_user
    if Group.objects.for_partner(partner).filter(name=GROUPS[0][0]).exists():
        return
    if not ContactField.objects.for_partner(partner).filter(variable="city").exists():
        services.contact_field_create(partner=partner, by=user, name="City", data_type=ContactField.DataType.TEXT)
    rng = random.Random(2026)  # noqa: S311 - demo data, the same on every machine
    used: set[str] = set()
    for name, count, description in GROUPS:
        group = services.group_create(partner=partner, by=user, name=name, description=description)
        upload = _csv(rng, count, used)
        upload.name = f"{name.lower().replace(' ', '-')}.csv"
        job = services.contact_import_upload(partner=partner, by=user, upload=upload)
        services.contact_import_configure(
            contact_import=job,
            by=user,
            mapping=["phone", "first_name", "last_name", "birth_date", "gender", "field:city"],
            existing_action="add_update",
            stop_list_action="exclude",
        )
        services.contact_import_start(contact_import=job, by=user, group=group)
        services.contact_import_run(contact_import=job)  # the queued task finds it done and does nothing
    contacts = Contact.objects.for_partner(partner).order_by("pk")
    sms = SenderID.objects.for_partner(partner).filter(value="DemoSMS").first()
    if sms is not None:
        services.stop_list_block(
            partner=partner, contacts=contacts.filter(pk__in=list(contacts.values_list("pk", flat=True)[:5])),
            sender_ids=[sms], by=user,
        )  # fmt: skip
    services.stop_list_block(
        partner=partner,
        contacts=contacts.filter(pk__in=list(contacts.values_list("pk", flat=True)[5:7])),
        sender_ids=None,
        by=user,
    )

"""Celery tasks of the contacts app (the ``io`` queue): thin, idempotent, ids in and services out."""

from __future__ import annotations

from celery import shared_task

from contacts import services
from contacts.models import ContactImport
from tenancy.models import Partner


@shared_task(acks_late=True)
def import_contacts(import_id: int) -> None:
    contact_import = ContactImport.objects.filter(pk=import_id).select_related("created_by", "default_country").first()
    if contact_import is not None:
        services.contact_import_run(contact_import=contact_import)


@shared_task(acks_late=True)
def purge_field_values(partner_id: int, variable: str) -> int:
    partner = Partner.objects.filter(pk=partner_id).first()
    if partner is None:
        return 0
    return services.contact_field_values_purge(partner=partner, variable=variable)

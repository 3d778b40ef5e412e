"""A ready API key for the demo company: each run removes the previous demo key and prints a new one."""

from __future__ import annotations

from django.db import transaction

from api import services
from api.models import ApiKey, Expiration
from tenancy.demo import DemoTenants

DEMO_KEY_NAME = "Demo key"


@transaction.atomic
def seed(tenants: DemoTenants) -> str:
    for key in ApiKey.objects.live().for_partner(tenants.end_user).filter(name=DEMO_KEY_NAME):
        services.api_key_remove(api_key=key)
    issued = services.api_key_create(
        partner=tenants.end_user, by=tenants.end_user_user, name=DEMO_KEY_NAME, expiration=Expiration.YEAR
    )
    return issued.secret

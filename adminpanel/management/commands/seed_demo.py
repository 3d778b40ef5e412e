from typing import Any

from django.core.management.base import BaseCommand

from api import demo as api_demo
from billing import demo as billing_demo
from campaigns import demo as campaign_demo
from contacts import demo as contact_demo
from messaging import demo as messaging_demo
from senders import demo as sender_demo
from tenancy import demo


class Command(BaseCommand):
    help = "Create (or keep) the demo portal, partners and users. Safe to run repeatedly."

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = demo.seed()
        sender_demo.seed(tenants)
        contact_demo.seed(tenants)
        billing_demo.seed(tenants)
        messaging_demo.seed(tenants)
        campaign_demo.seed(tenants)
        api_key = api_demo.seed(tenants)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready on portal '{tenants.portal.brand_name}'."))
        for user in (tenants.owner_user, tenants.reseller_user, tenants.end_user_user):
            self.stdout.write(f"  {user.email} / {demo.DEMO_PASSWORD}")
        self.stdout.write(f"  API key of {tenants.end_user_user.email} (Authorization: Bearer …):\n  {api_key}")

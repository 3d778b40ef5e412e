"""Demo tenants: a default portal, owner → reseller → end user, one user each. Safe to run again."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from tenancy import services
from tenancy.models import Partner, Portal, PortalHost, User

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - documented demo credential
DEMO_HOSTS = ("localhost", "127.0.0.1")


@dataclass
class DemoTenants:
    portal: Portal
    owner: Partner
    reseller: Partner
    end_user: Partner
    owner_user: User
    reseller_user: User
    end_user_user: User


def _user(partner: Partner, email: str, first: str, last: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = services.user_create(
            partner=partner, email=email, first_name=first, last_name=last, password=DEMO_PASSWORD
        )
    return user


@transaction.atomic
def seed() -> DemoTenants:
    owner = Partner.objects.filter(kind=Partner.Kind.OWNER, name="Demo Owner").first()
    if owner is None:
        owner = services.partner_create_owner(name="Demo Owner", support_email="support@demo.local")
    reseller = Partner.objects.below(owner).filter(name="Demo Reseller").first()
    if reseller is None:
        reseller = services.partner_create(parent=owner, kind=Partner.Kind.RESELLER, name="Demo Reseller")
    end_user = Partner.objects.below(reseller).filter(name="Demo Company").first()
    if end_user is None:
        end_user = services.partner_create(
            parent=reseller, kind=Partner.Kind.END_USER, name="Demo Company", mo_enabled=True, flash_enabled=True
        )
    portal = Portal.objects.filter(hosts__name=DEMO_HOSTS[0]).first()
    if portal is None:
        portal = Portal.objects.create(
            partner=owner,
            brand_name="Campaign Portal",
            allow_self_registration=True,
            support_email="support@demo.local",
            terms_of_service="Demo terms of service: use the demo for evaluation only.",
            privacy_policy="Demo privacy policy: demo data may be reset at any time.",
            languages=["en", "es", "ru", "tr"],
        )
        PortalHost.objects.bulk_create([PortalHost(portal=portal, name=name) for name in DEMO_HOSTS])
    return DemoTenants(
        portal=portal,
        owner=owner,
        reseller=reseller,
        end_user=end_user,
        owner_user=_user(owner, "owner@demo.local", "Olivia", "Owner"),
        reseller_user=_user(reseller, "reseller@demo.local", "Ray", "Reseller"),
        end_user_user=_user(end_user, "user@demo.local", "Ursula", "User"),
    )

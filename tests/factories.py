"""Test data built through the services, like the product builds it.

``OBJECT_FACTORIES`` maps a model to a function that creates one row owned by a given tenant;
the isolation test uses it to build the object behind every URL that takes an id.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from tenancy import services
from tenancy.models import CustomField, Partner, Portal, PortalHost, User

PASSWORD = "test-pass-2026!"
_seq = itertools.count(1)


@dataclass
class Tenant:
    """One partner tree with a portal: owner → reseller → end user, one user on each level."""

    portal: Portal
    owner: Partner
    reseller: Partner
    end_user: Partner
    owner_user: User
    reseller_user: User
    end_user_user: User


def make_partner(parent: Partner, kind: str = Partner.Kind.END_USER, **options: Any) -> Partner:
    options.setdefault("name", f"Partner {next(_seq)}")
    return services.partner_create(parent=parent, kind=kind, **options)


def make_user(partner: Partner, **fields: Any) -> User:
    fields.setdefault("email", f"user{next(_seq)}@example.test")
    fields.setdefault("password", PASSWORD)
    return services.user_create(partner=partner, **fields)


def make_portal(partner: Partner, host: str, **fields: Any) -> Portal:
    fields.setdefault("brand_name", f"Brand {next(_seq)}")
    portal = Portal.objects.create(partner=partner, **fields)
    PortalHost.objects.create(portal=portal, name=host)
    return portal


def make_tenant(label: str, host: str) -> Tenant:
    owner = services.partner_create_owner(name=f"{label} Owner")
    reseller = make_partner(owner, Partner.Kind.RESELLER, name=f"{label} Reseller")
    end_user = make_partner(reseller, Partner.Kind.END_USER, name=f"{label} Company")
    return Tenant(
        portal=make_portal(owner, host, brand_name=f"{label} Brand", allow_self_registration=True),
        owner=owner,
        reseller=reseller,
        end_user=end_user,
        owner_user=make_user(owner, email=f"owner@{label.lower()}.test"),
        reseller_user=make_user(reseller, email=f"reseller@{label.lower()}.test"),
        end_user_user=make_user(end_user, email=f"user@{label.lower()}.test"),
    )


def make_custom_field(partner: Partner, **fields: Any) -> CustomField:
    fields.setdefault("form", CustomField.Form.REGISTRATION)
    fields.setdefault("label", f"Field {next(_seq)}")
    fields.setdefault("key", f"field_{next(_seq)}")
    return CustomField.objects.create(partner=partner, **fields)


OBJECT_FACTORIES: dict[type[Model], Callable[[Tenant], Model]] = {
    Partner: lambda tenant: make_partner(tenant.reseller),
    User: lambda tenant: make_user(tenant.end_user),
    Portal: lambda tenant: make_portal(tenant.reseller, f"p{next(_seq)}.example.test"),
    CustomField: lambda tenant: make_custom_field(tenant.reseller),
}

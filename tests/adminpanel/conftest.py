from __future__ import annotations

from dataclasses import dataclass

import pytest

from tenancy.models import Partner, Portal, User
from tests.factories import Tenant, make_partner, make_portal, make_user


@dataclass
class Sibling:
    """A second reseller of tenant A, beside ``tenant.reseller``: the reseller must not see any of it."""

    reseller: Partner
    end_user: Partner
    reseller_user: User
    end_user_user: User
    portal: Portal


@pytest.fixture
def sibling(tenant: Tenant) -> Sibling:
    reseller = make_partner(tenant.owner, Partner.Kind.RESELLER, name="Sibling Reseller")
    end_user = make_partner(reseller, name="Sibling Company")
    return Sibling(
        reseller=reseller,
        end_user=end_user,
        reseller_user=make_user(reseller, email="reseller@sibling.test"),
        end_user_user=make_user(end_user, email="user@sibling.test"),
        portal=make_portal(reseller, "sibling.example.test", brand_name="Sibling Brand"),
    )

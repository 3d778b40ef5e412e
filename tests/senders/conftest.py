from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.storage import Storage

from senders.models import SenderIDDocument
from tenancy.models import Partner, User
from tests.factories import Tenant, make_partner, make_user


@dataclass
class Sibling:
    """A second reseller of tenant A beside ``tenant.reseller``, with an end user: neither may see the other."""

    reseller: Partner
    end_user: Partner
    reseller_user: User
    end_user_user: User


@pytest.fixture
def sibling(tenant: Tenant) -> Sibling:
    reseller = make_partner(tenant.owner, Partner.Kind.RESELLER, name="Sibling Reseller")
    end_user = make_partner(reseller, name="Sibling Company")
    return Sibling(
        reseller=reseller,
        end_user=end_user,
        reseller_user=make_user(reseller, email="reseller@sibling.test"),
        end_user_user=make_user(end_user, email="user@sibling.test"),
    )


def private_storage() -> Storage:
    return SenderIDDocument._meta.get_field("file").storage  # type: ignore[attr-defined,no-any-return]


def stored_files(folder: str = "sender-ids") -> set[str]:
    """Every file under ``folder`` of the private storage."""
    storage = private_storage()
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:
        return set()
    found = {f"{folder}/{name}" for name in files}
    for directory in directories:
        found |= stored_files(f"{folder}/{directory}")
    return found

from __future__ import annotations

import pytest

from contacts.models import ContactField, Group
from senders.models import SenderID
from tenancy.models import Partner, User
from tests.contacts.factories import make_contact_field, make_group
from tests.factories import Tenant, make_sender_id


@pytest.fixture
def company(tenant: Tenant) -> Partner:
    return tenant.end_user


@pytest.fixture
def user(tenant: Tenant) -> User:
    return tenant.end_user_user


@pytest.fixture
def vip(company: Partner) -> Group:
    return make_group(company, "Spain VIP")


@pytest.fixture
def standard(company: Partner) -> Group:
    return make_group(company, "Spain Standard")


@pytest.fixture
def city(company: Partner) -> ContactField:
    return make_contact_field(company, "City")


@pytest.fixture
def sms_sender(company: Partner) -> SenderID:
    return make_sender_id(company, value="ShopSMS")


@pytest.fixture
def viber_sender(company: Partner) -> SenderID:
    return make_sender_id(company, value="ShopViber", channel="viber")

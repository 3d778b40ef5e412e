from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client

from api import services
from api.models import Expiration
from tests.factories import PASSWORD, Tenant
from tests.messaging.conftest import Setup, setup  # noqa: F401  (the messaging fixture: plan, funds, simulator)


def api_client(token: str = "") -> Client:
    headers: dict[str, Any] = {"HTTP_HOST": "api.example.test"}
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return Client(**headers)


def basic(email: str, password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{email}:{password}".encode()).decode()


def new_key(tenant: Tenant, name: str = "Shop", expiration: str = Expiration.MONTH, callback_url: str = "") -> Any:
    return services.api_key_create(
        partner=tenant.end_user, by=tenant.end_user_user, name=name, expiration=expiration, callback_url=callback_url
    )


@pytest.fixture
def key(tenant: Tenant) -> Any:
    return new_key(tenant)


@pytest.fixture
def client_with_key(key: Any) -> Client:
    return api_client(key.secret)

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from api.demo import DEMO_KEY_NAME
from api.models import ApiKey
from tests.api.conftest import api_client


def test_seed_demo_prints_a_working_api_key_and_keeps_one(db: None) -> None:
    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo", stdout=out)
    secret = out.getvalue().strip().splitlines()[-1].strip()
    assert ApiKey.objects.live().filter(name=DEMO_KEY_NAME).count() == 1
    assert api_client(secret).get("/api/v1/api-keys").status_code == 200

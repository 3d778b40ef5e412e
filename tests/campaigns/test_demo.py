"""seed_demo: the demo company's campaign templates, the WhatsApp one approved; a second run adds nothing."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from campaigns.models import MessageTemplate, Moderation
from shortener.models import ShortDomain
from tenancy.models import User


def test_seed_demo_creates_usable_templates(db: None) -> None:
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    templates = dict(MessageTemplate.objects.values_list("name", "moderation"))
    assert templates == {
        "Welcome": Moderation.NOT_REQUIRED,
        "Weekend offer": Moderation.NOT_REQUIRED,
        "order_update": Moderation.APPROVED,
    }
    assert MessageTemplate.objects.get(name="Welcome").sender is not None
    end_user = User.objects.get(email="user@demo.local").partner
    assert end_user is not None
    assert list(ShortDomain.objects.usable_by(end_user).values_list("name", flat=True)) == ["go.demo.local"]

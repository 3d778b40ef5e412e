"""seed_demo: the demo company's campaign templates, the WhatsApp one approved; a second run adds nothing."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from campaigns.models import MessageTemplate, Moderation


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

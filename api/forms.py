from __future__ import annotations

from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from api.models import Expiration, expiry_from
from senders.models import SenderID
from tenancy.models import Partner


def expiration_choices() -> list[tuple[str, str]]:
    """Each choice with the date it gives when chosen now (the form shows the computed expiry)."""
    now = timezone.localtime()
    choices = []
    for value, label in Expiration.choices:
        until = expiry_from(now, value)
        text = str(label) if until is None else _("%(label)s (until %(date)s)") % {
            "label": label, "date": formats.date_format(until, "DATE_FORMAT")}  # fmt: skip
        choices.append((value, text))
    return choices


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    callback_url = forms.CharField(
        label=_("Callback URL"),
        max_length=500,
        required=False,
        help_text=_("Message statuses (DLRs) of messages sent with this key are posted here."),
    )
    expiration = forms.ChoiceField(label=_("Expiration"), initial=Expiration.MONTH)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expiration"].choices = expiration_choices()  # type: ignore[attr-defined]


class CallbackSettingsForm(forms.Form):
    default_mo_url = forms.CharField(
        label=_("Default MO callback URL"),
        max_length=500,
        required=False,
        help_text=_("Incoming MO messages go here unless their sender ID has its own route."),
    )


class MoRouteForm(forms.Form):
    sender_ids = forms.ModelMultipleChoiceField(
        label=_("Sender IDs"), queryset=SenderID.objects.none(), widget=forms.SelectMultiple(attrs={"size": 6})
    )
    url = forms.CharField(label=_("Callback URL"), max_length=500)

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sender_ids"].queryset = SenderID.objects.for_partner(partner).order_by(  # type: ignore[attr-defined]
            "value", "channel"
        )
        self.fields["sender_ids"].label_from_instance = lambda sender: (  # type: ignore[attr-defined]
            f"{sender.value} ({sender.get_channel_display()})"
        )

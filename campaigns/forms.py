"""Forms of the campaign wizard, campaign from file and campaign templates: they validate, services change state."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import Country
from campaigns import services
from campaigns.models import Campaign, MessageTemplate, Moderation
from campaigns.placeholders import date_variables, marker_errors
from campaigns.shortlinks import campaign_link, fixed_link_error, template_short_links, whatsapp_short_link
from contacts.models import Group
from contacts.selectors import group_counts
from messaging.models import Purpose
from senders.services import active_sender_ids
from shortener.models import ShortDomain
from tenancy.models import TIME_ZONE_CHOICES, Channel, Partner

VIBER_TYPES = [(Purpose.TRANSACTION.value, _("Viber Transaction")), (Purpose.PROMOTION.value, _("Viber Promotion"))]
WA_CATEGORIES = [
    (Purpose.AUTHENTICATION.value, _("Authentication")),
    (Purpose.UTILITY.value, _("Utility")),
    (Purpose.MARKETING.value, _("Marketing")),
]
WA_LANGUAGES = [("en", "English"), ("es", "Español"), ("ru", "Русский"), ("tr", "Türkçe"), ("de", "Deutsch"),
                ("fr", "Français"), ("pt", "Português"), ("it", "Italiano")]  # fmt: skip
BUTTON_TYPES = [
    ("phone", _("Phone")),
    ("url", _("URL")),
    ("quick_reply", _("Quick reply")),
    ("copy_code", _("Copy code")),
]


def sender_choices(partner: Partner, channel: str) -> list[tuple[str, Any]]:
    return [("", _("Choose a sender ID"))] + [
        (sender.value, sender.value) for sender in active_sender_ids(partner=partner, channel=channel)
    ]


def channel_choices(partner: Partner) -> list[tuple[str, Any]]:
    allowed = set(partner.allowed_channels or [])
    return [(value, label) for value, label in Channel.choices if value in allowed]


class SetupForm(forms.Form):
    """Stage 1: the channels (one = single channel, several = cascade) and what each one sends."""

    channels = forms.MultipleChoiceField(label=_("Channels"), widget=forms.CheckboxSelectMultiple)
    sms_template = forms.ModelChoiceField(
        label=_("Use template"), queryset=MessageTemplate.objects.none(), required=False
    )
    sms_sender = forms.ChoiceField(label=_("Sender ID"), required=False)
    sms_text = forms.CharField(label=_("SMS message"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    sms_flash = forms.BooleanField(label=_("Flash SMS"), required=False)
    viber_template = forms.ModelChoiceField(
        label=_("Use template"), queryset=MessageTemplate.objects.none(), required=False
    )
    viber_sender = forms.ChoiceField(label=_("Sender ID"), required=False)
    viber_text = forms.CharField(label=_("Viber message"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    viber_image_url = forms.URLField(label=_("Image URL"), required=False, max_length=500)
    viber_button_caption = forms.CharField(label=_("Button caption"), required=False, max_length=30)
    viber_button_url = forms.URLField(label=_("Button link"), required=False, max_length=500)
    viber_purpose = forms.ChoiceField(label=_("Traffic type"), choices=VIBER_TYPES, required=False)
    whatsapp_template = forms.ModelChoiceField(
        label=_("Approved template"), queryset=MessageTemplate.objects.none(), required=False
    )
    whatsapp_sender = forms.ChoiceField(label=_("Sender ID"), required=False)
    whatsapp_params = forms.CharField(
        label=_("Template parameters"),
        required=False,
        help_text=_("Values for {{1}}, {{2}}, … separated by commas; variables such as {first_name} are allowed."),
    )
    short_domain = forms.ModelChoiceField(
        label=_("Short domain"),
        queryset=ShortDomain.objects.none(),
        required=False,
        empty_label=_("Do not shorten"),
        help_text=_("The first link of the SMS (or Viber) text is sent as a short link; one link per campaign."),
    )
    accept_mo = forms.BooleanField(label=_("Send reply templates"), required=False)
    placeholders = forms.ChoiceField(
        label=_("When a recipient has no value for a variable"), choices=Campaign.Placeholders.choices
    )
    save_as = forms.CharField(label=_("Template name"), required=False, max_length=100)

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.partner = partner
        self.fields["channels"].choices = channel_choices(partner)  # type: ignore[attr-defined]
        for channel in Channel.values:
            self.fields[f"{channel}_sender"].choices = sender_choices(partner, channel)  # type: ignore[attr-defined]
            self.fields[f"{channel}_template"].queryset = services.usable_templates(partner=partner, channel=channel)  # type: ignore[attr-defined]
        if not partner.flash_enabled:
            del self.fields["sms_flash"]
        if not partner.mo_enabled:
            del self.fields["accept_mo"]
        domains = ShortDomain.objects.usable_by(partner)
        if domains.exists():
            self.fields["short_domain"].queryset = domains  # type: ignore[attr-defined]
        else:
            del self.fields["short_domain"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        dates = date_variables(self.partner)
        for name in ("sms_text", "viber_text", "whatsapp_params"):
            for error in marker_errors(data.get(name) or "", dates):
                self.add_error(name, error)
        for channel in data.get("channels", []):
            template = data.get(f"{channel}_template")
            if channel == Channel.WHATSAPP and not template:
                self.add_error("whatsapp_template", _("Choose an approved WhatsApp template."))
            elif channel != Channel.WHATSAPP and not (data.get(f"{channel}_text") or "").strip() and template:
                data[f"{channel}_text"] = template.text
            if channel != Channel.WHATSAPP and not (data.get(f"{channel}_text") or "").strip():
                self.add_error(f"{channel}_text", _("Write the message text."))
            if not data.get(f"{channel}_sender"):
                self.add_error(f"{channel}_sender", _("Choose a sender ID."))
        if data.get("viber_button_url") and not data.get("viber_button_caption"):
            self.add_error("viber_button_caption", _("A button needs a caption."))
        whatsapp = data.get("whatsapp_template") if Channel.WHATSAPP in data.get("channels", []) else None
        fixed = template_short_links(partner=self.partner, templates=[whatsapp]).get(whatsapp.pk) if whatsapp else None
        if data.get("short_domain") and fixed is not None:
            self.add_error("short_domain", fixed_link_error(fixed))
        elif data.get("short_domain") and not self.errors:
            texts = [{"channel": c, "text": data.get(f"{c}_text") or ""} for c in data.get("channels", [])]
            if campaign_link(texts) is None:
                self.add_error("short_domain", _("Put a link into the SMS or Viber text to shorten it."))
        return data

    def steps(self, previous: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """The channel steps, keeping the TTLs and order already chosen on the last stage."""
        data = self.cleaned_data
        old = {step.get("channel"): step for step in previous or []}
        order = [step.get("channel") for step in previous or []]
        chosen = sorted(data["channels"], key=lambda c: order.index(c) if c in order else 10 + Channel.values.index(c))
        steps = []
        for channel in chosen:
            template = data.get(f"{channel}_template")
            step: dict[str, Any] = {"channel": channel, "sender": data.get(f"{channel}_sender", "")}
            if template:
                step["template_id"] = template.pk
            if channel == Channel.SMS:
                step.update(text=data["sms_text"], flash=bool(data.get("sms_flash")))
            elif channel == Channel.VIBER:
                step.update(
                    text=data["viber_text"],
                    image_url=data["viber_image_url"],
                    button_caption=data["viber_button_caption"],
                    button_url=data["viber_button_url"],
                    purpose=data.get("viber_purpose") or Purpose.TRANSACTION,
                )
            else:
                params = [part.strip() for part in (data.get("whatsapp_params") or "").split(",") if part.strip()]
                step.update(template_params=params, text=template.text if template else "")
            step["ttl"] = old.get(channel, {}).get("ttl") or 3600
            steps.append(step)
        return services.order_steps(steps)

    @classmethod
    def initial_from(cls, campaign: Campaign) -> dict[str, Any]:
        link = campaign.short_link
        if link is not None and link == whatsapp_short_link(partner=campaign.partner, steps=campaign.steps):
            link = None  # the WhatsApp template's own link: nothing was shortened on Setup
        initial: dict[str, Any] = {
            "channels": campaign.channels,
            "accept_mo": campaign.accept_mo,
            "placeholders": campaign.placeholders,
            "short_domain": link.domain_id if link else None,
        }
        for step in campaign.steps:
            channel = step["channel"]
            initial[f"{channel}_sender"] = step.get("sender", "")
            initial[f"{channel}_template"] = step.get("template_id")
            if channel == Channel.SMS:
                initial.update(sms_text=step.get("text", ""), sms_flash=step.get("flash", False))
            elif channel == Channel.VIBER:
                initial.update(
                    viber_text=step.get("text", ""),
                    viber_image_url=step.get("image_url", ""),
                    viber_button_caption=step.get("button_caption", ""),
                    viber_button_url=step.get("button_url", ""),
                    viber_purpose=step.get("purpose", ""),
                )
            else:
                initial["whatsapp_params"] = ", ".join(step.get("template_params", []))
        return initial


class GroupChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({getattr(obj, 'contact_count', 0)})"


class RecipientsForm(forms.Form):
    """Stage 2: exactly one source of recipients."""

    source = forms.ChoiceField(label=_("Recipients"), choices=Campaign.Source.choices, widget=forms.RadioSelect)
    groups = GroupChoiceField(
        label=_("Select groups"), queryset=Group.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    default_country = forms.ModelChoiceField(
        label=_("Country code"),
        queryset=Country.objects.order_by("name"),
        required=False,
        empty_label=_("Numbers in international format"),
    )
    manual_numbers = forms.CharField(
        label=_("Numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One number per line or separated by commas."),
    )
    file = forms.FileField(label=_("File (CSV, XLS, XLSX, up to 10 MB)"), required=False)

    def __init__(self, *args: Any, partner: Partner, campaign: Campaign | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = list(Group.objects.for_partner(partner).order_by("name"))
        counts = group_counts(groups)
        for group in groups:
            group.contact_count = counts.get(group.pk, 0)  # type: ignore[attr-defined]
        self.group_list = [group for group in groups if group.contact_count]  # type: ignore[attr-defined]
        self.fields["groups"].queryset = Group.objects.filter(pk__in=[group.pk for group in self.group_list])  # type: ignore[attr-defined]
        self.fields["groups"].choices = [(group.pk, f"{group.name} ({group.contact_count})")  # type: ignore[attr-defined]
                                         for group in self.group_list]  # fmt: skip
        self.campaign = campaign

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        source = data.get("source")
        if source == Campaign.Source.GROUPS and not data.get("groups"):
            self.add_error("groups", _("Choose at least one group."))
        if source == Campaign.Source.MANUAL and not services.split_numbers(data.get("manual_numbers") or ""):
            self.add_error("manual_numbers", _("Enter at least one number."))
        has_file = bool(self.campaign and self.campaign.file)
        if source == Campaign.Source.FILE and not data.get("file") and not has_file:
            self.add_error("file", _("Upload a file with the numbers."))
        return data


class SendForm(forms.Form):
    """Stage 3: when to send, who hears about it, and the cascade order with the TTLs."""

    when = forms.ChoiceField(
        label=_("Launch"), choices=[("now", _("Send now")), ("schedule", _("Schedule"))], widget=forms.RadioSelect
    )
    date = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=_("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES)
    notify_emails = forms.CharField(
        label=_("E-mail notifications"),
        required=False,
        max_length=1000,
        help_text=_("Addresses that hear about every status change, separated by commas."),
    )
    order = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        for step in campaign.steps[:-1]:
            self.fields[f"ttl_{step['channel']}"] = forms.IntegerField(
                label=_("TTL, minutes (%(channel)s)") % {"channel": Channel(step["channel"]).label},
                min_value=1,
                max_value=3 * 24 * 60,
                initial=max(1, int(step.get("ttl") or 3600) // 60),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["send_at"] = None
        if data.get("when") == "schedule":
            if not data.get("date") or data.get("time") is None:
                raise ValidationError(_("Choose the date and time of the launch."))
            zone = zoneinfo.ZoneInfo(data.get("time_zone") or "UTC")
            local = datetime.combine(data["date"], data["time"] or time(0), tzinfo=zone)
            if local < timezone.now():
                self.add_error("date", _("The scheduled time is in the past."))
            data["send_at"] = local.astimezone(zoneinfo.ZoneInfo("UTC"))
        if data.get("notify_emails"):
            try:
                data["notify_emails"] = services.parse_emails(data["notify_emails"])
            except ValidationError as error:
                self.add_error("notify_emails", error.messages[0])
        return data

    def steps(self) -> list[dict[str, Any]]:
        by_channel = {step["channel"]: dict(step) for step in self.campaign.steps}
        order = [c for c in (self.cleaned_data.get("order") or "").split(",") if c in by_channel]
        order += [c for c in by_channel if c not in order]
        steps = services.order_steps(by_channel[c] for c in order)
        for step in steps[:-1]:
            minutes = self.cleaned_data.get(f"ttl_{step['channel']}")
            if minutes:
                step["ttl"] = minutes * 60
        return steps


class FileCampaignForm(forms.Form):
    """Campaign from File: name, channel (not WhatsApp), sender ID, flash, file and schedule."""

    name = forms.CharField(label=_("Campaign name"), max_length=200)
    channel = forms.ChoiceField(label=_("Delivery channel"), initial=Channel.SMS)
    sender = forms.ChoiceField(label=_("Sender ID"))
    flash = forms.BooleanField(label=_("Flash SMS"), required=False)
    viber_purpose = forms.ChoiceField(label=_("Traffic type"), choices=VIBER_TYPES, required=False)
    accept_mo = forms.BooleanField(label=_("Send reply templates"), required=False)
    file = forms.FileField(label=_("File (CSV, XLS, XLSX, up to 10 MB)"))

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(value, label) for value, label in channel_choices(partner) if value != Channel.WHATSAPP]
        self.fields["channel"].choices = choices  # type: ignore[attr-defined]
        senders: list[tuple[str, Any]] = [("", _("Choose a sender ID"))]
        for value, label in choices:
            senders += [
                (f"{value}:{s.value}", f"{s.value} ({label})")
                for s in active_sender_ids(partner=partner, channel=value)
            ]
        self.fields["sender"].choices = senders  # type: ignore[attr-defined]
        if not partner.flash_enabled:
            del self.fields["flash"]
        if not partner.mo_enabled:
            del self.fields["accept_mo"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sender = data.get("sender") or ""
        channel, _sep, value = sender.partition(":")
        if sender and channel != data.get("channel"):
            self.add_error("sender", _("Choose a sender ID of the chosen channel."))
        data["sender_value"] = value
        if data.get("flash") and data.get("channel") != Channel.SMS:
            self.add_error("flash", _("Flash messages exist on the SMS channel only."))
        return data


FILE_FIELDS = [("", _("Choose")), ("phone", _("Destination number")), ("text", _("Message text")),
               ("firstname", _("First name")), ("lastname", _("Last name"))]  # fmt: skip


class MappingForm(forms.Form):
    def __init__(self, *args: Any, columns: int, initial_mapping: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for index in range(columns):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=_("Column %(number)s") % {"number": index + 1},
                choices=FILE_FIELDS,
                required=False,
                initial=initial_mapping[index] if index < len(initial_mapping) else "",
            )

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(f"column_{index}", "") for index in range(len(self.fields))]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            services.check_mapping(self.mapping(), needs_text=True)
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        return data


class TemplateForm(forms.ModelForm):
    button_types = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = MessageTemplate
        fields = ["channel", "name", "sender", "flash", "text", "short_domain", "image_url", "button_caption",
                  "button_url", "purpose", "wa_type", "language", "header_type", "header_text", "header_url",
                  "header_location", "footer", "code_variable", "code_expiry_minutes", "scheduled_for"]  # fmt: skip
        widgets = {
            "text": forms.Textarea(attrs={"rows": 6}),
            "scheduled_for": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.partner = partner
        self.fields["channel"].choices = channel_choices(partner)  # type: ignore[attr-defined]
        from senders.models import SenderID

        self.fields["sender"].queryset = SenderID.objects.active().for_partner(partner).order_by("channel", "value")  # type: ignore[attr-defined]
        self.fields["purpose"] = forms.ChoiceField(
            label=_("Traffic type / category"), choices=[("", "—"), *VIBER_TYPES, *WA_CATEGORIES], required=False
        )
        self.fields["language"] = forms.ChoiceField(
            label=_("Language"), choices=[("", "—"), *WA_LANGUAGES], required=False
        )
        if not partner.flash_enabled:
            del self.fields["flash"]
        domains = ShortDomain.objects.usable_by(partner)
        if domains.exists() or self.instance.short_domain_id:
            self.fields["short_domain"].queryset = domains  # type: ignore[attr-defined]
            self.fields["short_domain"].empty_label = _("Do not shorten")  # type: ignore[attr-defined]
        else:
            del self.fields["short_domain"]
        self.button_rows = [
            {"type": b.get("type", ""), "text": b.get("text", ""), "value": b.get("value", "")}
            for b in (self.instance.buttons or [])
        ]

    def clean_text(self) -> str:
        text: str = self.cleaned_data.get("text") or ""
        errors = marker_errors(text, date_variables(self.partner))
        if errors:
            raise ValidationError(errors)
        return text

    def buttons_from(self, data: Any) -> list[dict[str, str]]:
        kinds, texts, values = data.getlist("button_type"), data.getlist("button_text"), data.getlist("button_value")
        buttons = []
        for kind, text, value in zip(kinds, texts, values, strict=False):
            if kind or text.strip() or value.strip():
                buttons.append({"type": kind, "text": text.strip(), "value": value.strip()})
        return buttons


class CampaignFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Campaign.Status.choices]
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices])
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class TemplateFilterForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices])
    moderation = forms.ChoiceField(
        label=_("Premoderation"), required=False, choices=[("", _("Any")), *Moderation.choices]
    )

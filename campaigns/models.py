"""Campaigns and message templates (DESIGN.md §5, §6).

A :class:`Campaign` keeps its cascade as an ordered list of channel steps in ``steps`` (each the JSON of
``messaging.services.ChannelContent`` plus the template it came from); SMS, when present, is last. Its
recipients come from exactly one source: contact groups, numbers typed in, or an uploaded file. The
expansion into messages is resumable: ``expand_cursor`` is the last contact id (groups) or the number of
numbers / file rows already written, moved in the same transaction as the messages it covers.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from senders.storage import private_storage
from tenancy.models import Channel, Partner, TenantQuerySet

CAMPAIGN_KIND = "campaign"
TEMPLATE_KIND = "template"
MAX_WA_BUTTONS = 10
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class Moderation(models.TextChoices):
    NOT_REQUIRED = "not_required", _("Not required")
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Confirmed")
    DECLINED = "declined", _("Declined")


class MessageTemplate(models.Model):
    """A saved set of message parameters for one channel (Templates → Campaign Templates)."""

    class HeaderType(models.TextChoices):
        NONE = "", _("No header")
        TEXT = "text", _("Text")
        MEDIA = "media", _("Media or document")
        LOCATION = "location", _("Location")

    class WhatsAppType(models.TextChoices):
        OPT_IN = "opt_in", _("Opt-in management")
        ORDER = "order", _("Order management")
        ACCOUNT = "account", _("Account alerts or updates")
        FEEDBACK = "feedback", _("Feedback surveys")
        CONVERSATION = "conversation", _("Continue a conversation")
        AWARENESS = "awareness", _("Awareness")
        SALES = "sales", _("Sales")
        RETARGETING = "retargeting", _("Retargeting")
        APP_PROMOTION = "app_promotion", _("App promotion")
        RELATIONSHIP = "relationship", _("Build customer relationship")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="message_templates")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    sender = models.ForeignKey(
        "senders.SenderID",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sender ID"),
    )
    flash = models.BooleanField(_("flash SMS"), default=False)
    text = models.TextField(_("message text"), blank=True)
    image_url = models.URLField(_("image URL"), max_length=500, blank=True)
    button_caption = models.CharField(_("button caption"), max_length=30, blank=True)
    button_url = models.URLField(_("button URL"), max_length=500, blank=True)
    short_domain = models.ForeignKey(
        "shortener.ShortDomain",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("short domain"),
        help_text=_("Campaigns from this template send the first link of the text as a short link on this domain."),
    )
    purpose = models.CharField(_("traffic type / category"), max_length=16, blank=True)
    wa_type = models.CharField(_("template type"), max_length=16, choices=WhatsAppType.choices, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    header_type = models.CharField(_("header"), max_length=8, choices=HeaderType.choices, blank=True)
    header_text = models.CharField(_("header text"), max_length=60, blank=True)
    header_url = models.URLField(_("header media URL"), max_length=500, blank=True)
    header_location = models.CharField(_("header location"), max_length=200, blank=True)
    footer = models.CharField(_("footer"), max_length=60, blank=True)
    buttons = models.JSONField(_("buttons"), default=list, blank=True)  # [{"type", "text", "value"}], ≤ 10
    code_variable = models.CharField(_("verification code variable"), max_length=64, blank=True)
    code_expiry_minutes = models.PositiveIntegerField(_("code expires after, minutes"), null=True, blank=True)
    scheduled_for = models.DateField(_("scheduled date"), null=True, blank=True)
    moderation = models.CharField(
        _("premoderation"), max_length=16, choices=Moderation.choices, default=Moderation.NOT_REQUIRED
    )
    approval = models.ForeignKey(
        "tenancy.ApprovalRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decline_reason = models.TextField(_("reason for decline"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("last updated"), default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign template")
        verbose_name_plural = _("campaign templates")
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "channel", "name"], name="message_template_unique_name"),
        ]
        indexes = [models.Index(fields=["partner", "channel", "moderation"], name="template_partner_channel")]

    def __str__(self) -> str:
        return self.name

    @property
    def usable(self) -> bool:
        """Approved, or never needing approval: only such templates are offered in the wizard."""
        return self.moderation in (Moderation.NOT_REQUIRED, Moderation.APPROVED)


class CampaignQuerySet(TenantQuerySet):
    def live(self) -> CampaignQuerySet:
        return self.filter(is_deleted=False)  # type: ignore[return-value]


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        WAITING = "waiting", _("Waiting")
        SCHEDULED = "scheduled", _("Scheduled")
        IN_PROGRESS = "in_progress", _("In progress")
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")

    class Source(models.TextChoices):
        GROUPS = "groups", _("Contact groups")
        MANUAL = "manual", _("Manually")
        FILE = "file", _("From file")

    class Placeholders(models.TextChoices):
        KEEP = "keep", _("Keep the placeholder as it is")
        STRIP = "strip", _("Remove the placeholder")
        REJECT = "reject", _("Skip the recipient")

    class Origin(models.TextChoices):
        WIZARD = "wizard", _("Campaign wizard")
        FILE = "file", _("Campaign from file")
        API = "api", _("API")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="campaigns")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    origin = models.CharField(_("created in"), max_length=8, choices=Origin.choices, default=Origin.WIZARD)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    steps = models.JSONField(_("channels"), default=list, blank=True)
    accept_mo = models.BooleanField(_("send reply templates"), default=False)
    placeholders = models.CharField(
        _("missing variable values"), max_length=8, choices=Placeholders.choices, default=Placeholders.KEEP
    )
    source = models.CharField(_("recipients"), max_length=8, choices=Source.choices, blank=True)
    groups = models.ManyToManyField("contacts.Group", blank=True, related_name="+", verbose_name=_("contact groups"))
    manual_numbers = models.TextField(_("numbers"), blank=True)
    default_country = models.ForeignKey(
        "billing.Country", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file = models.FileField(
        _("file"), upload_to="campaign-files/%Y/%m/", storage=private_storage, blank=True, max_length=255
    )
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_format = models.CharField(_("format"), max_length=4, blank=True)
    encoding = models.CharField(max_length=16, default="utf-8")
    delimiter = models.CharField(max_length=1, default=",")
    file_mapping = models.JSONField(_("columns"), default=list, blank=True)  # one field key (or "") per column
    file_has_header = models.BooleanField(default=True)
    send_at = models.DateTimeField(_("scheduled for (UTC)"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    notify_emails = models.CharField(_("e-mail notifications"), max_length=1000, blank=True)
    short_link = models.ForeignKey(
        "shortener.ShortLink",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("short URL"),
    )
    moderation = models.CharField(
        _("premoderation"), max_length=16, choices=Moderation.choices, default=Moderation.NOT_REQUIRED
    )
    approval = models.ForeignKey(
        "tenancy.ApprovalRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decline_reason = models.TextField(_("reason for decline"), blank=True)
    recipients_total = models.PositiveIntegerField(_("recipients"), default=0)
    messages_written = models.PositiveIntegerField(_("messages"), default=0)
    skipped_stop_list = models.PositiveIntegerField(default=0)
    skipped_duplicates = models.PositiveIntegerField(default=0)
    skipped_invalid = models.PositiveIntegerField(default=0)
    skipped_placeholders = models.PositiveIntegerField(default=0)
    expand_cursor = models.BigIntegerField(default=0)
    expanded = models.BooleanField(default=False)
    error = models.CharField(_("error"), max_length=255, blank=True)
    is_deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("last updated"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["partner", "status", "updated_at"], name="campaign_partner_status"),
            models.Index(fields=["send_at"], condition=Q(status="scheduled"), name="campaign_due"),
            models.Index(fields=["status"], condition=Q(status="in_progress"), name="campaign_running"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def channels(self) -> list[str]:
        return [step.get("channel", "") for step in self.steps]

    @property
    def channel_labels(self) -> str:
        return " → ".join(str(Channel(channel).label) for channel in self.channels if channel in Channel.values)

    @property
    def senders(self) -> str:
        return ", ".join(step.get("sender", "") for step in self.steps if step.get("sender"))

    @property
    def is_cascade(self) -> bool:
        return len(self.steps) > 1

    @property
    def notify_list(self) -> list[str]:
        return [part.strip() for part in self.notify_emails.replace(";", ",").split(",") if part.strip()]

    def step_for(self, channel: str) -> dict[str, Any]:
        for step in self.steps:
            if step.get("channel") == channel:
                return dict(step)
        return {}


# Which list actions each status offers (the Campaigns List rules); "details" is always there.
ACTIONS_BY_STATUS: dict[str, tuple[str, ...]] = {
    Campaign.Status.DRAFT: ("edit", "delete"),
    Campaign.Status.WAITING: ("cancel", "delete"),
    Campaign.Status.SCHEDULED: ("start", "cancel", "delete"),
    Campaign.Status.IN_PROGRESS: ("pause",),
    Campaign.Status.PAUSED: ("resume", "cancel", "delete"),
    Campaign.Status.COMPLETED: ("repeat", "delete"),
    Campaign.Status.FAILED: ("repeat", "delete"),
    Campaign.Status.CANCELED: ("repeat", "delete"),
}


def campaign_actions(campaign: Campaign) -> tuple[str, ...]:
    return ("details", *ACTIONS_BY_STATUS.get(campaign.status, ()))

"""Contacts of an end user, their groups, custom fields, the stop list and contact imports."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.models import Partner, TenantQuerySet

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
PHONE_MAX_LENGTH = 17


def private_storage() -> Storage:
    """Uploaded contact files are personal data: the ``private`` storage, served only through guarded views."""
    return storages["private"]


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Group(models.Model):
    """A named set of contacts; groups may be nested under another group of the same partner."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="contact_groups")
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=500, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children", verbose_name=_("inside")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("last updated"), default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "partner", name="contact_group_name_unique"),
            models.CheckConstraint(condition=~Q(name=""), name="contact_group_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class ContactField(models.Model):
    """A column the partner adds to its contacts; values live in ``Contact.custom_values`` under ``variable``."""

    class DataType(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        BOOLEAN = "boolean", _("Yes / no")
        LIST = "list", _("List")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="contact_fields")
    name = models.CharField(_("field name"), max_length=60)
    variable = models.CharField(_("variable"), max_length=60)
    data_type = models.CharField(_("data type"), max_length=16, choices=DataType.choices, default=DataType.TEXT)
    options = models.TextField(_("list options"), blank=True, help_text=_("One option per line."))
    required = models.BooleanField(_("required"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact field")
        verbose_name_plural = _("contact fields")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "variable"], name="contact_field_variable_unique"),
            models.UniqueConstraint(Lower("name"), "partner", name="contact_field_name_unique"),
            models.CheckConstraint(condition=~Q(variable=""), name="contact_field_variable_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def placeholder(self) -> str:
        """How a campaign text refers to the field."""
        return "{" + self.variable + "}"

    @property
    def column_key(self) -> str:
        return f"field:{self.variable}"

    @property
    def option_list(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]


_VARIABLE_DROP = re.compile(r"[\W_]+", re.UNICODE)


def variable_for(name: str) -> str:
    """The variable of a field name: lower case, without spaces or special characters."""
    return _VARIABLE_DROP.sub("", name.lower())


class ContactQuerySet(TenantQuerySet):
    def for_partner(self, partner: Partner) -> ContactQuerySet:
        return super().for_partner(partner)  # type: ignore[return-value]

    def in_groups(self, groups: Any) -> ContactQuerySet:
        """Contacts in any of ``groups`` (each contact once, whatever the number of matching groups)."""
        return self.filter(  # type: ignore[return-value]
            models.Exists(Membership.objects.filter(contact=models.OuterRef("pk"), group__in=groups))
        )

    def stop_listed(self) -> ContactQuerySet:
        """Contacts with at least one blocked sender ID."""
        return self.filter(models.Exists(StopEntry.objects.filter(contact=models.OuterRef("pk"))))  # type: ignore[return-value]


class Contact(models.Model):
    """A phone number (E.164 digits, unique per partner) with its details; always in at least one group."""

    # Imports write a million rows, and every index and database-checked foreign key costs time on each of them:
    # foreign keys get no index of their own where a composite index covers them or the lookup is rare (a deleted
    # country or user), and the informative ones (country, network, creating user) are not checked by the
    # database; Django still applies their on_delete rules.
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="contacts", db_index=False)
    phone = models.CharField(_("phone"), max_length=PHONE_MAX_LENGTH)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    custom_values = models.JSONField(_("custom fields"), default=dict, blank=True)
    country = models.ForeignKey(
        "billing.Country",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("country"),
        db_index=False,
        db_constraint=False,
    )
    network = models.ForeignKey(
        "billing.Network",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("network"),
        db_index=False,
        db_constraint=False,
    )
    groups: models.ManyToManyField[Group, Membership] = models.ManyToManyField(
        Group, through="Membership", related_name="contacts", verbose_name=_("groups")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(_("creation date"), default=timezone.now)
    updated_at = models.DateTimeField(_("last updated"), default=timezone.now)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(fields=["partner", "phone"], name="contact_phone_unique_per_partner"),
            models.CheckConstraint(condition=Q(phone__regex=r"^[0-9]{6,17}$"), name="contact_phone_digits"),
        ]
        # Few indexes on purpose: every one of them slows down imports. Phone prefix filters use the unique
        # index as a range scan (digits only), the default ordering uses the creation index.
        indexes = [models.Index(fields=["partner", "created_at", "id"], name="contact_partner_created")]

    def __str__(self) -> str:
        return self.display_phone

    @property
    def display_phone(self) -> str:
        return f"+{self.phone}" if self.phone else ""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Membership(models.Model):
    """A contact in a group."""

    # Not checked by the database: every membership is written from ids just read, deletes go through the ORM
    # (which removes memberships first), and the checks cost a fifth of a large import's time.
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="memberships", db_index=False, db_constraint=False
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="memberships", db_index=False, db_constraint=False
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "contact"], name="contact_membership_unique")]
        indexes = [models.Index(fields=["contact", "group"], name="contact_membership_contact")]

    def __str__(self) -> str:
        return f"{self.contact_id} in {self.group_id}"


class StopEntry(models.Model):
    """A contact blocked for one sender ID, or for every sender ID when ``sender`` is empty."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="stop_entries")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="stop_entries")
    sender = models.ForeignKey(
        "senders.SenderID",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="stop_entries",
        verbose_name=_("sender ID"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("blocked"), default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("stop list entry")
        verbose_name_plural = _("stop list entries")
        constraints = [
            models.UniqueConstraint(fields=["contact", "sender"], name="stop_entry_unique"),
            models.UniqueConstraint(
                fields=["contact"], condition=Q(sender__isnull=True), name="stop_entry_all_senders_unique"
            ),
        ]
        indexes = [models.Index(fields=["partner", "sender"], name="stop_entry_partner_sender")]

    def __str__(self) -> str:
        return f"{self.contact_id} / {self.sender_id or 'all'}"

    @property
    def all_senders(self) -> bool:
        return self.sender_id is None


class TableSettings(models.Model):
    """One user's column order, visibility and page size for a table of the portal (contacts, campaigns)."""

    class Table(models.TextChoices):
        CONTACTS = "contacts", _("Contacts")
        STOP_LIST = "stop_list", _("Stop list")
        CAMPAIGNS = "campaigns", _("Campaigns")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_tables")
    table = models.CharField(max_length=16, choices=Table.choices)
    columns = models.JSONField(default=list, blank=True)  # [{"key": "phone", "visible": true}, ...]
    per_page = models.PositiveSmallIntegerField(default=20)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "table"], name="contact_table_settings_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} / {self.table}"


class ContactImport(models.Model):
    """One upload of a contacts file, from the wizard's first step to the finished import."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        QUEUED = "queued", _("Queued")
        PROCESSING = "processing", _("In progress")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")

    class FileFormat(models.TextChoices):
        CSV = "csv", "CSV"
        XLS = "xls", "XLS"
        XLSX = "xlsx", "XLSX"

    class ExistingAction(models.TextChoices):
        ADD_AND_UPDATE = "add_update", _("Add and update existing")
        ADD_NEW = "add_new", _("Add only new")
        UPDATE_EXISTING = "update_existing", _("Update only existing")

    class StopListAction(models.TextChoices):
        EXCLUDE = "exclude", _("Exclude them from the import")
        UNBLOCK = "unblock", _("Remove them from the stop list")
        BLOCK = "block", _("Import them to the stop list")

    ENCODINGS: ClassVar[list[tuple[str, str]]] = [
        ("utf-8", "UTF-8"),
        ("cp1251", "Windows-1251"),
        ("cp1252", "Windows-1252"),
        ("iso-8859-1", "ISO-8859-1"),
        ("utf-16", "UTF-16"),
    ]
    DELIMITERS: ClassVar[list[tuple[str, Any]]] = [
        (",", _("Comma")),
        (";", _("Semicolon")),
        ("\t", _("Tab")),
    ]

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="contact_imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    file = models.FileField(_("file"), upload_to="contact-imports/%Y/%m/", storage=private_storage, max_length=255)
    file_name = models.CharField(_("file name"), max_length=255)
    file_size = models.PositiveIntegerField(_("size"), default=0)
    file_format = models.CharField(_("format"), max_length=4, choices=FileFormat.choices)
    encoding = models.CharField(_("encoding"), max_length=16, choices=ENCODINGS, default="utf-8")
    delimiter = models.CharField(_("delimiter"), max_length=1, choices=DELIMITERS, default=",")
    has_header = models.BooleanField(_("the first row holds column names"), default=True)
    mapping = models.JSONField(_("mapping"), default=list, blank=True)  # one field key (or "") per file column
    existing_action = models.CharField(
        _("contacts already in your list"),
        max_length=16,
        choices=ExistingAction.choices,
        default=ExistingAction.ADD_AND_UPDATE,
    )
    stop_list_action = models.CharField(
        _("contacts in the stop list"), max_length=8, choices=StopListAction.choices, default=StopListAction.EXCLUDE
    )
    all_sender_ids = models.BooleanField(_("all sender IDs"), default=False)
    sender_ids = models.ManyToManyField("senders.SenderID", blank=True, related_name="+", verbose_name=_("sender IDs"))
    default_country = models.ForeignKey(
        "billing.Country",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("country of numbers without a country code"),
    )
    group = models.ForeignKey(
        Group, on_delete=models.SET_NULL, null=True, blank=True, related_name="imports", verbose_name=_("group")
    )
    group_name = models.CharField(_("group"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    invalid_count = models.PositiveIntegerField(_("invalid"), default=0)
    error_file = models.FileField(
        _("error file"), upload_to="contact-imports/errors/%Y/%m/", storage=private_storage, blank=True, max_length=255
    )
    failure_reason = models.CharField(_("failure reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("date"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact import")
        verbose_name_plural = _("contact imports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["partner", "status", "created_at"], name="contact_import_partner")]

    def __str__(self) -> str:
        return self.file_name

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.PROCESSING)

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.COMPLETED:
            return 100
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)


class ImportRowError(models.Model):
    """One invalid row of an import (row number as the user sees it in the file, and the reason)."""

    contact_import = models.ForeignKey(ContactImport, on_delete=models.CASCADE, related_name="errors")
    row = models.PositiveIntegerField()
    phone = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["row", "pk"]

    def __str__(self) -> str:
        return f"{self.row}: {self.reason}"

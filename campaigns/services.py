"""Every write of the campaigns app: templates, campaigns and their lifecycle, premoderation.

Lifecycle (DESIGN.md §6): DRAFT → ``campaign_launch`` → WAITING (premoderation) / SCHEDULED / IN_PROGRESS →
``campaign_expand`` (campaigns/expansion.py) streams the recipients into the messaging engine → COMPLETED
(``campaigns_check_completed``) or FAILED. Every transition is a conditional update, so a repeated task or click
changes nothing twice.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Country, Network
from billing.services import ChargeRejected, quote
from billing.services.reference import NumberResolver, ResolvedNumber
from campaigns.models import (
    CAMPAIGN_KIND,
    MAX_UPLOAD_BYTES,
    MAX_WA_BUTTONS,
    TEMPLATE_KIND,
    Campaign,
    MessageTemplate,
    Moderation,
)
from campaigns.placeholders import PLACEHOLDER, format_date
from campaigns.shortlinks import find_link, follow_whatsapp_link, shortened, whatsapp_short_link
from contacts import selectors as contact_selectors
from contacts.models import Group
from messaging import services as messaging
from messaging.models import Purpose
from messaging.segments import message_parts
from messaging.services.dispatch import billing_product
from senders.models import SenderID
from senders.services import sender_id_check
from shortener.models import ShortDomain
from shortener.services import short_link_create
from tenancy import approvals
from tenancy.models import ApprovalRequest, Channel, Partner, User

VARIABLE_WIDTH = 10  # a variable counts as ten characters in the estimate of the message length
ALIASES = {"first_name": "firstname", "last_name": "lastname", "birth_date": "dateofbirth"}
STEP_KEYS = ("channel", "sender", "text", "ttl", "purpose", "flash", "image_url", "button_caption", "button_url",
             "template_name", "template_params", "template_id")  # fmt: skip
FINAL = (Campaign.Status.COMPLETED, Campaign.Status.FAILED, Campaign.Status.CANCELED)
BUTTON_TYPES = ("phone", "url", "quick_reply", "copy_code")


# Text helpers ------------------------------------------------------------------------------------------------------


def estimate_text(text: str) -> str:
    """The text with every variable as ten characters: what the character and part counter shows."""
    return PLACEHOLDER.sub("x" * VARIABLE_WIDTH, text)


def estimate_parts(channel: str, text: str) -> int:
    return message_parts(channel, estimate_text(text))


class MissingValue(Exception):
    """A recipient has no value for a placeholder and the campaign skips such recipients."""


def render(text: str, values: dict[str, str], mode: str) -> str:
    """``text`` with ``{variable}`` placeholders filled from ``values``, a date in the format of its marker
    (``{dateofbirth|DD.MM.YYYY}``); ``mode`` says what a missing value does."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        value = values.get(ALIASES.get(name, name), values.get(name, ""))
        if value:
            return format_date(str(value), match.group(2))
        if mode == Campaign.Placeholders.STRIP:
            return ""
        if mode == Campaign.Placeholders.REJECT:
            raise MissingValue(name)
        return match.group(0)

    return PLACEHOLDER.sub(replace, text)


def parse_emails(value: str) -> str:
    emails = [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    for email in emails:
        try:
            validate_email(email)
        except ValidationError as error:
            raise ValidationError(
                {"notify_emails": _("“%(email)s” is not an e-mail address.") % {"email": email}}, code="email"
            ) from error
    return ", ".join(emails)


def split_numbers(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[\n,;]+", value) if part.strip()]


# Message templates -------------------------------------------------------------------------------------------------


def _check_template(template: MessageTemplate) -> None:
    errors: dict[str, str] = {}
    template.name = template.name.strip()
    if not template.name:
        errors["name"] = _("Give the template a name.")
    if template.channel not in Channel.values:
        errors["channel"] = _("Choose a channel.")
    if template.sender_id and not SenderID.objects.for_partner(template.partner).filter(pk=template.sender_id).exists():
        errors["sender"] = _("Choose one of your sender IDs.")
    if template.channel == Channel.WHATSAPP:
        template.short_domain = None  # the links of a WhatsApp template are fixed by its approval
        if template.purpose not in (Purpose.MARKETING, Purpose.UTILITY, Purpose.AUTHENTICATION):
            errors["purpose"] = _("Choose the category: Authentication, Utility or Marketing.")
        if template.purpose != Purpose.AUTHENTICATION and not template.text.strip():
            errors["text"] = _("The message body must not be empty.")
        if not template.language:
            errors["language"] = _("Choose the language of the template.")
        buttons = template.buttons or []
        if len(buttons) > MAX_WA_BUTTONS:
            errors["buttons"] = _("A template has at most ten buttons.")
        for button in buttons:
            if button.get("type") not in BUTTON_TYPES or not str(button.get("text", "")).strip():
                errors["buttons"] = _("Each button needs a type and a caption.")
    else:
        if not template.text.strip():
            errors["text"] = _("The message text must not be empty.")
        if template.channel == Channel.VIBER:
            if template.button_url and not template.button_caption:
                errors["button_caption"] = _("A button needs a caption.")
            if template.image_url or template.button_url:
                template.purpose = Purpose.PROMOTION  # a picture or a button makes it promotional
            elif template.purpose not in (Purpose.PROMOTION, Purpose.TRANSACTION):
                template.purpose = Purpose.TRANSACTION
        if template.short_domain_id:
            if find_link(template.text) is None:
                errors["short_domain"] = _("Put a link into the message text to shorten it.")
            elif not ShortDomain.objects.usable_by(template.partner).filter(pk=template.short_domain_id).exists():
                errors["short_domain"] = _("This short domain is not available to you.")
        if template.flash and template.channel != Channel.SMS:
            errors["flash"] = _("Flash messages exist on the SMS channel only.")
        if template.flash and not template.partner.flash_enabled:
            errors["flash"] = _("Flash SMS is not enabled for this account.")
    taken = MessageTemplate.objects.for_partner(template.partner).filter(
        channel=template.channel, name__iexact=template.name
    )
    if template.pk:
        taken = taken.exclude(pk=template.pk)
    if template.name and taken.exists():
        errors["name"] = _("You already have a template with this name for this channel.")
    if errors:
        raise ValidationError(errors)


def _needs_moderation(template: MessageTemplate) -> bool:
    return template.channel == Channel.WHATSAPP or template.partner.premoderate_templates


def _submit_template(template: MessageTemplate, by: User | None) -> None:
    if not _needs_moderation(template):
        template.moderation = Moderation.NOT_REQUIRED
        return
    approval = approvals.approval_open(
        partner=template.partner,
        by=by,
        kind=TEMPLATE_KIND,
        title=_("Template “%(name)s”") % {"name": template.name},
        route=ApprovalRequest.Route.PARENT,
    )
    template.approval = approval
    template.moderation = Moderation.PENDING
    template.decline_reason = ""


@transaction.atomic
def template_save(*, template: MessageTemplate, by: User | None) -> MessageTemplate:
    """Create or update a template; under premoderation (and always for WhatsApp) it waits for approval again."""
    _check_template(template)
    if template.approval_id and template.moderation == Moderation.PENDING:
        ApprovalRequest.objects.filter(pk=template.approval_id, status=ApprovalRequest.Status.PENDING).update(
            status=ApprovalRequest.Status.CANCELED, current_partner=None, decided_at=timezone.now()
        )
    if template.pk is None:
        template.created_by = by
    template.updated_at = timezone.now()
    template.save()
    _submit_template(template, by)
    template.save(update_fields=["moderation", "approval", "decline_reason"])
    return template


@transaction.atomic
def template_delete(*, template: MessageTemplate, by: User | None) -> None:
    if template.approval_id and template.moderation == Moderation.PENDING:
        ApprovalRequest.objects.filter(pk=template.approval_id, status=ApprovalRequest.Status.PENDING).update(
            status=ApprovalRequest.Status.CANCELED, current_partner=None, decided_at=timezone.now()
        )
    template.delete()


def usable_templates(*, partner: Partner, channel: str | None = None) -> Any:
    queryset = MessageTemplate.objects.for_partner(partner).filter(
        moderation__in=[Moderation.NOT_REQUIRED, Moderation.APPROVED]
    )
    return queryset.filter(channel=channel) if channel else queryset


class TemplateApprovalHandler:
    def on_forwarded(self, approval: ApprovalRequest, *, by: User) -> None:
        return None

    def on_approved(self, approval: ApprovalRequest, *, by: User, payload: dict[str, Any]) -> None:
        MessageTemplate.objects.filter(approval=approval, moderation=Moderation.PENDING).update(
            moderation=Moderation.APPROVED, decline_reason="", updated_at=timezone.now()
        )

    def on_declined(self, approval: ApprovalRequest, *, by: User) -> None:
        MessageTemplate.objects.filter(approval=approval, moderation=Moderation.PENDING).update(
            moderation=Moderation.DECLINED, decline_reason=approval.reason, updated_at=timezone.now()
        )

    def on_canceled(self, approval: ApprovalRequest, *, by: User) -> None:
        return None


# Campaigns: drafts -------------------------------------------------------------------------------------------------


def default_name(at: datetime | None = None, time_zone: str = "UTC") -> str:
    import zoneinfo

    moment = (at or timezone.now()).astimezone(zoneinfo.ZoneInfo(time_zone or "UTC"))
    return _("Campaign %(when)s") % {"when": moment.strftime("%d %b %Y, %H:%M")}


def clean_step(data: dict[str, Any]) -> dict[str, Any]:
    step = {key: data[key] for key in STEP_KEYS if key in data and data[key] not in (None, "", [], False)}
    if "template_params" in step:
        step["template_params"] = [str(value) for value in step["template_params"]]
    if "ttl" in step:
        step["ttl"] = int(step["ttl"])
    return step


def order_steps(steps: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps in the chosen order with SMS moved last (it is always the final fallback)."""
    steps = list(steps)
    return [step for step in steps if step.get("channel") != Channel.SMS] + [
        step for step in steps if step.get("channel") == Channel.SMS
    ]


FIELDS = ("name", "steps", "accept_mo", "placeholders", "source", "manual_numbers", "default_country",
          "send_at", "time_zone", "notify_emails", "file_mapping", "file_has_header")  # fmt: skip


def _apply(campaign: Campaign, changes: dict[str, Any]) -> list[Group] | None:
    groups = changes.pop("groups", None)
    for key, value in changes.items():
        if key not in FIELDS:
            raise TypeError(f"unknown campaign field {key!r}")
        if key == "steps":
            value = order_steps(clean_step(step) for step in value)
        if key == "notify_emails":
            value = parse_emails(value)
        if key == "name":
            value = value.strip()
            if not value:
                raise ValidationError({"name": _("Give the campaign a name.")}, code="name")
        setattr(campaign, key, value)
    if groups is not None:
        groups = list(groups)
        if any(group.partner_id != campaign.partner_id for group in groups):
            raise ValidationError({"groups": _("Choose your own contact groups.")}, code="groups")
    return groups


def _editable(campaign: Campaign) -> None:
    if campaign.status != Campaign.Status.DRAFT:
        raise ValidationError(_("Only a draft campaign can be changed."), code="not_draft")


@transaction.atomic
def campaign_create(
    *, partner: Partner, by: User | None, origin: str = Campaign.Origin.WIZARD, **fields: Any
) -> Campaign:
    """A DRAFT campaign; ``fields`` are any of the wizard's fields (name, steps, source, groups, ...)."""
    fields.setdefault("name", default_name(time_zone=getattr(by, "time_zone", "UTC")))
    campaign = Campaign(partner=partner, created_by=by, origin=origin)
    groups = _apply(campaign, fields)
    follow_whatsapp_link(campaign, [])
    campaign.save()
    if groups is not None:
        campaign.groups.set(groups)
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, by: User | None, **fields: Any) -> Campaign:
    _editable(campaign)
    previous_steps = campaign.steps
    groups = _apply(campaign, fields)
    if "steps" in fields:
        follow_whatsapp_link(campaign, previous_steps)
    campaign.updated_at = timezone.now()
    campaign.save()
    if groups is not None:
        campaign.groups.set(groups)
    return campaign


@transaction.atomic
def campaign_rename(*, campaign: Campaign, name: str, by: User | None) -> Campaign:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the campaign a name.")}, code="name")
    Campaign.objects.filter(pk=campaign.pk).update(name=name[:200], updated_at=timezone.now())
    campaign.name = name[:200]
    return campaign


@transaction.atomic
def campaign_set_file(*, campaign: Campaign, upload: Any) -> Campaign:
    """Store (or replace) the campaign's recipients file; the mapping is guessed again."""
    from contacts.files import check_upload, decode_sample, detect_delimiter, detect_encoding

    _editable(campaign)
    if int(getattr(upload, "size", 0) or 0) > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": _("The file is larger than 10 MB.")}, code="too_large")
    try:
        file_format = check_upload(upload)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}, code=error.code) from error
    upload.seek(0)
    head = upload.read(64 * 1024)
    upload.seek(0)
    if file_format == "csv":
        campaign.encoding = detect_encoding(head)
        campaign.delimiter = detect_delimiter(decode_sample(head, campaign.encoding))
    if campaign.file:
        campaign.file.delete(save=False)
    campaign.file_format = file_format
    campaign.file_name = str(upload.name)[:255]
    campaign.file.save(str(upload.name), upload, save=False)
    campaign.source = Campaign.Source.FILE
    rows = file_preview(campaign, count=1)
    campaign.file_mapping = guess_mapping(rows[0] if rows else [])
    campaign.file_has_header = bool(rows) and not any(split_digits(str(cell or "")) for cell in rows[0][:1])
    campaign.updated_at = timezone.now()
    campaign.save()
    return campaign


def split_digits(value: str) -> bool:
    digits = re.sub(r"[\s+()\-.]", "", value)
    return digits.isdigit() and len(digits) >= 6


def guess_mapping(header: list[Any]) -> list[str]:
    names = {"phone": "phone", "number": "phone", "destination": "phone", "recipient": "phone", "msisdn": "phone",
             "text": "text", "message": "text", "first name": "firstname", "firstname": "firstname",
             "last name": "lastname", "lastname": "lastname", "name": "firstname"}  # fmt: skip
    mapping = []
    for cell in header:
        text = str(cell or "").strip().lower()
        guess = next((value for key, value in names.items() if key in text), "")
        mapping.append(guess if guess not in mapping else "")
    if header and "phone" not in mapping and split_digits(str(header[0] or "")):
        mapping[0] = "phone"
    return mapping


@dataclass
class _FileRows:
    file: Any
    file_format: str
    encoding: str
    delimiter: str


def _open_rows(campaign: Campaign) -> Any:
    from contacts.files import open_rows

    return open_rows(cast(Any, _FileRows(campaign.file, campaign.file_format, campaign.encoding, campaign.delimiter)))


def file_preview(campaign: Campaign, count: int = 4) -> list[list[Any]]:
    rows: list[list[Any]] = []
    if not campaign.file:
        return rows
    with _open_rows(campaign) as reader:
        for values in reader:
            if any(value not in (None, "") for value in values):
                rows.append(["" if value is None else value for value in values])
                if len(rows) >= count:
                    break
    return rows


def check_mapping(mapping: list[str], *, needs_text: bool = False) -> None:
    chosen = [key for key in mapping if key]
    if "phone" not in chosen:
        raise ValidationError({"file_mapping": _("Choose the column with the destination number.")}, code="no_phone")
    if len(set(chosen)) != len(chosen):
        raise ValidationError({"file_mapping": _("Each caption may be used for one column only.")}, code="duplicate")
    if needs_text and "text" not in chosen:
        raise ValidationError({"file_mapping": _("Choose the column with the message text.")}, code="no_text")


def _file_rows(campaign: Campaign) -> Generator[dict[str, str], None, None]:
    """The data rows of the file as ``{mapped key: value}``."""
    mapping = list(campaign.file_mapping or [])
    with _open_rows(campaign) as reader:
        first = True
        for values in reader:
            if not any(value not in (None, "") for value in values):
                continue
            if first and campaign.file_has_header:
                first = False
                continue
            first = False
            row = {}
            for index, key in enumerate(mapping):
                if key and index < len(values) and values[index] not in (None, ""):
                    value = values[index]
                    if isinstance(value, float) and value.is_integer():
                        value = int(value)
                    row[key] = str(value).strip()
            yield row


@transaction.atomic
def campaign_copy(*, campaign: Campaign, by: User | None) -> Campaign:
    """A new draft with the same parameters (Repeat)."""
    copy = Campaign.objects.get(pk=campaign.pk)
    copy.pk = None
    copy.created_by = by
    copy.name = _("Repeat %(name)s") % {"name": campaign.name}
    copy.name = copy.name[:200]
    copy.status = Campaign.Status.DRAFT
    copy.moderation = Moderation.NOT_REQUIRED
    copy.approval = None
    copy.decline_reason = ""
    copy.error = ""
    copy.send_at = None
    for name in ("recipients_total", "messages_written", "skipped_stop_list", "skipped_duplicates", "skipped_invalid",
                 "skipped_placeholders", "expand_cursor"):  # fmt: skip
        setattr(copy, name, 0)
    copy.expanded = False
    copy.is_deleted = False
    copy.created_at = copy.updated_at = timezone.now()
    copy.started_at = copy.finished_at = None
    if campaign.file:
        copy.file = None  # type: ignore[assignment]
        copy.save()
        with campaign.file.open("rb") as handle:
            copy.file.save(campaign.file_name or "recipients", handle, save=True)
    else:
        copy.save()
    copy.groups.set(campaign.groups.all())
    _copy_short_link(copy, by)
    return copy


def _copy_short_link(copy: Campaign, by: User | None) -> None:
    """A repeated campaign gets its own short link (clicks are counted per campaign) while its domain is usable; the
    short link of its WhatsApp template stays, as the template cannot change."""
    link = copy.short_link
    if link is None or link == whatsapp_short_link(partner=copy.partner, steps=copy.steps):
        return
    usable = ShortDomain.objects.usable_by(copy.partner).filter(pk=link.domain_id).exists()
    copy.short_link = (
        short_link_create(partner=copy.partner, domain=link.domain, original_url=link.original_url, by=by)
        if usable
        else None
    )
    copy.save(update_fields=["short_link"])


def group_use_reason(group: Group) -> str | None:
    """Why a contact group cannot be deleted: a campaign that has not finished sends to it."""
    active = [Campaign.Status.WAITING, Campaign.Status.SCHEDULED, Campaign.Status.IN_PROGRESS, Campaign.Status.PAUSED]
    names = list(
        Campaign.objects.filter(groups=group, status__in=active, is_deleted=False).values_list("name", flat=True)[:3]
    )
    if not names:
        return None
    return _("Campaigns still send to this group: %(names)s.") % {"names": ", ".join(names)}


# Validation and estimate -------------------------------------------------------------------------------------------


def _step_content(campaign: Campaign, step: dict[str, Any]) -> messaging.ChannelContent:
    """The step as the messaging engine takes it, filled from its template."""
    data = {key: step[key] for key in STEP_KEYS if key in step and key != "template_id"}
    template_id = step.get("template_id")
    if template_id:
        template = MessageTemplate.objects.for_partner(campaign.partner).filter(pk=template_id).first()
        if template is None:
            raise ValidationError(_("The template of this campaign was deleted."), code="template_gone")
        if not template.usable:
            raise ValidationError(
                _("The template “%(name)s” is not approved yet.") % {"name": template.name}, code="template_pending"
            )
        if template.channel == Channel.WHATSAPP:
            data["template_name"] = template.name
            data["purpose"] = template.purpose
            data.setdefault("text", template.text)
    if step.get("channel") != Channel.WHATSAPP:  # a WhatsApp template's text cannot change
        data["text"] = shortened(data.get("text", ""), campaign.short_link)
    return messaging.ChannelContent(**data)


def campaign_contents(campaign: Campaign) -> list[messaging.ChannelContent]:
    """The checked cascade of the campaign; raises ValidationError with what to fix."""
    contents = [_step_content(campaign, step) for step in campaign.steps]
    if not contents:
        raise ValidationError(_("Choose at least one channel."), code="no_channels")
    for content in contents:
        if content.channel == Channel.WHATSAPP and not content.template_name:
            raise ValidationError(_("WhatsApp messages are sent from an approved template."), code="no_template")
    checked = messaging.check_steps(partner=campaign.partner, steps=contents, accept_mo=campaign.accept_mo)
    for content in checked:
        sender_id_check(partner=campaign.partner, channel=content.channel, value=content.sender)
    return checked


@dataclass
class Destination:
    country: str
    network: str
    mccmnc: str
    count: int


@dataclass
class Estimate:
    recipients: int = 0
    invalid: int = 0
    duplicates: int = 0
    cost: Decimal = Decimal(0)
    from_packs: int = 0
    from_plan: int = 0
    uncovered: int = 0
    parts: int = 1
    destinations: list[Destination] = field(default_factory=list)
    groups: list[tuple[str, int]] = field(default_factory=list)


def _resolve_numbers(numbers: Iterable[str], default_country: Country | None, estimate: Estimate) -> dict[str, Any]:
    resolver = NumberResolver()
    seen: dict[str, ResolvedNumber] = {}
    for raw in numbers:
        try:
            number = resolver.resolve(raw, default_country)
        except ValidationError:
            estimate.invalid += 1
            continue
        if number.e164 in seen:
            estimate.duplicates += 1
            continue
        seen[number.e164] = number
    return seen


def campaign_estimate(campaign: Campaign) -> Estimate:
    """Recipients by destination, the estimated cost of the first channel, and what packs or plans cover."""
    estimate = Estimate()
    counts: dict[tuple[int, int | None], int] = {}
    if campaign.source == Campaign.Source.GROUPS:
        groups = list(campaign.groups.all())
        queryset = contact_selectors.recipients_queryset(partner=campaign.partner, groups=groups, sender=None)
        for row in queryset.values("country_id", "network_id").annotate(count=Count("pk")).order_by():
            counts[(row["country_id"], row["network_id"])] = row["count"]
        per_group = contact_selectors.group_counts(groups)
        estimate.groups = [(group.name, per_group.get(group.pk, 0)) for group in groups if per_group.get(group.pk)]
    else:
        if campaign.source == Campaign.Source.MANUAL:
            numbers: Iterable[str] = split_numbers(campaign.manual_numbers)
        elif campaign.source == Campaign.Source.FILE and campaign.file:
            numbers = (row.get("phone", "") for row in _file_rows(campaign))
        else:
            numbers = []
        for number in _resolve_numbers(numbers, campaign.default_country, estimate).values():
            key = (number.country.pk, number.network.pk if number.network else None)
            counts[key] = counts.get(key, 0) + 1
    estimate.recipients = sum(counts.values())
    if not counts:
        return estimate
    countries = Country.objects.in_bulk({key[0] for key in counts if key[0]})
    networks = Network.objects.in_bulk({key[1] for key in counts if key[1]})
    first = campaign.steps[0] if campaign.steps else {}
    channel = first.get("channel", Channel.SMS)
    text = shortened(first.get("text", ""), campaign.short_link)
    estimate.parts = estimate_parts(channel, text) if channel == Channel.SMS else 1
    purpose = first.get("purpose", "")
    if channel == Channel.VIBER:
        purpose = Purpose.PROMOTION if first.get("image_url") or first.get("button_url") else purpose or "transaction"
    elif channel == Channel.WHATSAPP:
        purpose = purpose or Purpose.MARKETING
        template = MessageTemplate.objects.filter(pk=first.get("template_id") or 0).first()
        if template:
            purpose = template.purpose or purpose
    product = billing_product(channel, purpose)
    for (country_id, network_id), count in sorted(counts.items(), key=lambda item: -item[1]):
        country = countries.get(country_id)
        network = networks.get(network_id) if network_id else None
        mccmnc = network.mccmnc if network else (country.mcc if country else "")
        estimate.destinations.append(
            Destination(country.name if country else "?", network.name if network else _("All networks"), mccmnc, count)
        )
        try:
            price = quote(partner=campaign.partner, channel=product, mccmnc=mccmnc, parts=estimate.parts)
        except (ChargeRejected, ValueError):
            estimate.uncovered += count
            continue
        if price.from_pack:
            estimate.from_packs += count
        else:
            estimate.from_plan += count
            estimate.cost += price.amount * count
    return estimate


def _check_recipients(campaign: Campaign, estimate: Estimate) -> None:
    if campaign.source not in Campaign.Source.values:
        raise ValidationError(_("Choose the recipients of the campaign."), code="no_recipients")
    if estimate.recipients == 0:
        raise ValidationError(_("The campaign has no recipients."), code="no_recipients")
    if estimate.uncovered == estimate.recipients:
        raise ValidationError(
            _("No pack or rate plan covers the destinations of this campaign: buy a pack or choose a rate plan."),
            code="no_tariff",
        )
    available = campaign.partner.balance + campaign.partner.credit_limit
    if estimate.cost > 0 and estimate.cost > available:
        raise ValidationError(
            _("The estimated cost %(cost)s is more than your balance allows (%(available)s): top up first.")
            % {"cost": f"{estimate.cost:.2f}", "available": f"{available:.2f}"},
            code="insufficient_funds",
        )


# Launch, premoderation and controls --------------------------------------------------------------------------------


def _notify(campaign: Campaign) -> None:
    if not campaign.notify_list:
        return
    from campaigns.tasks import notify_status

    campaign_id, status = campaign.pk, campaign.status
    transaction.on_commit(lambda: notify_status.delay(campaign_id, status))


def _move(campaign: Campaign, old: Iterable[str], new: str, **changes: Any) -> bool:
    now = timezone.now()
    updated = Campaign.objects.filter(pk=campaign.pk, status__in=list(old)).update(
        status=new, updated_at=now, **changes
    )
    if updated:
        campaign.refresh_from_db()
        _notify(campaign)
    return bool(updated)


def _start(campaign: Campaign, old: Iterable[str]) -> bool:
    """Move to IN_PROGRESS and expand the recipients after commit."""
    if not _move(campaign, old, Campaign.Status.IN_PROGRESS, started_at=timezone.now()):
        return False
    from campaigns.tasks import expand_recipients

    campaign_id = campaign.pk
    transaction.on_commit(lambda: expand_recipients.delay(campaign_id))
    return True


def _go(campaign: Campaign, old: Iterable[str]) -> None:
    """Scheduled when its time is ahead, otherwise started now."""
    if campaign.send_at and campaign.send_at > timezone.now():
        _move(campaign, old, Campaign.Status.SCHEDULED)
    else:
        _start(campaign, old)


@transaction.atomic
def campaign_launch(*, campaign: Campaign, by: User | None) -> Campaign:
    """Validate a draft and send it on: WAITING (premoderation), SCHEDULED or IN_PROGRESS."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _editable(campaign)
    if campaign.send_at and campaign.send_at < timezone.now() - timedelta(minutes=1):
        raise ValidationError({"send_at": _("The scheduled time is in the past.")}, code="past")
    campaign_contents(campaign)
    link = campaign.short_link
    if link is not None and not ShortDomain.objects.usable_by(campaign.partner).filter(pk=link.domain_id).exists():
        raise ValidationError(
            _("The short domain %(domain)s is no longer available: choose another one on Setup.")
            % {"domain": link.domain.name},
            code="short_domain",
        )
    _check_recipients(campaign, campaign_estimate(campaign))
    if campaign.partner.premoderate_campaigns:
        approval = approvals.approval_open(
            partner=campaign.partner,
            by=by,
            kind=CAMPAIGN_KIND,
            title=_("Campaign “%(name)s”") % {"name": campaign.name},
            route=ApprovalRequest.Route.PARENT,
        )
        _move(
            campaign,
            [Campaign.Status.DRAFT],
            Campaign.Status.WAITING,
            moderation=Moderation.PENDING,
            approval=approval,
            decline_reason="",
        )
        return campaign
    _go(campaign, [Campaign.Status.DRAFT])
    return campaign


class CampaignApprovalHandler:
    def on_forwarded(self, approval: ApprovalRequest, *, by: User) -> None:
        return None

    def on_approved(self, approval: ApprovalRequest, *, by: User, payload: dict[str, Any]) -> None:
        for campaign in Campaign.objects.filter(approval=approval, status=Campaign.Status.WAITING):
            Campaign.objects.filter(pk=campaign.pk).update(moderation=Moderation.APPROVED)
            campaign.moderation = Moderation.APPROVED
            _go(campaign, [Campaign.Status.WAITING])

    def on_declined(self, approval: ApprovalRequest, *, by: User) -> None:
        for campaign in Campaign.objects.filter(approval=approval, status=Campaign.Status.WAITING):
            _move(
                campaign,
                [Campaign.Status.WAITING],
                Campaign.Status.CANCELED,
                moderation=Moderation.DECLINED,
                decline_reason=approval.reason,
                finished_at=timezone.now(),
            )

    def on_canceled(self, approval: ApprovalRequest, *, by: User) -> None:
        return None


def _refuse(action: str) -> ValidationError:
    """Why ``action`` is not possible now: one whole sentence per action, so that translators see it whole."""
    sentences = {
        "pause": _("Only a campaign in progress can be paused."),
        "resume": _("Only a paused campaign can be resumed."),
        "cancel": _("Only a waiting, scheduled or paused campaign can be canceled."),
        "start": _("Only a scheduled campaign can be started now."),
        "delete": _("A campaign in progress cannot be deleted; pause it first."),
    }
    return ValidationError(sentences[action], code=f"cannot_{action}")


@transaction.atomic
def campaign_pause(*, campaign: Campaign, by: User | None) -> Campaign:
    if not _move(campaign, [Campaign.Status.IN_PROGRESS], Campaign.Status.PAUSED):
        raise _refuse("pause")
    messaging.campaign_pause(campaign_id=campaign.pk, partner=campaign.partner)
    return campaign


@transaction.atomic
def campaign_resume(*, campaign: Campaign, by: User | None) -> Campaign:
    if not _start(campaign, [Campaign.Status.PAUSED]):
        raise _refuse("resume")
    messaging.campaign_resume(campaign_id=campaign.pk, partner=campaign.partner)
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, by: User | None) -> Campaign:
    old = [Campaign.Status.PAUSED, Campaign.Status.SCHEDULED, Campaign.Status.WAITING]
    approval_id = campaign.approval_id if campaign.status == Campaign.Status.WAITING else None
    if not _move(campaign, old, Campaign.Status.CANCELED, finished_at=timezone.now()):
        raise _refuse("cancel")
    if approval_id:
        ApprovalRequest.objects.filter(pk=approval_id, status=ApprovalRequest.Status.PENDING).update(
            status=ApprovalRequest.Status.CANCELED, current_partner=None, decided_at=timezone.now()
        )
    messaging.campaign_cancel(campaign_id=campaign.pk, partner=campaign.partner)
    return campaign


@transaction.atomic
def campaign_start_now(*, campaign: Campaign, by: User | None) -> Campaign:
    """Start a scheduled campaign at once (the Start action)."""
    if not _start(campaign, [Campaign.Status.SCHEDULED]):
        raise _refuse("start")
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: Campaign, by: User | None) -> None:
    """Hide the campaign (its messages keep their rows); a running campaign is paused or canceled first."""
    if campaign.status == Campaign.Status.IN_PROGRESS:
        raise _refuse("delete")
    if campaign.status in (Campaign.Status.WAITING, Campaign.Status.SCHEDULED, Campaign.Status.PAUSED):
        campaign_cancel(campaign=campaign, by=by)
    Campaign.objects.filter(pk=campaign.pk).update(is_deleted=True, updated_at=timezone.now())


def campaigns_start_due(*, now: datetime | None = None) -> int:
    """Start every scheduled campaign whose time has come (the periodic sweeper)."""
    now = now or timezone.now()
    started = 0
    for campaign in Campaign.objects.filter(status=Campaign.Status.SCHEDULED, send_at__lte=now, is_deleted=False):
        with transaction.atomic():
            started += _start(campaign, [Campaign.Status.SCHEDULED])
    return started


def campaigns_check_completed() -> int:
    """Complete the running campaigns whose every message is final (or past its wait limit)."""
    done = 0
    running = Campaign.objects.filter(status=Campaign.Status.IN_PROGRESS, expanded=True)
    for campaign in running.select_related("partner"):
        counters = messaging_counters(campaign)
        if counters["pending"] == 0:
            with transaction.atomic():
                done += _move(campaign, [Campaign.Status.IN_PROGRESS], Campaign.Status.COMPLETED,
                              finished_at=timezone.now())  # fmt: skip
    return done


def campaigns_stalled(*, now: datetime | None = None, after_seconds: int = 120) -> list[int]:
    """Running campaigns whose expansion has not moved for a while (a lost task): to be expanded again."""
    now = now or timezone.now()
    return list(
        Campaign.objects.filter(
            status=Campaign.Status.IN_PROGRESS,
            expanded=False,
            updated_at__lt=now - timedelta(seconds=after_seconds),
        ).values_list("pk", flat=True)
    )


def messaging_counters(campaign: Campaign) -> dict[str, int]:
    from messaging.selectors import campaign_counters

    counters = campaign_counters(campaign_id=campaign.pk, partner=campaign.partner)
    counters["pending"] = sum(counters[f"{name}_messages"] for name in ("prepared", "billed", "sent"))
    return counters

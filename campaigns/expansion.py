"""Recipient expansion of a running campaign (DESIGN.md §6): the recipients stream in chunks into the messaging engine.

Each chunk is one transaction: the campaign row is locked, the next recipients after ``expand_cursor`` are read,
resolved, de-duplicated, checked against the stop list per sender ID, personalized and enqueued, and the cursor and
counters move with the messages, so a crash repeats at most the chunk that was not committed.
"""

from __future__ import annotations

import gc
import re
import time
from collections.abc import Generator, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from itertools import islice

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Country, Network
from billing.services.reference import ResolvedNumber, resolve_number
from campaigns.models import Campaign
from campaigns.services import ALIASES, MissingValue, campaign_contents, render, split_numbers
from campaigns.services.files import _file_rows
from campaigns.services.lifecycle import _move
from contacts import selectors as contact_selectors
from contacts.models import StopEntry
from messaging import services as messaging
from messaging.models import Message
from senders.models import SenderID
from tenancy.models import Channel

CHUNK = 10_000  # recipients per transaction: bigger chunks pay fewer commits, the rows stay a few MB
VARIABLE = re.compile(r"\{([A-Za-z0-9_]+)")  # the name at the start of any placeholder, whatever follows it
NO_BLOCK: frozenset[str] = frozenset()


@dataclass(slots=True)
class _Target:
    phone: str
    variables: dict[str, str]
    text: str = ""  # campaign from file: the row's own text
    country_id: int | None = None  # contacts carry their resolved destination
    network_id: int | None = None


def _variables(contents: list[messaging.ChannelContent]) -> set[str]:
    """The variables the campaign's texts use, under each of their names; empty when the texts have none."""
    names: set[str] = set()
    for content in contents:
        for text in (content.text, *content.template_params):
            for name in VARIABLE.findall(text):
                names.update((name.lower(), ALIASES.get(name.lower(), name.lower())))
    return names


class _FileFeed:
    """The rows of a campaign's file for the chunks of one ``campaign_expand`` call: the file is opened and read up
    to the cursor once, and each chunk goes on from where the one before it stopped.

    The cursor in the database stays the durable position; when it is not where the feed stands (another worker moved
    it), the feed catches up or opens the file again.
    """

    def __init__(self) -> None:
        self._rows: Generator[dict[str, str], None, None] | None = None
        self._position = 0

    def take(self, campaign: Campaign, cursor: int, count: int) -> list[dict[str, str]]:
        """The ``count`` rows after the first ``cursor`` rows of the file."""
        if self._rows is None or cursor < self._position:
            self.close()
            self._rows = _file_rows(campaign)
            self._position = 0
        if cursor > self._position:
            next(islice(self._rows, cursor - self._position, cursor - self._position), None)  # skip the rows done
        rows = list(islice(self._rows, count))
        self._position = cursor + len(rows)
        return rows

    def close(self) -> None:
        if self._rows is not None:
            self._rows.close()
            self._rows = None


def _chunk(campaign: Campaign, variables: set[str], feed: _FileFeed) -> tuple[list[_Target], int]:
    """The next recipients after the cursor, and the cursor after them."""
    cursor = campaign.expand_cursor
    if campaign.source == Campaign.Source.GROUPS:
        chunks = contact_selectors.group_recipients(
            partner=campaign.partner,
            groups=list(campaign.groups.all()),
            sender=None,
            chunk_size=CHUNK,
            after_contact_id=cursor,
            variables=variables,
        )
        chunk = next(chunks, [])
        if "firstname" in variables:
            for item in chunk:
                item.variables["first_name"] = item.variables.get("firstname", "")
        targets = [
            _Target(item.phone, item.variables, country_id=item.country_id, network_id=item.network_id)
            for item in chunk
        ]
        return targets, (chunk[-1].contact_id if chunk else cursor)
    if campaign.source == Campaign.Source.MANUAL:
        numbers = split_numbers(campaign.manual_numbers)[cursor : cursor + CHUNK]
        return [_Target(number, {"phone": number}) for number in numbers], cursor + len(numbers)
    rows = feed.take(campaign, cursor, CHUNK) if campaign.file else []
    targets = [_Target(row.get("phone", ""), row, row.get("text", "")) for row in rows]
    return targets, cursor + len(targets)


def _resolve(targets: list[_Target], default_country: Country | None) -> list[ResolvedNumber | None]:
    """Each target's destination: contacts reuse the country and network resolved when they were saved."""
    countries = Country.objects.in_bulk({t.country_id for t in targets if t.country_id})
    networks = Network.objects.in_bulk({t.network_id for t in targets if t.network_id})
    result: list[ResolvedNumber | None] = []
    for target in targets:
        country = countries.get(target.country_id) if target.country_id else None
        if country is not None and target.phone.isdigit():
            network = networks.get(target.network_id) if target.network_id else None
            result.append(ResolvedNumber(target.phone, country, network))
            continue
        try:  # the process's copy of the book, not a fresh one per chunk
            result.append(resolve_number(target.phone, default_country))
        except ValidationError:
            result.append(None)
    return result


def _senders(campaign: Campaign, contents: list[messaging.ChannelContent]) -> dict[str, SenderID | None]:
    return {
        content.channel: SenderID.objects.active()
        .for_partner(campaign.partner)
        .filter(channel=content.channel, value__iexact=content.sender)
        .first()
        for content in contents
    }


def _render(text: str, variables: dict[str, str], mode: str) -> str:
    return render(text, variables, mode) if "{" in text else text


def _personal(
    steps: tuple[messaging.ChannelContent, ...], target: _Target, mode: str
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each step's text and template parameters for this recipient; MissingValue when one cannot be filled."""
    personal = tuple(
        (
            _render(target.text or step.text, target.variables, mode),
            tuple(_render(param, target.variables, mode) for param in step.template_params),
        )
        for step in steps
    )
    for step, (text, _params) in zip(steps, personal, strict=True):
        if step.channel != Channel.WHATSAPP and not text.strip():
            raise MissingValue(step.channel)  # nothing left of the text once its variables are stripped
    return personal


@contextmanager
def _without_gc() -> Iterator[None]:
    """Suspend the cyclic garbage collector: a chunk allocates hundreds of thousands of short-lived, acyclic
    objects (freed by reference counting), and each collection they trigger would scan the worker's whole heap —
    half of the chunk's CPU time. Collections resume after the chunk."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def campaign_expand_chunk(*, campaign_id: int) -> bool:
    """Write the messages of the next chunk of recipients; False when there is nothing more to do."""
    with closing(_FileFeed()) as feed:
        return _expand_chunk(campaign_id, feed)


def _expand_chunk(campaign_id: int, feed: _FileFeed) -> bool:
    """``campaign_expand_chunk`` with a file's rows read on from the chunk before."""
    with _without_gc(), transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update(of=("self",))
            .select_related("partner", "default_country")
            .get(pk=campaign_id)
        )
        if campaign.status != Campaign.Status.IN_PROGRESS or campaign.expanded:
            return False
        try:
            contents = campaign_contents(campaign)
        except ValidationError as error:
            _move(campaign, [Campaign.Status.IN_PROGRESS], Campaign.Status.FAILED, error=error.messages[0][:255],
                  expanded=True, finished_at=timezone.now())  # fmt: skip
            return False
        variables = _variables(contents)
        targets, cursor = _chunk(campaign, variables, feed)
        if not targets:
            Campaign.objects.filter(pk=campaign.pk).update(expanded=True, updated_at=timezone.now())
            if campaign.messages_written == 0:
                _move(campaign, [Campaign.Status.IN_PROGRESS], Campaign.Status.FAILED,
                      error=_("No recipient could be sent a message.")[:255], finished_at=timezone.now())  # fmt: skip
            return False
        resolved: list[tuple[_Target, ResolvedNumber]] = []
        invalid = duplicates = stopped = missing = 0
        seen: set[str] = set()
        for target, number in zip(targets, _resolve(targets, campaign.default_country), strict=True):
            if number is None:
                invalid += 1
                continue
            if number.e164 in seen:
                duplicates += 1
                continue
            seen.add(number.e164)
            resolved.append((target, number))
        if campaign.source != Campaign.Source.GROUPS:
            earlier = set(
                Message.objects.filter(
                    campaign_id=campaign.pk, step=0, recipient__in=[number.e164 for _target, number in resolved]
                ).values_list("recipient", flat=True)
            )
            duplicates += sum(1 for _target, number in resolved if number.e164 in earlier)
            resolved = [(target, number) for target, number in resolved if number.e164 not in earlier]
        blocked: dict[str, set[str]] = {}
        if StopEntry.objects.for_partner(campaign.partner).exists():
            blocked = {
                channel: contact_selectors.stop_listed_phones(
                    partner=campaign.partner, sender=sender, phones=[number.e164 for _target, number in resolved]
                )
                for channel, sender in _senders(campaign, contents).items()
            }
        # Every recipient with the same stop-listed channels shares one tuple of steps (the engine checks each tuple
        # once); personalized texts travel beside it.
        shared: dict[frozenset[str], tuple[messaging.ChannelContent, ...]] = {}
        mode = campaign.placeholders
        outgoing = []
        for target, number in resolved:
            skip = (
                frozenset(channel for channel, phones in blocked.items() if number.e164 in phones)
                if blocked
                else NO_BLOCK
            )
            steps = shared.get(skip)
            if steps is None:
                kept = [content for content in contents if content.channel not in skip]
                if kept and kept[-1].ttl is not None:
                    kept[-1] = replace(kept[-1], ttl=None)
                steps = shared[skip] = tuple(kept)
            if not steps:
                stopped += 1
                continue
            personal = None
            if variables or target.text:
                try:
                    personal = _personal(steps, target, mode)
                except MissingValue:
                    missing += 1
                    continue
            outgoing.append(
                messaging.OutgoingMessage(recipient=number.e164, steps=steps, resolved=number, personal=personal)
            )
        results = messaging.enqueue_messages(
            partner=campaign.partner,
            messages=outgoing,
            campaign_id=campaign.pk,
            label=campaign.name[:100],
            accept_mo=campaign.accept_mo,
        )
        written = sum(1 for result in results if isinstance(result, messaging.Enqueued))
        Campaign.objects.filter(pk=campaign.pk).update(
            expand_cursor=cursor,
            messages_written=campaign.messages_written + written,
            recipients_total=campaign.recipients_total + len(targets),
            skipped_invalid=campaign.skipped_invalid + invalid + (len(results) - written),
            skipped_duplicates=campaign.skipped_duplicates + duplicates,
            skipped_stop_list=campaign.skipped_stop_list + stopped,
            skipped_placeholders=campaign.skipped_placeholders + missing,
            updated_at=timezone.now(),
        )
    return True


def campaign_expand(*, campaign_id: int, budget: float = 20.0) -> bool:
    """Expand chunk after chunk for about ``budget`` seconds; True when more remains (the task re-queues)."""
    deadline = time.monotonic() + budget
    with closing(_FileFeed()) as feed:
        while _expand_chunk(campaign_id, feed):
            if time.monotonic() > deadline:
                return True
    return False

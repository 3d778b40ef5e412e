"""An import's file as batches of parsed rows: numbers normalized with the reference book, values checked.

No database writes here (``import_writing`` writes the batches). A large file is parsed in a forked process, one
batch ahead of the writer (``parse_alongside``), which watches that process and gives up on it when it dies or
goes silent.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from collections.abc import Generator, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from itertools import islice
from multiprocessing.connection import Connection, Pipe
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from billing.services.reference import NumberResolver, normalize_number
from contacts import files
from contacts.models import ContactField, ContactImport
from contacts.values import STANDARD_COLUMNS, clean_custom_value, parse_date, parse_gender, text

logger = logging.getLogger(__name__)

# How long the writer waits for the parsing process's next batch before it gives up on that process. A batch takes
# well under a second to parse; this stays below STALE_AFTER, after which another worker would take the import over.
PARSER_SILENCE_LIMIT = 300.0
# How often a writer that waits for a batch checks that the parsing process is still there.
PARSER_CHECK_EVERY = 1.0

_TEXT_LIMITS = {"first_name": 100, "last_name": 100, "comment": 1000}
_CUSTOM_TEXT_LIMIT = 500
# How a mapped column is read (see RowParser.parse).
_STANDARD_TEXT, _BIRTH_DATE, _GENDER, _CUSTOM_TEXT, _CUSTOM = range(5)


def field_key(contact_field: ContactField) -> str:
    return f"field:{contact_field.variable}"


# One parsed row: (row number, phone, country id, network id, standard values, custom values, the custom values
# as JSON). A plain tuple: a million of them are built, and sent from the parsing process to the writing one,
# which spares itself the JSON encoding that PostgreSQL needs.
Parsed = tuple[int, str, int, int | None, dict[str, Any], dict[str, Any], str]


@dataclass
class Batch:
    """One batch after parsing: what the writer needs, and what parsing already counted."""

    size: int
    parsed: dict[str, Parsed]  # by phone; the first row of each number
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    duplicates: int = 0


class ParserStopped(Exception):
    """The process parsing the file died or went silent; the import fails with ``reason`` (for the user)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RowParser:
    """Reads the file's rows as the import's mapping says; one per import, in the process that parses."""

    def __init__(self, contact_import: ContactImport) -> None:
        self.resolver = NumberResolver()
        self.region = contact_import.default_country.iso_code if contact_import.default_country else None
        self.date_format = getattr(contact_import.created_by, "date_format", "YYYY-MM-DD")
        self.fields = {field_key(f): f for f in ContactField.objects.for_partner(contact_import.partner)}
        mapping = list(contact_import.mapping or [])
        self.phone_index = mapping.index("phone")
        self.columns = [(index, *self._reading(key)) for index, key in enumerate(mapping) if key and key != "phone"]
        self.genders: dict[str, str] = {}
        self.seen: set[int] = set()

    def _reading(self, key: str) -> tuple[int, str, ContactField | None]:
        """How a column mapped to ``key`` is read: a kind, the name its value is stored under, its custom field."""
        if key in _TEXT_LIMITS:
            return _STANDARD_TEXT, key, None
        if key == "birth_date":
            return _BIRTH_DATE, key, None
        if key == "gender":
            return _GENDER, key, None
        custom = self.fields[key]
        return (_CUSTOM_TEXT if custom.data_type == ContactField.DataType.TEXT else _CUSTOM), custom.variable, custom

    def parse(self, row_number: int, cells: list[Any]) -> Parsed:
        raw = cells[self.phone_index] if self.phone_index < len(cells) else None
        raw_phone = raw if type(raw) is str else text(raw)
        if not raw_phone:
            raise ValidationError(_("The phone number is empty."), code="no_phone")
        phone = normalize_number(raw_phone, self.region)
        country, network = self.resolver.locate(phone, raw_phone)
        values: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for index, kind, name, custom_field in self.columns:
            cell = cells[index] if index < len(cells) else None
            if cell is None or cell == "":
                continue
            if kind == _CUSTOM_TEXT and type(cell) is str:
                value = cell.strip()
                if value and len(value) <= _CUSTOM_TEXT_LIMIT:
                    custom[name] = value
                    continue
            if kind == _STANDARD_TEXT:
                value = cell.strip() if type(cell) is str else text(cell)
                if len(value) > _TEXT_LIMITS[name]:
                    raise ValidationError(
                        _("%(field)s is longer than %(max)d characters.")
                        % {"field": STANDARD_COLUMNS[name], "max": _TEXT_LIMITS[name]},
                        code="too_long",
                    )
                if value:
                    values[name] = value
            elif kind == _BIRTH_DATE:
                values[name] = parse_date(cell, self.date_format)
            elif kind == _GENDER:
                values[name] = self._gender(cell)
            else:
                cleaned = clean_custom_value(custom_field, cell, self.date_format)  # type: ignore[arg-type]
                if cleaned is not None:
                    custom[name] = cleaned
        encoded = json.dumps(custom) if custom else "{}"
        return (row_number, phone, country.pk, network.pk if network else None, values, custom, encoded)

    def _gender(self, cell: Any) -> str:
        if type(cell) is not str:
            return parse_gender(cell)
        gender = self.genders.get(cell)
        if gender is None:
            gender = parse_gender(cell)
            if len(self.genders) < 1000:  # a file spells genders a few ways
                self.genders[cell] = gender
        return gender

    def parse_batch(self, rows: list[tuple[int, list[Any]]]) -> Batch:
        """Parse rows; a number repeated within them is counted once as a duplicate (see ``take``)."""
        batch = Batch(size=len(rows), parsed={})
        parsed = batch.parsed
        for row_number, cells in rows:
            if not any(cells) and not any(cell is not None and cell != "" for cell in cells):
                continue  # a blank line
            try:
                item = self.parse(row_number, cells)
            except ValidationError as error:
                phone = cells[self.phone_index] if self.phone_index < len(cells) else ""
                batch.errors.append((row_number, text(phone), " ".join(error.messages)))
                continue
            if item[1] in parsed:
                batch.duplicates += 1  # the number appears earlier in the batch
                continue
            parsed[item[1]] = item
        return batch

    def take(self, batch: Batch) -> Batch:
        """The batch without the numbers that earlier batches of the file had (each counted as a duplicate)."""
        seen = self.seen
        repeated = [phone for phone in batch.parsed if int(phone) in seen]
        for phone in repeated:
            del batch.parsed[phone]
        batch.duplicates += len(repeated)
        seen.update(int(phone) for phone in batch.parsed)
        return batch


def data_rows(contact_import: ContactImport, reader: Iterator[list[Any]]) -> Iterator[tuple[int, list[Any]]]:
    """(row number in the file, cells) of every data row; blank rows keep their number."""
    if contact_import.has_header:
        next(reader, None)
    yield from enumerate(reader, start=2 if contact_import.has_header else 1)


def parse(parser: RowParser, contact_import: ContactImport, done: int, batch_rows: int) -> Generator[Batch, None, None]:
    """The file's batches after the first ``done`` rows, parsed (not yet checked against earlier batches)."""
    with files.open_rows(contact_import) as reader:
        rows = data_rows(contact_import, reader)
        if done:
            next(islice(rows, done, done), None)  # resume after the batches already committed
        for chunk in iter(lambda: list(islice(rows, batch_rows)), []):
            yield parser.parse_batch(chunk)


def parse_alongside(
    parser: RowParser, contact_import: ContactImport, done: int, batch_rows: int
) -> Generator[Batch, None, None]:
    """``parse`` in a forked process, one batch ahead of the caller, which writes meanwhile.

    The child reads the file itself and sends parsed batches through a pipe; it never touches the
    database connection it inherited (it leaves with ``os._exit``, which closes nothing on the server's
    side). When it cannot be forked the batches are parsed here. A write that fails closes the pipe,
    which ends the child at its next batch; it is killed and reaped all the same. A child that dies, or sends
    nothing for ``PARSER_SILENCE_LIMIT`` seconds, fails the import (``ParserStopped``).
    """
    receiver, sender = Pipe(duplex=False)
    try:
        pid = os.fork()
    except OSError:
        logger.warning("contact import %s: no process to parse in, parsing inline", contact_import.pk, exc_info=True)
        receiver.close()
        sender.close()
        yield from parse(parser, contact_import, done, batch_rows)
        return
    if pid == 0:  # the child
        status = 0
        try:
            receiver.close()
            for batch in parse(parser, contact_import, done, batch_rows):
                sender.send(batch)
            sender.send(None)
        except BrokenPipeError:
            status = 1  # the writer stopped
        except BaseException as error:  # the writer raises it, as if it had parsed the batch itself
            status = 1
            try:
                sender.send(error)
            except Exception:  # an exception that does not pickle
                sender.send(RuntimeError(f"{type(error).__name__}: {error}"))
        finally:
            os._exit(status)
    sender.close()
    logger.info("contact import %s: parsing in process %s", contact_import.pk, pid)
    child = ParserProcess(pid, contact_import.pk)
    finished = False
    try:
        while (item := child.receive(receiver)) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
        finished = True
    finally:
        receiver.close()
        child.end(kill=not finished)


class ParserProcess:
    """The writer's view of the forked parsing process: its batches, whether it is still there, and its end."""

    def __init__(self, pid: int, job_pk: int) -> None:
        self.pid = pid
        self.job_pk = job_pk
        self.reaped = False
        self.status: int | None = None  # its wait status, once reaped here

    def receive(self, receiver: Connection) -> Batch | BaseException | None:
        """The next item it sent; raises ``ParserStopped`` if it died, or sent nothing for too long."""
        # Only a batch that is not ready yet costs more than this first poll.
        if not receiver.poll(0):
            deadline = time.monotonic() + PARSER_SILENCE_LIMIT
            while not receiver.poll(max(min(PARSER_CHECK_EVERY, deadline - time.monotonic()), 0)):
                # A dead process's end of the pipe closes with it (poll sees the end of the file), unless another
                # process holds a copy of it; its exit status says it all the same.
                if self.exited() and not receiver.poll(0):
                    raise self._died()
                if time.monotonic() >= deadline:
                    logger.error(
                        "contact import %s: the parsing process %s sent nothing for %ss; stopping it",
                        self.job_pk,
                        self.pid,
                        PARSER_SILENCE_LIMIT,
                    )
                    raise ParserStopped(
                        _(
                            "The import stopped because reading the file made no progress. "
                            "The rows before that point were imported; please try again."
                        )
                    )
        try:
            item: Batch | BaseException | None = receiver.recv()
        except (EOFError, OSError) as error:  # the pipe closed, at a message's start or within it
            raise self._died() from error
        return item

    def exited(self) -> bool:
        """Whether it has ended (and then it is reaped)."""
        if not self.reaped:
            self._wait(os.WNOHANG)
        return self.reaped

    def end(self, *, kill: bool) -> None:
        """Reap it, killed first unless it finished (it never outlives the import, nor stays a zombie)."""
        if self.reaped:
            return  # its pid may be another process's by now: never signal it
        if kill:
            with suppress(ProcessLookupError):  # gone unseen (see _wait)
                os.kill(self.pid, signal.SIGKILL)
        self._wait(0)

    def _wait(self, options: int) -> None:
        try:
            pid, status = os.waitpid(self.pid, options)
        except ChildProcessError:  # reaped already, by a SIGCHLD handler that ignores children
            self.reaped = True
            return
        if pid:
            self.reaped, self.status = True, status

    def _died(self) -> ParserStopped:
        how = "the pipe closed"
        if self.exited() and self.status is not None:
            how = f"exit status {os.waitstatus_to_exitcode(self.status)}"
        logger.error("contact import %s: the parsing process %s ended unexpectedly (%s)", self.job_pk, self.pid, how)
        return ParserStopped(
            _(
                "The import stopped because the process reading the file ended unexpectedly. "
                "The rows before that point were imported; please try again."
            )
        )

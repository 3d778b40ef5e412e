"""The contact import that the ``import_contacts`` task runs: a stored file into contacts, in batches.

The file is read as a stream and cut into batches of a few thousand rows. Each batch is parsed (numbers
normalized with the reference book, values checked) and then written in one transaction that also
advances the import's counters, so a task that runs again after its worker died continues after the
last finished batch instead of starting over. Parsing is Python work and writing mostly is too, so a
large file is parsed in a forked process while this one writes the batch before.

This module runs the import; ``import_parsing`` turns the file into batches and ``import_writing`` writes them.
"""

from __future__ import annotations

import logging
import os
from contextlib import closing
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts import files
from contacts.models import ContactImport
from contacts.services.import_parsing import Batch, ParserStopped, RowParser, field_key, parse, parse_alongside
from contacts.services.import_writing import BatchWriter

__all__ = ["BATCH_ROWS", "FORK_FROM_ROWS", "STALE_AFTER", "field_key", "run_import"]

logger = logging.getLogger(__name__)

BATCH_ROWS = 5000
# Below this many rows a second process costs more than it saves.
FORK_FROM_ROWS = 2 * BATCH_ROWS
STALE_AFTER = timedelta(minutes=10)


class _Lost(Exception):
    """The import is no longer ours (another worker took it over); stop without writing."""


# Running -----------------------------------------------------------------------------------------------------------


def _claim(contact_import: ContactImport) -> bool:
    """Take the import for this worker: a queued one, or one whose worker stopped reporting (it died)."""
    now = timezone.now()
    stale = Q(status=ContactImport.Status.PROCESSING, heartbeat_at__lt=now - STALE_AFTER)
    return bool(
        ContactImport.objects.filter(pk=contact_import.pk)
        .filter(Q(status=ContactImport.Status.QUEUED) | stale)
        .update(status=ContactImport.Status.PROCESSING, started_at=Coalesce("started_at", now), heartbeat_at=now)
    )


def _fail(contact_import: ContactImport, reason: str) -> None:
    ContactImport.objects.filter(pk=contact_import.pk, status=ContactImport.Status.PROCESSING).update(
        status=ContactImport.Status.FAILED, failure_reason=reason[:500], finished_at=timezone.now()
    )


def run_import(contact_import: ContactImport, batch_rows: int = BATCH_ROWS) -> ContactImport:
    if not _claim(contact_import):
        contact_import.refresh_from_db()
        return contact_import
    contact_import.refresh_from_db()
    try:
        _run(contact_import, batch_rows)
    except _Lost:
        logger.warning("contact import %s was taken over by another worker", contact_import.pk)
    except ParserStopped as stopped:
        _fail(contact_import, stopped.reason)
    except (ValidationError, UnicodeError, ValueError, KeyError) as error:
        reason = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        _fail(contact_import, _("The file could not be read: %(error)s") % {"error": reason})
    except Exception:
        logger.exception("contact import %s failed", contact_import.pk)
        _fail(contact_import, _("The import stopped because of an internal error; please try again."))
        raise
    contact_import.refresh_from_db()
    return contact_import


def _commit(writer: BatchWriter, batch: Batch, job_pk: int, done: int) -> int:
    """Write one batch and advance the counters in the same transaction; the rows processed so far."""
    with transaction.atomic():
        outcome = writer.write(batch)
        advanced = ContactImport.objects.filter(
            pk=job_pk, status=ContactImport.Status.PROCESSING, processed_rows=done
        ).update(
            processed_rows=F("processed_rows") + batch.size,
            created_count=F("created_count") + outcome.created,
            updated_count=F("updated_count") + outcome.updated,
            skipped_count=F("skipped_count") + outcome.skipped,
            invalid_count=F("invalid_count") + outcome.invalid,
            heartbeat_at=timezone.now(),
        )
        if not advanced:
            raise _Lost
    return done + batch.size


def _run(contact_import: ContactImport, batch_rows: int) -> None:
    if not contact_import.total_rows:
        total = max(files.count_rows(contact_import) - (1 if contact_import.has_header else 0), 0)
        ContactImport.objects.filter(pk=contact_import.pk).update(total_rows=total)
        contact_import.total_rows = total
    parser = RowParser(contact_import)
    writer = BatchWriter(contact_import, [f for f in parser.fields.values() if f.required])
    done = contact_import.processed_rows
    left = contact_import.total_rows - done
    # A caller's own transaction (tests run in one) keeps everything in this process.
    alongside = left >= FORK_FROM_ROWS and not connection.in_atomic_block and hasattr(os, "fork")
    batches_of = parse_alongside if alongside else parse
    with closing(batches_of(parser, contact_import, done, batch_rows)) as batches:  # a failed write ends the parsing
        for batch in batches:
            done = _commit(writer, parser.take(batch), contact_import.pk, done)
    _finish(contact_import)


def _finish(contact_import: ContactImport) -> None:
    with transaction.atomic():
        job = ContactImport.objects.select_for_update().get(pk=contact_import.pk)
        if job.status != ContactImport.Status.PROCESSING:
            return
        if job.invalid_count:
            rows = ((error.row, error.phone, error.reason) for error in job.errors.order_by("row", "pk").iterator(2000))
            handle = files.write_csv([str(_("Row")), str(_("Phone")), str(_("Reason"))], rows)
            try:
                stem = job.file_name.rsplit(".", 1)[0][:80] or "import"
                job.error_file.save(f"{stem}-errors.csv", File(handle), save=False)
            finally:
                handle.close()
        job.status = ContactImport.Status.COMPLETED
        job.total_rows = job.processed_rows
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "total_rows", "finished_at", "error_file"])

"""Set-based writes the ORM has no single statement for: many rows, each with its own values.

The callers lock the rows first (``SELECT … FOR UPDATE`` in the same transaction; SQLite's
IMMEDIATE transactions hold the database lock), decide each row's change in Python, and write
them here in one statement (PostgreSQL: ``UPDATE … FROM (VALUES …)``) or one ``executemany``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models

CHUNK = 1000


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    if isinstance(field, models.DateTimeField | models.DecimalField | models.JSONField | models.UUIDField):

        def convert(value: Any) -> Any:
            return None if value is None else field.get_db_prep_save(value, connection)

        return convert
    return None


def _pg_type(field: models.Field[Any, Any]) -> str:
    if isinstance(field, models.ForeignKey):
        return str(field.target_field.db_type(connection))
    db_type = field.db_type(connection) or "text"
    if db_type.endswith("serial"):
        return "bigint" if db_type == "bigserial" else "integer"
    return db_type.split(" ")[0] if "(" not in db_type else db_type


def bulk_update_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """``rows`` are ``(pk, value of columns[0], value of columns[1], …)``; returns the rows written."""
    if not rows:
        return 0
    meta = model._meta
    fields = [meta.get_field(name) for name in columns]
    converters = [_converter(field) for field in fields]  # type: ignore[arg-type]
    if any(converters):
        rows = [
            (row[0], *[conv(value) if conv else value for conv, value in zip(converters, row[1:], strict=True)])
            for row in rows
        ]
    table = connection.ops.quote_name(meta.db_table)
    pk = connection.ops.quote_name(str(meta.pk.column))  # type: ignore[union-attr]
    db_columns = [connection.ops.quote_name(str(field.column)) for field in fields]  # type: ignore[union-attr]
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            casts = [_pg_type(meta.pk)] + [_pg_type(field) for field in fields]  # type: ignore[arg-type]
            row_sql = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
            names = ", ".join(["_pk", *[f"_c{i}" for i in range(len(fields))]])
            assignments = ", ".join(f"{column} = v._c{i}" for i, column in enumerate(db_columns))
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start : start + CHUNK]
                sql = (
                    f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row_sql] * len(chunk))})"  # noqa: S608
                    f" AS v({names}) WHERE {table}.{pk} = v._pk"
                )
                cursor.execute(sql, [value for row in chunk for value in row])
                written += cursor.rowcount
        else:
            assignments = ", ".join(f"{column} = %s" for column in db_columns)
            sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
            cursor.executemany(sql, [(*row[1:], row[0]) for row in rows])
            written = len(rows)
    return written

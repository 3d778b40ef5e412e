"""Set-based reads and writes the ORM has no fast single statement for: many rows, each with its own values.

The callers lock the rows first (``SELECT … FOR UPDATE`` in the same transaction; SQLite's
IMMEDIATE transactions hold the database lock), decide each row's change in Python, and write
them here in one statement. On PostgreSQL the values travel as one array per column
(``UPDATE … FROM unnest(…)`` / ``INSERT … SELECT … FROM unnest(…)``) with server-side binding, so the
statement text stays short whatever the batch size; SQLite uses ``executemany`` or a multi-row insert.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models

SQLITE_INSERT_ROWS = 200


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    return model._meta.get_field(name)  # type: ignore[return-value]


def _pg_array_type(field: models.Field[Any, Any]) -> str:
    if isinstance(field, models.ForeignKey):
        return _pg_array_type(field.target_field)
    if isinstance(field, models.JSONField):
        return "text"  # sent as JSON text, cast to jsonb in the statement
    if isinstance(field, models.BigAutoField | models.BigIntegerField):
        return "bigint"
    if isinstance(field, models.AutoField | models.IntegerField | models.PositiveSmallIntegerField):
        return "integer"
    db_type = str(field.db_type(connection) or "text")
    return db_type.split("(")[0]


def _pg_value(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    if isinstance(field, models.JSONField):
        return lambda value: None if value is None else json.dumps(value)
    return None


def _sqlite_value(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    if isinstance(field, models.DateTimeField | models.DecimalField | models.JSONField | models.UUIDField):
        return lambda value: None if value is None else field.get_db_prep_save(value, connection)
    return None


def _pg_cursor() -> Any:
    """A server-side-binding cursor on Django's connection (same transaction)."""
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def _columns(
    values: Sequence[Sequence[Any]], width: int, converters: list[Callable[[Any], Any] | None]
) -> list[list[Any]]:
    columns: list[list[Any]] = [list(column) for column in zip(*values, strict=True)] if values else [[]] * width
    for index, convert in enumerate(converters):
        if convert is not None:
            columns[index] = [convert(value) for value in columns[index]]
    return columns


def bulk_update_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """``rows`` are ``(pk, value of columns[0], value of columns[1], …)``; returns the rows written."""
    if not rows:
        return 0
    meta = model._meta
    pk_field: models.Field[Any, Any] = meta.pk  # type: ignore[assignment]
    fields = [pk_field, *(_field(model, name) for name in columns)]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    if connection.vendor == "postgresql":
        arrays = _columns(rows, len(fields), [_pg_value(field) for field in fields])
        names = [f"_c{index}" for index in range(len(fields))]
        sources = ", ".join(f"%b::{_pg_array_type(field)}[]" for field in fields)
        assignments = ", ".join(
            f"{quote(str(field.column))} = v.{name}" + ("::jsonb" if isinstance(field, models.JSONField) else "")
            for field, name in zip(fields[1:], names[1:], strict=True)
        )
        sql = (
            f"UPDATE {table} SET {assignments} FROM unnest({sources}) AS v({', '.join(names)})"  # noqa: S608
            f" WHERE {table}.{quote(str(pk_field.column))} = v._c0"
        )
        with _pg_cursor() as cursor:
            cursor.execute(sql, arrays)
            return int(cursor.rowcount)
    converters = [_sqlite_value(field) for field in fields[1:]]
    assignments = ", ".join(f"{quote(str(field.column))} = %s" for field in fields[1:])
    sql = f"UPDATE {table} SET {assignments} WHERE {quote(str(pk_field.column))} = %s"  # noqa: S608
    params = [
        (*[conv(value) if conv else value for conv, value in zip(converters, row[1:], strict=True)], row[0])
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(rows)


def bulk_insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]], *, returning: Sequence[str] = ()
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (values in the order of ``columns``); returns the ``returning`` columns of each new row."""
    if not rows:
        return []
    meta = model._meta
    fields = [_field(model, name) for name in columns]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ", ".join(quote(str(field.column)) for field in fields)
    back = ", ".join(quote(str(_field(model, name).column)) for name in returning)
    if connection.vendor == "postgresql":
        arrays = _columns(rows, len(fields), [_pg_value(field) for field in fields])
        sources = ", ".join(f"%b::{_pg_array_type(field)}[]" for field in fields)
        selected = ", ".join(
            f"_c{index}" + ("::jsonb" if isinstance(field, models.JSONField) else "")
            for index, field in enumerate(fields)
        )
        aliases = ", ".join(f"_c{index}" for index in range(len(fields)))
        sql = f"INSERT INTO {table} ({names}) SELECT {selected} FROM unnest({sources}) AS v({aliases})"  # noqa: S608
        if back:
            sql += f" RETURNING {back}"
        with _pg_cursor() as cursor:
            cursor.execute(sql, arrays)
            return [tuple(row) for row in cursor.fetchall()] if back else []
    converters = [_sqlite_value(field) for field in fields]
    prepared = [[conv(value) if conv else value for conv, value in zip(converters, row, strict=True)] for row in rows]
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    found: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(prepared), SQLITE_INSERT_ROWS):
            chunk = prepared[start : start + SQLITE_INSERT_ROWS]
            sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([placeholders] * len(chunk))}"  # noqa: S608
            if back:
                sql += f" RETURNING {back}"
            cursor.execute(sql, [value for row in chunk for value in row])
            if back:
                found += [tuple(row) for row in cursor.fetchall()]
    return found

"""Set-based reads and writes the ORM has no fast single statement for: many rows, each with its own values.

The callers lock the rows first (``SELECT … FOR UPDATE`` in the same transaction; SQLite's
IMMEDIATE transactions hold the database lock), decide each row's change in Python, and write
them here in one statement. On PostgreSQL the values travel as one array per column
(``UPDATE … FROM unnest(…)`` / ``INSERT … SELECT … FROM unnest(…)``) with server-side binding, so the
statement text stays short whatever the batch size; SQLite uses ``executemany`` or a multi-row insert.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

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


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _pg_element(field: models.Field[Any, Any]) -> Callable[[Any], str]:
    """How one value is written inside a PostgreSQL array literal (``{1,2}``, ``{"a","b"}``)."""
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    if isinstance(field, models.BooleanField):
        return lambda value: "NULL" if value is None else ("t" if value else "f")
    if isinstance(field, models.IntegerField | models.AutoField):
        return lambda value: "NULL" if value is None else str(int(value))
    if isinstance(field, models.JSONField):
        return lambda value: "NULL" if value is None else _quote(json.dumps(value))
    if isinstance(field, models.UUIDField):
        # A UUID's text is hex digits and dashes, which need no quotes; anything else is quoted.
        return lambda value: "NULL" if value is None else str(value) if isinstance(value, UUID) else _quote(str(value))
    if isinstance(field, models.DateTimeField):
        return lambda value: "NULL" if value is None else _quote(value.isoformat())
    return lambda value: "NULL" if value is None else _quote(str(value))


def _pg_arrays(fields: Sequence[models.Field[Any, Any]], rows: Sequence[Sequence[Any]]) -> list[str]:
    """One array literal per column: far cheaper to build than adapting each element through the driver."""
    columns = zip(*rows, strict=True)
    return [
        "{" + ",".join(map(_pg_element(field), column)) + "}" for field, column in zip(fields, columns, strict=True)
    ]


@dataclass(frozen=True)
class _Columns:
    fields: list[models.Field[Any, Any]]
    table: str
    names: str
    back: str
    pg_types: list[str]


@functools.cache
def _columns(model: type[models.Model], columns: tuple[str, ...], returning: tuple[str, ...]) -> _Columns:
    """The fields, quoted names and PostgreSQL types of an insert, worked out once per process (one database)."""
    fields = [_field(model, name) for name in columns]
    quote = connection.ops.quote_name
    return _Columns(
        fields=fields,
        table=quote(model._meta.db_table),
        names=", ".join(quote(str(field.column)) for field in fields),
        back=", ".join(quote(str(_field(model, name).column)) for name in returning),
        pg_types=[_pg_array_type(field) for field in fields] if connection.vendor == "postgresql" else [],
    )


def _sqlite_value(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    if isinstance(field, models.DateTimeField | models.DecimalField | models.JSONField | models.UUIDField):
        return lambda value: None if value is None else field.get_db_prep_save(value, connection)
    return None


def _pg_cursor() -> Any:
    """A server-side-binding cursor on Django's connection (same transaction)."""
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def bulk_update_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """``rows`` are ``(pk, value of columns[0], value of columns[1], …)``; returns the rows written."""
    return len(conditional_update(model, columns, rows))


def conditional_update(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]], *, expect: Sequence[str] = ()
) -> set[Any]:
    """Write each row only if its ``expect`` columns still hold the values the caller read; returns the pks written.

    ``rows`` are ``(pk, new value of each of columns…, expected value of each of expect…)``: an optimistic
    compare-and-set for many rows in one statement, so readers need not lock the rows first.
    """
    if not rows:
        return set()
    meta = model._meta
    pk_field: models.Field[Any, Any] = meta.pk  # type: ignore[assignment]
    fields = [pk_field, *(_field(model, name) for name in columns)]
    expected = [_field(model, name) for name in expect]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk_column = quote(str(pk_field.column))
    if connection.vendor == "postgresql":
        every = [*fields, *expected]
        columns_of = list(zip(*rows, strict=True))
        # Values shared by every row (a status, "now", an empty claim) travel once, as plain parameters.
        shared = [
            index > 0 and all(value == columns_of[index][0] for value in columns_of[index])
            for index in range(len(every))
        ]
        varying = [index for index in range(len(every)) if not shared[index]]
        params: list[Any] = []

        def ref(index: int) -> str:
            field = every[index]
            jsonb = "::jsonb" if isinstance(field, models.JSONField) else ""
            if not shared[index]:
                return f"v._c{index}{jsonb}"
            value = columns_of[index][0]
            params.append(None if value is None else json.dumps(value) if jsonb else value)
            return f"%s::{_pg_array_type(field)}{jsonb}"

        assignments = ", ".join(f"{quote(str(every[i].column))} = {ref(i)}" for i in range(1, len(fields)))
        set_params, params = params, []
        conditions = "".join(
            f" AND {table}.{quote(str(every[i].column))} IS NOT DISTINCT FROM {ref(i)}"
            for i in range(len(fields), len(every))
        )
        sources = ", ".join(f"%s::{_pg_array_type(every[i])}[]" for i in varying)
        arrays = _pg_arrays([every[i] for i in varying], [[row[i] for i in varying] for row in rows])
        names = ", ".join(f"_c{i}" for i in varying)
        sql = (
            f"UPDATE {table} SET {assignments} FROM unnest({sources}) AS v({names})"  # noqa: S608
            f" WHERE {table}.{pk_column} = v._c0{conditions} RETURNING {table}.{pk_column}"
        )
        with _pg_cursor() as cursor:
            cursor.execute(sql, [*set_params, *arrays, *params])
            return {row[0] for row in cursor.fetchall()}
    converters = [_sqlite_value(field) for field in fields[1:]]
    assignments = ", ".join(f"{quote(str(field.column))} = %s" for field in fields[1:])
    sql = f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s"  # noqa: S608
    width = len(fields)
    params = [
        (*[conv(value) if conv else value for conv, value in zip(converters, row[1:width], strict=True)], row[0])
        for row in rows
    ]
    if expected:
        # SQLite runs one writer at a time (IMMEDIATE transactions): what this transaction reads now stays true
        # until it commits, so the check is a read of the current values, then one executemany.
        current = {
            pk: tuple(values)
            for pk, *values in model._default_manager.filter(pk__in=[row[0] for row in rows]).values_list("pk", *expect)
        }
        keep = [index for index, row in enumerate(rows) if current.get(row[0]) == tuple(row[width:])]
        rows = [rows[index] for index in keep]
        params = [params[index] for index in keep]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return {row[0] for row in rows}


def bulk_insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]], *, returning: Sequence[str] = ()
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (values in the order of ``columns``); returns the ``returning`` columns of each new row."""
    if not rows:
        return []
    insert = _columns(model, tuple(columns), tuple(returning))
    fields, table, names, back = insert.fields, insert.table, insert.names, insert.back
    if connection.vendor == "postgresql":
        columns_of = list(zip(*rows, strict=True))
        shared = [all(value == column[0] for value in column) for column in columns_of]
        shared[0] = False  # unnest needs at least one array to give the number of rows
        varying = [index for index in range(len(fields)) if not shared[index]]
        params: list[Any] = []
        selected = []
        for index, field in enumerate(fields):
            jsonb = "::jsonb" if isinstance(field, models.JSONField) else ""
            if shared[index]:
                value = columns_of[index][0]
                params.append(None if value is None else json.dumps(value) if jsonb else value)
                selected.append(f"%s::{insert.pg_types[index]}{jsonb}")
            else:
                selected.append(f"_c{index}{jsonb}")
        arrays = _pg_arrays([fields[i] for i in varying], [[row[i] for i in varying] for row in rows])
        sources = ", ".join(f"%s::{insert.pg_types[i]}[]" for i in varying)
        aliases = ", ".join(f"_c{i}" for i in varying)
        sql = f"INSERT INTO {table} ({names}) SELECT {', '.join(selected)} FROM unnest({sources}) AS v({aliases})"  # noqa: S608
        if back:
            sql += f" RETURNING {back}"
        with _pg_cursor() as cursor:
            cursor.execute(sql, [*params, *arrays])
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


def select_rows(
    model: type[models.Model],
    columns: Sequence[str],
    where: str,
    params: Sequence[Any],
    *,
    expressions: Sequence[tuple[str, str]] = (),
    suffix: str = "",
) -> list[dict[str, Any]]:
    """PostgreSQL only: rows as dicts from a raw ``WHERE`` with server-side binding (lists go as arrays, so
    ``= ANY(%s)`` with a thousand ids stays one short statement), skipping the ORM's per-value work.
    ``expressions`` are extra ``(key, SQL expression)`` pairs to read."""
    table = connection.ops.quote_name(model._meta.db_table)
    selected = [connection.ops.quote_name(str(_field(model, name).column)) for name in columns]
    selected += [expression for _key, expression in expressions]
    keys = [*columns, *(key for key, _expression in expressions)]
    # Django reads jsonb as text (it decodes JSON itself): decode those columns here.
    decode = [key for key in columns if isinstance(_field(model, key), models.JSONField)]
    with _pg_cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(selected)} FROM {table} WHERE {where} {suffix}", list(params))  # noqa: S608
        rows = [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        for key in decode:
            if isinstance(row[key], str):
                row[key] = json.loads(row[key])
    return rows

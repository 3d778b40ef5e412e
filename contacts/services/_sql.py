"""Set-based writes for mass actions: one statement whatever the size of the selection.

A "select all" over a million contacts must not load a million ids into Python, so adding them to a
group or to the stop list is an ``INSERT ... SELECT`` that skips rows already there.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Model, QuerySet


def selection_sql(queryset: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    """SQL and parameters selecting the primary keys of ``queryset`` (one column, named ``pk``)."""
    ids = queryset.order_by().values("pk")
    sql, params = ids.query.get_compiler(using=ids.db).as_sql()
    return sql, tuple(params)


def insert_select_ignoring_conflicts(
    model: type[Model], columns: Sequence[str], select_sql: str, params: Sequence[Any]
) -> int:
    """``INSERT INTO model (columns) <select_sql>``, skipping rows that break a unique constraint; rows inserted."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    if connection.vendor == "sqlite":
        sql = f"INSERT OR IGNORE INTO {table} ({names}) {select_sql}"
    else:
        sql = f"INSERT INTO {table} ({names}) {select_sql} ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return max(cursor.rowcount, 0)


_stage_numbers = itertools.count(1)


def _column_types(model: type[Model], columns: Sequence[str]) -> list[str]:
    return [model._meta.get_field(column).get_internal_type() for column in columns]  # type: ignore[union-attr]


def _adapt_sqlite(kind: str, values: Sequence[Any]) -> list[Any]:
    ops = connection.ops
    if kind == "JSONField":
        return [None if value is None else json.dumps(value) for value in values]
    if kind == "DateField":
        return [ops.adapt_datefield_value(value) for value in values]
    if kind == "DateTimeField":
        return [ops.adapt_datetimefield_value(value) for value in values]
    return list(values)


# Binary COPY needs each column's PostgreSQL type; varchar columns take text.
_COPY_TYPES = {
    "AutoField": "int4",
    "BigAutoField": "int8",
    "BigIntegerField": "int8",
    "BooleanField": "bool",
    "DateField": "date",
    "DateTimeField": "timestamptz",
    "IntegerField": "int4",
    "JSONField": "jsonb",
    "PositiveBigIntegerField": "int8",
    "PositiveIntegerField": "int4",
    "PositiveSmallIntegerField": "int2",
    "SmallIntegerField": "int2",
    "UUIDField": "uuid",
}


def _copy_type(model: type[Model], column: str) -> str:
    field: Any = model._meta.get_field(column)
    target = getattr(field, "target_field", None)
    kind = (target or field).get_internal_type()
    if kind == "AutoField" and target is not None:
        kind = "IntegerField"
    return _COPY_TYPES.get(kind, "text")


def _copy_rows(cursor: Any, table: str, names: str, types: list[str], rows: Iterable[Sequence[Any]]) -> None:
    """Rows into a (staging) table by binary COPY (psycopg formats each value in C)."""
    with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)  # a jsonb column takes the Python value itself (psycopg encodes it as JSON)
        for row in rows:
            copy.write_row(row)


def insert_rows(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
    ignore_conflicts: bool = False,
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert many rows of plain Python values in few statements; the rows returned when ``returning`` names columns.

    ``update`` turns a row that meets ``conflict`` (a unique constraint) into an update of those columns;
    ``ignore_conflicts`` skips such rows instead. Django's ``bulk_create`` does the same but spends about
    a tenth of a millisecond of Python per row building model instances and compiling each value, which
    is most of the time of a million-row import. Inside a transaction PostgreSQL gets the rows by COPY;
    otherwise, and on SQLite, multi-row ``VALUES``.
    """
    if not rows:
        return []
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    suffix = ""
    if update:
        targets = ", ".join(quote(column) for column in conflict)
        changes = ", ".join(f"{quote(column)} = excluded.{quote(column)}" for column in update)
        suffix = f" ON CONFLICT ({targets}) DO UPDATE SET {changes}"
    elif ignore_conflicts:
        suffix = " ON CONFLICT DO NOTHING"
    if returning:
        suffix += " RETURNING " + ", ".join(quote(column) for column in returning)
    kinds = _column_types(model, columns)
    found: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            # COPY into a temporary table shaped like the target, then one INSERT ... SELECT: the fastest way
            # into PostgreSQL, and the conflict rules apply as in a plain INSERT.
            stage = quote(f"stage_{model._meta.db_table}_{next(_stage_numbers)}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA"  # noqa: S608
            )
            _copy_rows(cursor, stage, names, [_copy_type(model, column) for column in columns], rows)
            cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage}{suffix}")  # noqa: S608
            if returning:
                found.extend(tuple(row) for row in cursor.fetchall())
            cursor.execute(f"DROP TABLE {stage}")
            return found
        per_statement = max(1, min(2_000, 30_000 // len(columns)))
        placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            adapted = [
                _adapt_sqlite(kind, values) for kind, values in zip(kinds, zip(*chunk, strict=True), strict=True)
            ]
            params = [value for row in zip(*adapted, strict=True) for value in row]
            values = ", ".join([placeholder] * len(chunk))
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {values}{suffix}", params)  # noqa: S608
            if returning:
                found.extend(tuple(row) for row in cursor.fetchall())
    return found


def reserve_ids_postgresql(model: type[Model], count: int) -> list[int]:
    """``count`` primary keys taken from the table's sequence, for rows written with ``copy_rows_postgresql``."""
    table, pk = model._meta.db_table, model._meta.pk.column  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count])
        return [row[0] for row in cursor.fetchall()]


def copy_rows_postgresql(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bool:
    """COPY rows straight into the table (PostgreSQL, inside a transaction); False, with nothing written, when one
    of them breaks a constraint (a unique one, typically: the caller then inserts them skipping conflicts).

    No staging table, no conflict handling, no RETURNING: about a third less work for the database than
    ``insert_rows``, for rows that should all be new (ids from ``reserve_ids_postgresql``).
    """
    from psycopg import errors

    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    types = [_copy_type(model, column) for column in columns]
    try:
        with transaction.atomic(), connection.cursor() as cursor:  # a savepoint to return to
            _copy_rows(cursor, quote(model._meta.db_table), names, types, rows)
    except (errors.IntegrityError, IntegrityError):  # psycopg raises its own when COPY ends
        return False
    return True


def update_rows_postgresql(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    keep: Sequence[str] = (),
    merge: Sequence[str] = (),
    when_changed: Mapping[str, Any] | None = None,
) -> None:
    """Update many rows by primary key (each row: pk, then the ``columns`` values) in one statement.

    PostgreSQL only, inside a transaction: the rows arrive by COPY and one ``UPDATE ... FROM`` applies
    them, which costs about a quarter less than meeting each row with ``INSERT ... ON CONFLICT``.
    A NULL in a ``keep`` column keeps the current value; a ``merge`` column (a JSON object) gets the
    row's keys added to its own (NULL adds none). With ``when_changed`` (columns and values, such as a
    modification time) only the rows whose values change are updated, and those columns set as well.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(model._meta.pk.column)  # type: ignore[union-attr]
    names = ", ".join([pk, *(quote(column) for column in columns)])
    stage = quote(f"stage_{model._meta.db_table}_{next(_stage_numbers)}")
    types = [_copy_type(model, model._meta.pk.name), *(_copy_type(model, column) for column in columns)]  # type: ignore[union-attr]
    after = {}
    for column in columns:
        new, old = f"s.{quote(column)}", f"t.{quote(column)}"
        if column in merge:
            after[column] = f"COALESCE({old} || {new}, {old})"
        elif column in keep:
            after[column] = f"COALESCE({new}, {old})"
        else:
            after[column] = new
    changes = [f"{quote(column)} = {value}" for column, value in after.items()]
    condition = f"t.{pk} = s.{pk}"
    params: list[Any] = []
    if when_changed:
        olds = ", ".join(f"t.{quote(column)}" for column in columns)
        condition += f" AND ({', '.join(after.values())}) IS DISTINCT FROM ({olds})"
        for column, value in when_changed.items():
            changes.append(f"{quote(column)} = %s")
            params.append(value)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA")  # noqa: S608
        _copy_rows(cursor, stage, names, types, rows)
        cursor.execute(
            f"UPDATE {table} t SET {', '.join(changes)} FROM {stage} s WHERE {condition}",  # noqa: S608
            params,
        )
        cursor.execute(f"DROP TABLE {stage}")

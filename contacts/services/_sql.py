"""Set-based writes for mass actions: one statement whatever the size of the selection.

A "select all" over a million contacts must not load a million ids into Python, so adding them to a
group or to the stop list is an ``INSERT ... SELECT`` that skips rows already there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
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
    """Multi-row ``INSERT`` of already adapted values, as few statements as the parameter limit allows.

    ``update`` turns a row that meets ``conflict`` (a unique constraint) into an update of those columns;
    ``ignore_conflicts`` skips such rows instead. Django's ``bulk_create`` does the same but spends about
    a tenth of a millisecond of Python per row building model instances and compiling each value, which
    is most of the time of a million-row import; this writes plain tuples.
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
    limit = 30_000 if connection.vendor == "sqlite" else 60_000
    per_statement = max(1, min(2_000, limit // len(columns)))
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    found: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            values = ", ".join([placeholder] * len(chunk))
            params = [value for row in chunk for value in row]
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {values}{suffix}", params)  # noqa: S608
            if returning:
                found.extend(tuple(row) for row in cursor.fetchall())
    return found

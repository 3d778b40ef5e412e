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

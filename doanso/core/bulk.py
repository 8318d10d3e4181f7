"""Set-based writes the ORM makes slow.

Django's `bulk_update` writes one `CASE WHEN id = … THEN …` per field and row: for a thousand
cases it spends seconds building SQL. On PostgreSQL `update_rows` sends one
`UPDATE … FROM (VALUES …)` per batch instead; elsewhere it is `bulk_update` itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


def update_rows(objs: Sequence[models.Model], fields: Sequence[str], *, batch_size: int = 1000) -> int:
    """Write `fields` of every object in `objs` (all of one model) to its row."""
    if not objs:
        return 0
    model = type(objs[0])
    if connection.vendor != "postgresql":
        return model.objects.bulk_update(objs, fields, batch_size=batch_size)
    meta = model._meta
    pk = meta.pk
    cols = [meta.get_field(name) for name in fields]
    q = connection.ops.quote_name
    table = q(meta.db_table)
    sets = ", ".join(f"{q(f.column)} = v.{q(f.column)}::{f.db_type(connection)}" for f in cols)
    names = ", ".join(q(c.column) for c in [pk, *cols])
    done = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            chunk = objs[start : start + batch_size]
            width = len(cols) + 1
            placeholder = "(" + ", ".join(["%s"] * width) + ")"
            # The first row's casts type the VALUES columns (a NULL alone would be "text").
            first = (
                "("
                + ", ".join([f"%s::{pk.db_type(connection)}"] + [f"%s::{f.db_type(connection)}" for f in cols])
                + ")"
            )
            rows = ", ".join([first] + [placeholder] * (len(chunk) - 1))
            params: list = []
            for obj in chunk:
                params.append(pk.get_db_prep_save(obj.pk, connection))
                for f in cols:
                    params.append(f.get_db_prep_save(f.pre_save(obj, False), connection))
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM (VALUES {rows}) AS v({names}) WHERE {table}.{q(pk.column)} = v.{q(pk.column)}",
                params,
            )
            done += cursor.rowcount
    return done

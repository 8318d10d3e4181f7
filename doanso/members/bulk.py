"""Fast bulk loading of the organisation tree and the member registry (seeds, benchmarks, importers).

The services write one record at a time, with locks, audit and checks. A bulk load writes
hundreds of thousands of rows per second and must still leave the database exactly as the
services would have left it. What this module guarantees, whatever feeds it:

* units: `path` is "/<id>/…/<id>/" from the root down (self included), `depth` the number of
  ancestors, `name_search` = vn.fold(name), `child_count` = open children, every kind allowed
  under its parent (organisations.choices.ALLOWED_CHILDREN), one open UnitParentage row and one
  "create" UnitChange per unit;
* members: only in branch-kind units, derived name fields exactly as Member.set_derived_name_fields
  and placement exactly as Member.set_placement compute them (both are called, then cached),
  status + status_since matching the last of the member's dated MemberStatusRecord rows;
* MemberStat rollups equal to a GROUP BY over the loaded members.

On PostgreSQL rows go through COPY (psycopg 3 `cursor.copy`); large loads drop the member
table's secondary indexes and constraints first and rebuild them afterwards (a sort per index is
much faster than millions of random b-tree inserts), then ANALYZE. Elsewhere (SQLite) rows go
through bulk_create in batches. Everything streams: memory is bounded by the batch size, not
by the number of members.
"""

from __future__ import annotations

import bisect
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models
from django.utils import timezone

from doanso.core import vn
from doanso.organisations.choices import ALLOWED_CHILDREN, MEMBER_HOLDING_KINDS, ChangeKind
from doanso.organisations.models import Unit, UnitChange, UnitParentage

from . import rollups
from .choices import ALLOWED_STATUS_CHANGES, MemberStatus
from .models import Member, MemberStat, MemberStatusRecord, derived_name_fields

Progress = Callable[[str], None]


def vi_int(n: int) -> str:
    """12.345.678, as Vietnamese writes thousands."""
    return f"{n:,}".replace(",", ".")


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# ================================================================ rows of one table


class TableWriter:
    """Append rows of one model: COPY on PostgreSQL, bulk_create in batches elsewhere.

    `columns` are attnames ("unit_id", not "unit") supplied by the caller for each row, in
    order; every other concrete field gets its model default (evaluated once), so a field added
    to the model later is filled like a form would fill it, or refused loudly if it has none.
    """

    def __init__(self, model: type[models.Model], columns: list[str], *, batch_size: int = 2000):
        self.model = model
        self.columns = list(columns)
        self.batch_size = batch_size
        self.rows = 0
        now = timezone.now()
        consts: dict[str, Any] = {}
        for f in model._meta.concrete_fields:
            if f.attname in self.columns:
                continue
            if f.primary_key:
                continue  # the database assigns it
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                consts[f.attname] = now
                continue
            value = f.get_default()
            if value is None and not f.null:
                raise ValueError(f"{model.__name__}.{f.name}: không có giá trị mặc định; bộ nạp phải cung cấp cột này.")
            consts[f.attname] = value
        self.const_names = list(consts)
        self.const_values = tuple(consts.values())
        self._copy = None
        self._ctx = None
        self._cursor = None
        self._batch: list[models.Model] = []

    # -- context
    def __enter__(self) -> TableWriter:
        if is_postgres():
            table = self.model._meta.db_table
            cols = ", ".join(connection.ops.quote_name(c) for c in [*self.columns, *self.const_names])
            self._cursor = connection.cursor()
            self._ctx = self._cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({cols}) FROM STDIN")
            self._copy = self._ctx.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._ctx is not None:
            ctx, self._ctx, self._copy = self._ctx, None, None
            try:
                ctx.__exit__(exc_type, exc, tb)
            finally:
                self._cursor.close()
                self._cursor = None
        elif exc_type is None:
            self.flush()

    # -- rows
    def write(self, row: tuple) -> None:
        self.rows += 1
        if self._copy is not None:
            self._copy.write_row(row + self.const_values)
            return
        obj = self.model(
            **dict(zip(self.columns, row, strict=True)), **dict(zip(self.const_names, self.const_values, strict=True))
        )
        self._batch.append(obj)
        if len(self._batch) >= self.batch_size:
            self.flush()

    def write_many(self, rows: Iterable[tuple]) -> None:
        for row in rows:
            self.write(row)

    def flush(self) -> None:
        if self._batch:
            self.model.objects.bulk_create(self._batch, batch_size=self.batch_size)
            self._batch = []


def reset_sequences(*model_list: type[models.Model]) -> None:
    """After rows were written with explicit ids, let the next service-created row take max(id)+1."""
    sql = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    if sql:
        with connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)


def next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1


# ================================================================ secondary indexes (PostgreSQL)


class SecondaryIndexes:
    """Drop a table's secondary indexes and constraints for a load, rebuild them after.

    The indexes declared in Meta.indexes go through the schema editor (remove_index/add_index);
    the others (unique and foreign-key constraints, db_index columns) are saved from the catalogue
    (pg_get_constraintdef / pg_get_indexdef) and re-executed verbatim, so their names and
    definitions come back exactly. Rebuilding validates them: a duplicate CCCD or a dangling unit
    id fails the load (and, the load being one transaction, rolls everything back).
    """

    def __init__(self, model: type[models.Model], *, keep: set[str] | frozenset[str] = frozenset()):
        self.model = model
        self.table = model._meta.db_table
        self.keep = set(keep)  # constraint definitions to leave in place, e.g. "UNIQUE (citizen_id)"
        self.meta_indexes = list(model._meta.indexes)
        self.saved_constraints: list[tuple[str, str]] = []  # (name, definition)
        self.saved_indexes: list[str] = []  # CREATE INDEX statements
        self.dropped = False

    def state(self) -> dict:
        """What was dropped, as JSON, so another process can rebuild it (`from_state`)."""
        return {
            "constraints": self.saved_constraints, "indexes": self.saved_indexes,
            "meta_indexes": [ix.name for ix in self.meta_indexes], "dropped": self.dropped,
        }  # fmt: skip

    @classmethod
    def from_state(cls, model: type[models.Model], state: dict) -> SecondaryIndexes:
        obj = cls(model)
        obj.saved_constraints = [tuple(c) for c in state["constraints"]]
        obj.saved_indexes = list(state["indexes"])
        obj.meta_indexes = [ix for ix in model._meta.indexes if ix.name in set(state["meta_indexes"])]
        obj.dropped = state["dropped"]
        return obj

    def drop(self) -> None:
        if not is_postgres():
            return
        meta_names = {ix.name for ix in self.meta_indexes}
        with connection.cursor() as cursor:
            # Foreign keys are deferred: check what is pending now, or their tables cannot be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(
                """SELECT c.conname, pg_get_constraintdef(c.oid), c.contype FROM pg_constraint c
                   WHERE c.conrelid = %s::regclass AND c.contype IN ('u', 'f') ORDER BY c.contype DESC, c.conname""",
                [self.table],
            )
            self.saved_constraints = [
                (name, definition) for name, definition, _ in cursor.fetchall() if definition not in self.keep
            ]
            cursor.execute(
                """SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                   WHERE x.indrelid = %s::regclass AND NOT x.indisprimary
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
                   ORDER BY i.relname""",
                [self.table],
            )
            rows = cursor.fetchall()
            self.saved_indexes = [definition for name, definition in rows if name not in meta_names]
            existing = {name for name, _ in rows}
            for name, _ in self.saved_constraints:
                cursor.execute(f"ALTER TABLE {self._q(self.table)} DROP CONSTRAINT {self._q(name)}")
            for name, _ in rows:
                if name not in meta_names:
                    cursor.execute(f"DROP INDEX {self._q(name)}")
        with connection.schema_editor(atomic=False) as editor:
            for index in self.meta_indexes:
                if index.name in existing:
                    editor.remove_index(self.model, index)
        self.meta_indexes = [ix for ix in self.meta_indexes if ix.name in existing]
        self.dropped = True

    def restore(self, progress: Progress | None = None) -> None:
        if not self.dropped:
            return
        say = progress or (lambda _msg: None)
        with connection.cursor() as cursor:
            # Enough memory to sort an index in one pass; both cores help build each index.
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            cursor.execute("SET LOCAL max_parallel_maintenance_workers = 2")
            for name, definition in self.saved_constraints:
                started = time.monotonic()
                cursor.execute(f"ALTER TABLE {self._q(self.table)} ADD CONSTRAINT {self._q(name)} {definition}")
                say(f"  {self.table}: {name} ({time.monotonic() - started:.1f}s)")
            for statement in self.saved_indexes:
                started = time.monotonic()
                cursor.execute(statement)
                say(f"  {self.table}: {statement.split(' ON ')[0].split()[-1]} ({time.monotonic() - started:.1f}s)")
        with connection.schema_editor(atomic=False) as editor:
            for index in self.meta_indexes:
                started = time.monotonic()
                editor.add_index(self.model, index)
                say(f"  {self.table}: {index.name} ({time.monotonic() - started:.1f}s)")
        self.dropped = False

    @staticmethod
    def _q(name: str) -> str:
        return connection.ops.quote_name(name)


# ================================================================ the organisation tree


@dataclass
class UnitSpec:
    """A unit about to be written; `id`, `path` and `depth` are fixed when it is added."""

    id: int
    code: str
    name: str
    kind: str
    parent: UnitSpec | None
    path: str
    depth: int
    sector: str = ""
    short_name: str = ""
    province_id: int | None = None
    ward_id: int | None = None
    founded_on: date | None = None
    child_count: int = 0

    def as_unit(self) -> Unit:
        """An unsaved Unit carrying what Member.set_placement reads (pk, path)."""
        return Unit(id=self.id, code=self.code, name=self.name, kind=self.kind, path=self.path, depth=self.depth)


class TreeBuilder:
    """Lays out a subtree in memory with final ids (pre-order), then writes it in bulk."""

    def __init__(self, root: Unit, *, start_id: int | None = None):
        self.root = root
        self._next = start_id or next_id(Unit)
        self.units: list[UnitSpec] = []
        self.root_children = 0
        self._codes: set[str] = set()
        self._root_spec = UnitSpec(
            id=root.pk, code=root.code, name=root.name, kind=root.kind, parent=None, path=root.path,
            depth=root.depth, sector=root.sector,
        )  # fmt: skip

    @property
    def root_spec(self) -> UnitSpec:
        return self._root_spec

    def add(
        self, parent: UnitSpec, *, code: str, name: str, kind: str, sector: str = "", short_name: str = "",
        province_id: int | None = None, ward_id: int | None = None, founded_on: date | None = None,
    ) -> UnitSpec:  # fmt: skip
        if kind not in ALLOWED_CHILDREN.get(parent.kind, set()):
            raise ValueError(f"{kind} không thể trực thuộc {parent.kind} ({parent.name}).")
        if code.lower() in self._codes:
            raise ValueError(f"Mã đơn vị trùng: {code}")
        self._codes.add(code.lower())
        uid = self._next
        self._next += 1
        spec = UnitSpec(
            id=uid, code=code, name=vn.nfc(name), kind=kind, parent=parent, path=f"{parent.path}{uid}/",
            depth=parent.depth + 1, sector=sector or parent.sector, short_name=short_name,
            province_id=province_id if province_id is not None else parent.province_id,
            ward_id=ward_id, founded_on=founded_on,
        )  # fmt: skip
        parent.child_count += 1
        self.units.append(spec)
        return spec

    def write(self, *, progress: Progress | None = None) -> int:
        """Units, their parentage rows and "create" changes; the root's child count; sequences."""
        now = timezone.now()
        unit_cols = [
            "id", "code", "name", "short_name", "kind", "sector", "parent_id", "path", "depth", "province_id",
            "ward_id", "founded_on", "name_search", "child_count",
        ]  # fmt: skip
        with TableWriter(Unit, unit_cols, batch_size=2000) as writer:
            for u in self.units:
                writer.write((
                    u.id, u.code, u.name, u.short_name, u.kind, u.sector, u.parent.id, u.path, u.depth,
                    u.province_id, u.ward_id, u.founded_on, vn.fold(u.name), u.child_count,
                ))  # fmt: skip
        with TableWriter(UnitParentage, ["unit_id", "parent_id", "valid_from"], batch_size=5000) as writer:
            for u in self.units:
                writer.write((u.id, u.parent.id, u.founded_on or now.date()))
        change_cols = ["unit_id", "kind", "effective_on", "summary", "details"]
        with TableWriter(UnitChange, change_cols, batch_size=5000) as writer:
            for u in self.units:
                summary = f"Thành lập {u.name} thuộc {u.parent.name}"[:300]
                writer.write((u.id, ChangeKind.CREATE, u.founded_on or now.date(), summary, _json({})))
        Unit.objects.filter(pk=self.root.pk).update(
            child_count=Unit.objects.filter(parent=self.root, closed_on__isnull=True).count()
        )
        reset_sequences(Unit, UnitParentage, UnitChange)
        if progress:
            progress(f"  {vi_int(len(self.units))} đơn vị")
        return len(self.units)


def _json(value: Any) -> Any:
    """A JSONField value as COPY expects it (psycopg adapts dicts only when told to)."""
    if is_postgres():
        from psycopg.types.json import Jsonb

        return Jsonb(value)
    return value


# ================================================================ members

# What a member row supplies, in order; every other column takes its model default.
MEMBER_COLUMNS = [
    "id", "unit_id", "unit_path", "scope1", "scope2", "scope3",
    "full_name", "family_name", "given_name", "sort_key", "search_name", "search_given",
    "date_of_birth", "sex", "ethnicity_id", "religion_id", "citizen_id", "phone",
    "permanent_ward_id", "current_ward_id", "education_general", "education_professional", "occupation",
    "is_salaried", "position", "card_number", "admitted_on", "admission_decision_number",
    "federation_member", "student_association_member", "status", "status_since",
]  # fmt: skip
COL = {name: i for i, name in enumerate(MEMBER_COLUMNS)}
RECORD_COLUMNS = ["member_id", "status", "previous_status", "effective_on", "decision_number", "reason", "actor_id"]


@lru_cache(maxsize=100_000)
def name_fields(full_name: str) -> tuple[str, str, str, str, str, str]:
    """(full_name, family_name, given_name, sort_key, search_name, search_given) as the model computes them."""
    return derived_name_fields(full_name)


def placement_fields(unit: Unit) -> tuple[int, str, int | None, int | None, int | None]:
    """(unit_id, unit_path, scope1, scope2, scope3) as Member.set_placement computes them."""
    if unit.kind not in MEMBER_HOLDING_KINDS:
        raise ValueError(f"“{unit.name}” không phải chi đoàn: đoàn viên chỉ sinh hoạt tại chi đoàn.")
    probe = Member()
    probe.set_placement(unit)
    return (unit.pk, probe.unit_path, probe.scope1, probe.scope2, probe.scope3)


@dataclass
class LoadReport:
    members: int = 0
    records: int = 0
    seconds: float = 0.0
    stats: Counter = field(default_factory=Counter)  # (unit_id, status) → count


class MemberLoad:
    """Stream members with their dated status history into the database.

    Feed it rows in MEMBER_COLUMNS order (ids chosen by the caller, from `next_id(Member)` up) and,
    for each, the status records that lead to its status. On PostgreSQL, a load of at least
    `index_threshold` rows drops the member and status-record tables' secondary indexes and
    constraints first and rebuilds them at `finish()`. Use inside one transaction: a failure
    anywhere rolls back the load, the dropped indexes included.

    `columns` (default MEMBER_COLUMNS; must include id, unit_id, status, status_since) lets an
    importer write more fields; `dashboards=False` leaves the dashboard rollups to the caller. `incremental=True` is for loads into units that already hold
    members (imports, one transaction per batch): rollups are added to (upsert) instead of
    written fresh, and sequences and ANALYZE are left alone (the caller takes ids from the
    sequence, see `reserve_member_ids`).
    """

    def __init__(
        self, *, actor_id: int | None = None, expected: int = 0, index_threshold: int = 100_000,
        chunk: int = 200_000, progress: Progress | None = None, columns: list[str] | None = None,
        incremental: bool = False, dashboards: bool = True,
    ):  # fmt: skip
        self.columns = list(columns or MEMBER_COLUMNS)
        self.dashboards = dashboards
        self._i_unit, self._i_status, self._i_since = (
            self.columns.index(c) for c in ("unit_id", "status", "status_since")
        )  # fmt: skip
        self.incremental = incremental
        self.actor_id = actor_id
        self.progress = progress or (lambda _msg: None)
        self.report = LoadReport()
        self.chunk = chunk
        self.indexes = [SecondaryIndexes(Member), SecondaryIndexes(MemberStatusRecord)]
        self.drop_indexes = is_postgres() and expected >= index_threshold
        self._members: TableWriter | None = None
        self._pending: list[tuple] = []
        self._started = 0.0
        self._first_id = 0
        self._last_id = 0

    def __enter__(self) -> MemberLoad:
        if self.incremental:  # into a register in use: not while a first load holds it
            rollups.require_register_open()
        self._started = time.monotonic()
        if self.drop_indexes:
            for ix in self.indexes:
                ix.drop()
        self._open()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._members is not None:
            writer, self._members = self._members, None
            writer.__exit__(exc_type, exc, tb)
        if exc_type is None:
            self._flush_records()

    def _open(self) -> None:
        self._members = TableWriter(Member, self.columns, batch_size=2000).__enter__()

    def _flush_records(self) -> None:
        if not self._pending:
            return
        with TableWriter(MemberStatusRecord, RECORD_COLUMNS, batch_size=5000) as writer:
            for row in self._pending:
                writer.write(row)
        self.report.records += len(self._pending)
        self._pending = []

    def add(self, row: tuple, history: Iterable[tuple[str, str, date, str, str]]) -> None:
        """`history`: (status, previous_status, effective_on, decision_number, reason), oldest first."""
        member_id = row[0]
        if member_id <= self._last_id:
            raise ValueError("Mã đoàn viên phải tăng dần trong một lần nạp.")
        self._first_id = self._first_id or member_id
        self._last_id = member_id
        status, since = row[self._i_status], row[self._i_since]
        last = None
        for new, old, on, decision, reason in history:
            if last is not None and (
                new not in ALLOWED_STATUS_CHANGES.get(last[0], set()) or on < last[1] or old != last[0]
            ):
                raise ValueError(f"Quá trình trạng thái không hợp lệ cho đoàn viên {member_id}.")
            self._pending.append((member_id, new, old, on, decision, reason, self.actor_id))
            last = (new, on)
        if last is None or last != (status, since):
            raise ValueError(f"Trạng thái của đoàn viên {member_id} không khớp với bản ghi quá trình cuối cùng.")
        self._members.write(row)
        self.report.members += 1
        self.report.stats[(row[self._i_unit], status)] += 1
        if len(self._pending) >= self.chunk:
            # COPY one table at a time on one connection: pause the members, write the records.
            writer, self._members = self._members, None
            writer.__exit__(None, None, None)
            self._flush_records()
            self._open()

    def finish(self) -> LoadReport:
        """Rollups, rebuilt indexes, sequences, statistics. Call after leaving the `with` block."""
        started = time.monotonic()
        (add_member_stats if self.incremental else write_member_stats)(self.report.stats)
        self.progress(f"  bảng tổng hợp: {vi_int(len(self.report.stats))} dòng ({time.monotonic() - started:.1f}s)")
        if self._first_id and self.dashboards:
            started = time.monotonic()
            rollups.load_added(self._first_id, self._last_id)
            self.progress(f"  số liệu tổng quan (dashboard): {time.monotonic() - started:.1f}s")
        if self.drop_indexes:
            started = time.monotonic()
            self.progress("Tạo lại chỉ mục…")
            for ix in self.indexes:
                ix.restore(self.progress)
            self.progress(f"  xong chỉ mục ({time.monotonic() - started:.1f}s)")
        if self.incremental:
            self.report.seconds = time.monotonic() - self._started
            return self.report
        reset_sequences(Member, MemberStatusRecord, MemberStat)
        if is_postgres():
            started = time.monotonic()
            with connection.cursor() as cursor:
                for model in (Member, MemberStatusRecord, MemberStat, rollups.MemberFacet, rollups.MemberEvent, Unit):
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
            self.progress(f"  ANALYZE ({time.monotonic() - started:.1f}s)")
        self.report.seconds = time.monotonic() - self._started
        return self.report


def write_member_stats(stats: Counter) -> None:
    """Add `stats` ((unit_id, status) → count) to the rollup table (the units must have no rows yet)."""
    rows = sorted((unit_id, status, n) for (unit_id, status), n in stats.items() if n)
    if MemberStat.objects.filter(unit_id__in={r[0] for r in rows[:1000]}).exists():
        raise ValueError("Bảng tổng hợp đã có số liệu cho các chi đoàn này; hãy dùng stats_recount.")
    with TableWriter(MemberStat, ["unit_id", "status", "count"], batch_size=5000) as writer:
        writer.write_many(rows)


def add_member_stats(stats: Counter) -> None:
    """Add `stats` ((unit_id, status) → count) to the rollup table, rows there or not (one upsert)."""
    rows = sorted((unit_id, status, n) for (unit_id, status), n in stats.items() if n)
    if not rows:
        return
    table = connection.ops.quote_name(MemberStat._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (unit_id, status, count) VALUES (%s, %s, %s) "
            f"ON CONFLICT (unit_id, status) DO UPDATE SET count = {table}.count + excluded.count",
            rows,
        )


def reserve_member_ids(n: int) -> list[int]:
    """`n` increasing member ids nobody else will take (PostgreSQL: from the id sequence, safe beside
    concurrent services). Elsewhere max(id)+1 onwards: SQLite has one writer at a time."""
    if n <= 0:
        return []
    if is_postgres():
        table = Member._meta.db_table
        with connection.cursor() as cursor:
            # The sequence's name first: pg_get_serial_sequence per row would cost ~6 µs a row.
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            # One row back: the first and last id, and the ids themselves only when a concurrent
            # writer took some in between (fetching 10,000 rows cost ~12 ms a batch, the nextvals ~3).
            cursor.execute(
                """WITH ids AS (SELECT nextval(%s::regclass) AS id FROM generate_series(1, %s))
                   SELECT MIN(id), MAX(id), CASE WHEN MAX(id) - MIN(id) + 1 = COUNT(*) THEN NULL
                                                 ELSE array_agg(id ORDER BY id) END FROM ids""",
                [sequence, n],
            )
            first, last, scattered = cursor.fetchone()
            return list(scattered) if scattered is not None else list(range(first, last + 1))
    first = next_id(Member)
    return list(range(first, first + n))


# ================================================================ synthetic people (seeds and benchmarks)

# Family names, weighted as in the population (Nguyễn ~38%); the north says Hoàng/Vũ where the
# centre and south say Huỳnh/Võ.
FAMILY_COMMON = [
    ("Nguyễn", 380), ("Trần", 110), ("Lê", 95), ("Phạm", 70), ("Phan", 45), ("Đặng", 21), ("Bùi", 20),
    ("Đỗ", 14), ("Hồ", 13), ("Ngô", 13), ("Dương", 10), ("Lý", 5), ("Trương", 6), ("Đinh", 6), ("Mai", 5),
    ("Lâm", 4), ("Đoàn", 5), ("Cao", 4), ("Tô", 3), ("Hà", 4), ("Lương", 4), ("Tạ", 3), ("Châu", 3),
    ("Quách", 2), ("Phùng", 2), ("Vương", 2), ("Kiều", 1), ("Thái", 2), ("Lưu", 3), ("Tăng", 1), ("Trịnh", 4),
    ("Triệu", 1), ("Văn", 1), ("Từ", 1), ("La", 1), ("Chu", 2), ("Diệp", 1), ("Thạch", 1), ("Nông", 1),
]  # fmt: skip
FAMILY_NORTH = [("Hoàng", 50), ("Vũ", 40), ("Huỳnh", 1), ("Võ", 3)]
FAMILY_SOUTH = [("Huỳnh", 35), ("Võ", 35), ("Hoàng", 12), ("Vũ", 6)]
MIDDLE_M = [
    ("Văn", 30), ("Minh", 10), ("Hoàng", 6), ("Quốc", 6), ("Thanh", 5), ("Hữu", 5), ("Đức", 5), ("Tấn", 4),
    ("Công", 3), ("Gia", 5), ("Trung", 3), ("Anh", 4), ("Duy", 4), ("Nhật", 4), ("Quang", 4), ("Thành", 3),
    ("Trọng", 2), ("Xuân", 2), ("Đình", 3), ("Ngọc", 2), ("Bảo", 3), ("Tuấn", 2), ("Hoàng Gia", 2),
    ("Minh Hoàng", 1), ("Văn Minh", 1), ("Đăng", 2), ("Thế", 2), ("Tiến", 1), ("Phúc", 1),
]  # fmt: skip
MIDDLE_F = [
    ("Thị", 30), ("Ngọc", 9), ("Thanh", 5), ("Thu", 5), ("Kim", 4), ("Mỹ", 4), ("Bích", 2), ("Hoài", 2),
    ("Thùy", 4), ("Phương", 4), ("Khánh", 4), ("Bảo", 3), ("Minh", 3), ("Diễm", 2), ("Hồng", 2), ("Quỳnh", 2),
    ("Thị Ngọc", 3), ("Ngọc Bảo", 1), ("Thị Thu", 2), ("Thị Kim", 2), ("Hải", 2), ("Tường", 1), ("Cẩm", 1),
    ("Huyền", 1), ("Thảo", 1), ("Yến", 1), ("Mai", 1), ("Lan", 1), ("Như", 2),
]  # fmt: skip
GIVEN_M = [
    ("An", 6), ("Bảo", 6), ("Bình", 4), ("Cường", 3), ("Danh", 2), ("Dũng", 4), ("Duy", 4), ("Đạt", 5),
    ("Đức", 5), ("Hải", 4), ("Hào", 2), ("Hiếu", 4), ("Hòa", 2), ("Hoàng", 3), ("Hùng", 4), ("Huy", 8),
    ("Khang", 6), ("Khánh", 4), ("Khoa", 5), ("Khôi", 4), ("Kiệt", 4), ("Lâm", 3), ("Lộc", 3), ("Long", 5),
    ("Luân", 2), ("Minh", 8), ("Nam", 6), ("Nghĩa", 3), ("Nguyên", 4), ("Nhân", 3), ("Phát", 4), ("Phong", 4),
    ("Phúc", 5), ("Quân", 5), ("Quang", 4), ("Sang", 2), ("Sơn", 4), ("Tài", 3), ("Tâm", 3), ("Thắng", 3),
    ("Thành", 4), ("Thịnh", 3), ("Tiến", 3), ("Toàn", 3), ("Trí", 3), ("Trung", 4), ("Tuấn", 6), ("Tùng", 3),
    ("Vinh", 3), ("Vũ", 3), ("Việt", 3), ("Ân", 2), ("Đăng", 3), ("Hưng", 4), ("Kiên", 3), ("Lực", 1),
    ("Nhật", 3), ("Tín", 2), ("Thiện", 3), ("Thuận", 2), ("Anh", 6), ("Hiển", 2), ("Hậu", 2), ("Tú", 3),
]  # fmt: skip
GIVEN_F = [
    ("Anh", 8), ("Ánh", 3), ("Châu", 3), ("Chi", 5), ("Diễm", 2), ("Dung", 3), ("Duyên", 3), ("Giang", 4),
    ("Hà", 5), ("Hạnh", 3), ("Hằng", 3), ("Hân", 5), ("Hiền", 4), ("Hoa", 3), ("Hương", 5), ("Huyền", 4),
    ("Lan", 4), ("Linh", 9), ("Loan", 2), ("Ly", 4), ("Mai", 5), ("My", 5), ("Nga", 3), ("Ngân", 5),
    ("Ngọc", 5), ("Nhi", 7), ("Nhung", 3), ("Oanh", 2), ("Phương", 5), ("Quyên", 3), ("Quỳnh", 4), ("Tâm", 3),
    ("Thảo", 7), ("Thư", 6), ("Thủy", 3), ("Tiên", 4), ("Trang", 7), ("Trâm", 4), ("Trinh", 3), ("Uyên", 4),
    ("Vân", 4), ("Vy", 6), ("Xuân", 2), ("Yến", 4), ("Ý", 2), ("Thanh", 3), ("Thơ", 2), ("Như", 4),
    ("Nhàn", 1), ("Hồng", 2), ("Kiều", 2), ("Hậu", 1), ("Hòa", 1), ("Tuyết", 2), ("Diệp", 1), ("Nguyệt", 2),
]  # fmt: skip

# Ethnic naming (1979 codes). Not exhaustive; groups not listed name like the Kinh.
ETHNIC_NAMES: dict[str, dict[str, list[tuple[str, int]]]] = {
    "02": {"family": [("Hoàng", 4), ("Nông", 4), ("Lương", 2), ("Lục", 2), ("Triệu", 1), ("Ma", 2), ("Hà", 2), ("Bế", 2), ("Lăng", 1)]},
    "07": {"family": [("Hoàng", 4), ("Nông", 3), ("Lương", 2), ("Vi", 2), ("Lục", 1), ("Chu", 1), ("Đàm", 1), ("Lý", 1)]},
    "03": {"family": [("Lò", 4), ("Cầm", 3), ("Lường", 3), ("Quàng", 2), ("Vi", 2), ("Hà", 3), ("Lộc", 1), ("Tòng", 1), ("Điêu", 1)],
           "middle_m": [("Văn", 1)], "middle_f": [("Thị", 1)]},
    "06": {"family": [("Bùi", 6), ("Đinh", 4), ("Quách", 2), ("Hà", 2), ("Xa", 1), ("Bạch", 1)],
           "middle_m": [("Văn", 3), ("Minh", 1)], "middle_f": [("Thị", 3), ("Thu", 1)]},
    "08": {"family": [("Giàng", 4), ("Sùng", 3), ("Thào", 3), ("Vàng", 3), ("Lý", 2), ("Mùa", 2), ("Hờ", 1), ("Mua", 1), ("Sình", 1), ("Lầu", 1)],
           "middle_m": [("A", 5), ("Văn", 2), ("Seo", 1)], "middle_f": [("Thị", 5)],
           "given_m": [("Páo", 1), ("Chứ", 1), ("Dế", 1), ("Súa", 1), ("Chơ", 1), ("Lử", 1), ("Pó", 1), ("Dình", 1), ("Tủa", 1), ("Sính", 1), ("Vừ", 1), ("Tráng", 1)],
           "given_f": [("Mỷ", 1), ("Dợ", 1), ("Sua", 1), ("Mai", 1), ("Chi", 1), ("Pà", 1), ("Dung", 1), ("Máy", 1), ("Ly", 1), ("Sính", 1)]},
    "09": {"family": [("Triệu", 4), ("Bàn", 3), ("Đặng", 3), ("Lý", 2), ("Chảo", 2), ("Tẩn", 1), ("Phùn", 1)],
           "middle_m": [("Văn", 3), ("Tòn", 1), ("Phúc", 1)], "middle_f": [("Thị", 3), ("Mùi", 1)]},
    "05": {"family": [("Thạch", 5), ("Danh", 4), ("Chau", 3), ("Sơn", 3), ("Kim", 3), ("Lâm", 2), ("Lý", 1), ("Néang", 1)],
           "middle_m": [("Văn", 2), ("Sóc", 1), ("Ngọc", 1), ("Thanh", 1)], "middle_f": [("Thị", 4), ("Thị Sa", 1), ("Sà", 1)],
           "given_m": [("Sóc", 1), ("Khoan", 1), ("Sanh", 1), ("Rết", 1), ("Phol", 1), ("Sang", 1), ("Tha", 1), ("Sol", 1), ("Vuth", 1), ("Rinh", 1), ("Chanh", 1), ("Thươl", 1)],
           "given_f": [("Quênh", 1), ("Ry", 1), ("Phương", 1), ("Mây", 1), ("Pho", 1), ("Sóc Kha", 1), ("Đa", 1), ("Ni", 1), ("Sa Ren", 1), ("Thy", 1)]},
    "04": {"family": [("Lý", 3), ("Trương", 3), ("Quách", 2), ("Lâm", 3), ("Mã", 2), ("Tăng", 2), ("Hứa", 2), ("Lưu", 2), ("Vương", 1), ("Diệp", 1), ("Châu", 1), ("Thái", 1)]},
    "17": {"family": [("Đàng", 3), ("Thông", 2), ("Quảng", 2), ("Bá", 1), ("Thiên", 1), ("Trà", 1), ("Hán", 1), ("Lộ", 1), ("Sa", 1), ("Mohamad", 1), ("Ma", 1)],
           "middle_m": [("Văn", 3), ("Năng", 1), ("Sa", 1)], "middle_f": [("Thị", 3), ("Thị Ngọc", 1)]},
    "12": {"family": [("Niê", 3), ("Ênuôl", 1), ("Mlô", 2), ("Ksơr", 2), ("Byă", 1), ("Adrơng", 1), ("Hđơk", 1), ("Êban", 1)],
           "middle_m": [("Y", 1)], "middle_f": [("H'", 1)],
           "given_m": [("Khoa", 1), ("Ngông", 1), ("Blang", 1), ("Thuyên", 1), ("Kông", 1), ("Hoa", 1)],
           "given_f": [("Hen", 1), ("Linh", 1), ("Nhi", 1), ("Bia", 1), ("Uyên", 1)]},
    "10": {"family": [("Ksor", 3), ("Siu", 3), ("Rơ", 2), ("Nay", 2), ("Kpă", 2), ("Puih", 2), ("Rah", 1)],
           "middle_m": [("Văn", 2), ("Y", 1)], "middle_f": [("Thị", 2), ("H'", 1)]},
    "13": {"family": [("Đinh", 4), ("A", 2), ("Y", 1), ("Rơ", 1)], "middle_m": [("Văn", 1)], "middle_f": [("Thị", 1)]},
    "16": {"family": [("K'", 3), ("Ka", 2), ("Kră", 1), ("Cil", 1), ("Liêng", 1), ("Bon", 1)],
           "middle_m": [("Ha", 1), ("Văn", 1)], "middle_f": [("Thị", 1), ("Ka", 1)]},
    "20": {"family": [("Điểu", 3), ("Y", 1), ("Thị", 1)], "middle_m": [("K'", 1), ("Văn", 1)], "middle_f": [("Thị", 1)]},
    "21": {"family": [("Mang", 2), ("Chamaléa", 2), ("Pinăng", 2), ("Katơr", 1)], "middle_m": [("Văn", 1)], "middle_f": [("Thị", 1)]},
    "23": {"family": [("Hồ", 4), ("Lê", 1)], "middle_m": [("Văn", 2), ("Xa", 1)], "middle_f": [("Thị", 2)]},
    "19": {"family": [("Đinh", 4), ("Phạm", 2)], "middle_m": [("Văn", 1)], "middle_f": [("Thị", 1)]},
    "14": {"family": [("A", 3), ("Y", 2), ("Đinh", 1)], "middle_m": [("Văn", 1)], "middle_f": [("Thị", 1)]},
    "26": {"family": [("Bríu", 2), ("Alăng", 2), ("Zơrâm", 1), ("Bhling", 1), ("Clâu", 1)], "middle_m": [("Văn", 1)], "middle_f": [("Thị", 1)]},
    "29": {"family": [("Lô", 2), ("Vi", 2), ("Cụt", 1), ("Moong", 1)], "middle_m": [("Văn", 1)], "middle_f": [("Thị", 1)]},
    "22": {"family": [("Điểu", 3), ("Thị", 1)], "middle_m": [("Văn", 1)], "middle_f": [("Thị", 1)]},
    "31": {"family": [("Hồ", 3), ("Căn", 1), ("Kê", 1)], "middle_m": [("Văn", 1)], "middle_f": [("Thị", 1)]},
}  # fmt: skip

# The 34 provinces of 2025 (GSO code) → 2016 CCCD codes of the provinces they absorbed (conventions §1.2).
PROVINCE_CCCD_CODES: dict[int, list[str]] = {
    1: ["001"], 4: ["004"], 8: ["008", "002"], 11: ["011"], 12: ["012"], 14: ["014"], 15: ["010", "015"],
    19: ["019", "006"], 20: ["020"], 22: ["022"], 24: ["027", "024"], 25: ["025", "026", "017"],
    31: ["031", "030"], 33: ["033", "034"], 37: ["037", "035", "036"], 38: ["038"], 40: ["040"], 42: ["042"],
    44: ["045", "044"], 46: ["046"], 48: ["048", "049"], 51: ["051", "062"], 52: ["064", "052"],
    56: ["056", "058"], 66: ["066", "054"], 68: ["068", "067", "060"], 75: ["075", "070"],
    79: ["079", "074", "077"], 80: ["072", "080"], 82: ["087", "082"], 86: ["086", "083", "084"],
    91: ["089", "091"], 92: ["092", "094", "093"], 96: ["096", "095"],
}  # fmt: skip
NORTH_PROVINCES = {1, 4, 8, 11, 12, 14, 15, 19, 20, 22, 24, 25, 31, 33, 37, 38, 40, 42}

# Ethnic composition of the youth by province (1979 codes, weights in ‰, rounded).
ETHNIC_MIX: dict[int, list[tuple[str, int]]] = {
    1: [("01", 985), ("06", 10), ("02", 5)],
    4: [("02", 400), ("07", 300), ("08", 100), ("09", 100), ("01", 100)],
    8: [("02", 250), ("08", 250), ("09", 120), ("01", 300), ("07", 40), ("15", 40)],
    11: [("03", 380), ("08", 350), ("01", 180), ("29", 40), ("09", 30), ("37", 20)],
    12: [("08", 400), ("03", 320), ("09", 130), ("35", 50), ("01", 100)],
    14: [("03", 530), ("08", 160), ("01", 170), ("06", 80), ("09", 30), ("29", 30)],
    15: [("01", 380), ("08", 200), ("02", 140), ("09", 140), ("03", 70), ("25", 30), ("35", 20), ("06", 20)],
    19: [("01", 620), ("02", 220), ("07", 60), ("09", 50), ("15", 20), ("18", 30)],
    20: [("07", 430), ("02", 350), ("01", 160), ("09", 40), ("04", 10), ("15", 10)],
    22: [("01", 870), ("09", 60), ("02", 30), ("18", 20), ("15", 20)],
    24: [("01", 900), ("07", 40), ("02", 30), ("18", 20), ("15", 10)],
    25: [("01", 720), ("06", 240), ("18", 10), ("03", 10), ("09", 20)],
    38: [("01", 840), ("06", 90), ("03", 60), ("08", 5), ("29", 5)],
    40: [("01", 860), ("03", 100), ("29", 20), ("08", 10), ("31", 10)],
    44: [("01", 930), ("23", 50), ("31", 10), ("44", 10)],
    46: [("01", 970), ("31", 15), ("26", 10), ("23", 5)],
    48: [("01", 940), ("26", 30), ("27", 10), ("14", 10), ("30", 10)],
    51: [("01", 700), ("19", 80), ("14", 120), ("13", 60), ("30", 20), ("27", 20)],
    52: [("01", 700), ("10", 190), ("13", 90), ("02", 10), ("07", 10)],
    56: [("01", 880), ("21", 70), ("17", 50)],
    66: [("01", 720), ("12", 170), ("20", 30), ("02", 30), ("07", 30), ("08", 10), ("13", 10)],
    68: [("01", 820), ("16", 70), ("20", 30), ("17", 20), ("28", 20), ("07", 10), ("02", 10), ("36", 10), ("04", 10)],
    75: [("01", 900), ("22", 40), ("04", 20), ("07", 20), ("05", 10), ("32", 10)],
    79: [("01", 940), ("04", 50), ("05", 5), ("17", 5)],
    80: [("01", 980), ("05", 10), ("17", 5), ("04", 5)],
    82: [("01", 995), ("04", 5)],
    86: [("01", 880), ("05", 110), ("04", 10)],
    91: [("01", 870), ("05", 100), ("04", 20), ("17", 10)],
    92: [("01", 820), ("05", 150), ("04", 30)],
    96: [("01", 920), ("05", 50), ("04", 30)],
}  # fmt: skip
DEFAULT_ETHNIC_MIX = [("01", 995), ("06", 5)]

# Religion of the youth: province base (GSO 2008 codes) and ethnic overrides.
RELIGION_MIX: dict[int, list[tuple[str, int]]] = {
    91: [("00", 70), ("03", 15), ("01", 10), ("02", 2), ("05", 3)],
    80: [("00", 72), ("05", 15), ("01", 8), ("02", 5)],
    75: [("00", 70), ("02", 20), ("01", 8), ("08", 2)],
    37: [("00", 86), ("02", 12), ("01", 2)],
    79: [("00", 75), ("01", 10), ("02", 10), ("05", 2), ("08", 3)],
    92: [("00", 80), ("01", 12), ("03", 4), ("02", 2), ("05", 2)],
    86: [("00", 80), ("01", 9), ("02", 5), ("05", 4), ("08", 2)],
    82: [("00", 82), ("03", 6), ("01", 8), ("02", 2), ("05", 2)],
    46: [("00", 80), ("01", 16), ("02", 4)],
    52: [("00", 80), ("02", 10), ("08", 6), ("01", 4)],
    66: [("00", 75), ("02", 12), ("08", 10), ("01", 3)],
    68: [("00", 72), ("02", 16), ("08", 5), ("01", 7)],
    56: [("00", 85), ("01", 8), ("02", 7)],
    40: [("00", 94), ("02", 6)],
    42: [("00", 94), ("02", 6)],
    44: [("00", 93), ("02", 5), ("01", 2)],
}
DEFAULT_RELIGION_MIX = [("00", 92), ("01", 6), ("02", 2)]
ETHNIC_RELIGION: dict[str, list[tuple[str, int]]] = {
    "05": [("01", 95), ("00", 5)],
    "04": [("01", 40), ("00", 55), ("02", 5)],
    "08": [("00", 80), ("08", 20)],
    "12": [("00", 55), ("08", 30), ("02", 15)],
    "10": [("00", 60), ("08", 25), ("02", 15)],
    "13": [("00", 60), ("02", 30), ("08", 10)],
    "16": [("00", 50), ("02", 30), ("08", 20)],
}
CHAM_RELIGION = {91: [("04", 95), ("00", 5)], 80: [("04", 90), ("00", 10)], 79: [("04", 80), ("00", 20)]}
CHAM_RELIGION_DEFAULT = [("13", 50), ("04", 30), ("00", 20)]  # Ninh Thuận, Bình Thuận: Bà La Môn, Bani

# Mobile prefixes (all-valid ranges per `phonenumbers`), weighted roughly by subscribers.
PHONE_PREFIXES = [
    ("086", 4), ("096", 6), ("097", 7), ("098", 7), ("032", 3), ("033", 3), ("034", 3), ("035", 3), ("036", 3),
    ("037", 3), ("038", 3), ("039", 3), ("088", 3), ("091", 5), ("094", 4), ("081", 2), ("082", 2), ("083", 2),
    ("084", 2), ("085", 2), ("090", 5), ("093", 4), ("070", 2), ("076", 1), ("077", 2), ("078", 1), ("079", 2),
    ("056", 1), ("058", 1), ("092", 1),
]  # fmt: skip


@dataclass(frozen=True)
class Profile:
    """Who sits in one kind of branch: ages and what they do."""

    key: str
    min_age: int
    max_age: int
    occupations: tuple[tuple[str, bool, int], ...]  # (occupation, salaried, weight)
    professional: tuple[tuple[str, int], ...] = (("", 1),)
    student_association: float = 0.0


PROFILES: dict[str, Profile] = {
    "locality": Profile(
        "locality",
        16,
        30,
        (
            ("Lao động tự do", False, 18),
            ("Nông dân", False, 14),
            ("Công nhân", True, 16),
            ("Học sinh", False, 8),
            ("Sinh viên", False, 7),
            ("Kinh doanh tự do", False, 10),
            ("Nhân viên văn phòng", True, 8),
            ("Ngư dân", False, 3),
            ("Công chức", True, 4),
            ("Viên chức", True, 4),
            ("Kỹ thuật viên", True, 4),
            ("Bộ đội xuất ngũ", False, 2),
            ("Thợ may", False, 2),
        ),
        (("", 12), ("Trung cấp", 3), ("Cao đẳng", 3), ("Đại học", 4)),
    ),  # fmt: skip
    "school": Profile("school", 16, 18, (("Học sinh", False, 1),)),
    "university": Profile("university", 18, 24, (("Sinh viên", False, 1),), (("Đang học đại học", 1),), 0.7),
    "enterprise": Profile(
        "enterprise",
        18,
        30,
        (
            ("Công nhân", True, 14),
            ("Kỹ thuật viên", True, 4),
            ("Nhân viên văn phòng", True, 4),
            ("Kỹ sư", True, 2),
        ),
        (("", 6), ("Trung cấp", 3), ("Cao đẳng", 3), ("Đại học", 2)),
    ),  # fmt: skip
    "agency": Profile(
        "agency", 23, 30, (("Công chức", True, 3), ("Viên chức", True, 2)), (("Đại học", 5), ("Thạc sĩ", 1))
    ),
    "armed": Profile("armed", 18, 30, (("Chiến sĩ công an", True, 1), ("Quân nhân", True, 1))),
}


class _Pick:
    """Weighted choice with one random() call."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, weighted: list[tuple[Any, int]]):
        self.items = [item for item, _ in weighted]
        self.cum = []
        total = 0
        for _, w in weighted:
            total += w
            self.cum.append(total)
        self.total = total

    def __call__(self, r: float) -> Any:
        return self.items[bisect.bisect_right(self.cum, r * self.total)]


@dataclass
class NamePool:
    family: _Pick
    middle_m: _Pick
    middle_f: _Pick
    given_m: _Pick
    given_f: _Pick


class Cohort:
    """The people of one province: birth-registration codes, ethnic mix, religions, names."""

    def __init__(self, province_code: int):
        self.province_code = province_code
        self.home_codes = PROVINCE_CCCD_CODES.get(province_code, ["001"])
        self.ethnicity = _Pick(ETHNIC_MIX.get(province_code, DEFAULT_ETHNIC_MIX))
        religion_base = RELIGION_MIX.get(province_code, DEFAULT_RELIGION_MIX)
        self.religion: dict[str, _Pick] = {"": _Pick(religion_base)}
        for code, mix in ETHNIC_RELIGION.items():
            self.religion[code] = _Pick(mix)
        self.religion["17"] = _Pick(CHAM_RELIGION.get(province_code, CHAM_RELIGION_DEFAULT))
        regional = FAMILY_NORTH if province_code in NORTH_PROVINCES else FAMILY_SOUTH
        kinh_family = FAMILY_COMMON + regional
        self.names: dict[str, NamePool] = {}
        base = {
            "family": kinh_family,
            "middle_m": MIDDLE_M,
            "middle_f": MIDDLE_F,
            "given_m": GIVEN_M,
            "given_f": GIVEN_F,
        }
        for code in {code for code, _ in ETHNIC_MIX.get(province_code, DEFAULT_ETHNIC_MIX)} | {"01"}:
            spec = {**base, **ETHNIC_NAMES.get(code, {})}
            self.names[code] = NamePool(**{k: _Pick(v) for k, v in spec.items()})

    def religion_of(self, ethnicity: str, r: float) -> str:
        return (self.religion.get(ethnicity) or self.religion[""])(r)


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


STATUS_REASONS = {
    MemberStatus.AGED_OUT: "Trưởng thành Đoàn (đủ 30 tuổi)",
    MemberStatus.REMOVED: "Bỏ sinh hoạt 3 tháng trong năm không có lý do chính đáng",
    MemberStatus.LEFT: "Chuyển sinh hoạt ra ngoài hệ thống (đi lao động ở nước ngoài)",
    MemberStatus.DECEASED: "Từ trần",
}
ADMISSION_REASON = "Kết nạp vào Đoàn"


@dataclass
class BranchPlan:
    """One member-holding unit to fill: where, how many, with whom."""

    unit: Unit
    count: int
    cohort: Cohort
    profile: Profile
    ward_id: int | None = None


class PersonFactory:
    """Reproducible, valid, unique synthetic members (names, CCCD, phones, dates, statuses).

    CCCDs and phone numbers are unique by construction (a counter per prefix, spread over the
    random digits by a bijection), so nothing needs remembering: memory stays flat at any size.
    """

    def __init__(self, seed: int = 2026, today: date | None = None, *, status_rates: dict[str, float] | None = None):
        self.rnd = random.Random(seed)
        self.today = today or timezone.localdate()
        self.phone_prefix = _Pick(PHONE_PREFIXES)
        self.all_codes = sorted(vn.CCCD_PROVINCES_2016)
        self._cccd_next: dict[str, int] = {}
        self._phone_next: dict[str, int] = {}
        self._cohorts: dict[int, Cohort] = {}
        self.card_seq = 0
        rates = status_rates or {"aged_out": 0.35, "removed": 0.012, "left": 0.005, "deceased": 0.0005}
        self.rate_aged_out = rates["aged_out"]  # of those who turned 30
        self.rate_removed = rates["removed"]
        self.rate_left = self.rate_removed + rates["left"]
        self.rate_deceased = self.rate_left + rates["deceased"]
        self.decisions = [f"{n}-QĐ/ĐTN" for n in range(1, 401)]
        self.now = timezone.now()
        self._profiles: dict[str, tuple] = {}

    def cohort(self, province_code: int) -> Cohort:
        if province_code not in self._cohorts:
            self._cohorts[province_code] = Cohort(province_code)
        return self._cohorts[province_code]

    # ---- identity numbers
    def cccd(self, dob: date, sex: str, home_codes: list[str] | None = None) -> str:
        codes = home_codes or self.all_codes
        code = codes[int(self.rnd.random() * len(codes))] if self.rnd.random() < 0.9 else self.all_codes[
            int(self.rnd.random() * len(self.all_codes))
        ]  # fmt: skip
        d4 = ((dob.year - 1900) // 100) * 2 + (1 if sex == "F" else 0)
        for candidate in (code, *codes, *self.all_codes):
            prefix = f"{candidate}{d4}{dob.year % 100:02d}"
            n = self._cccd_next.get(prefix, 0)
            if n < 1_000_000:
                self._cccd_next[prefix] = n + 1
                salt = (int(prefix) * 7_919) % 1_000_000
                return f"{prefix}{(n * 609_359 + salt) % 1_000_000:06d}"
        raise ValueError("Hết số CCCD cho năm sinh này.")

    def phone(self) -> str:
        prefix = self.phone_prefix(self.rnd.random())
        n = self._phone_next.get(prefix, 0)
        if n >= 10_000_000:
            raise ValueError("Hết số điện thoại cho đầu số này.")
        self._phone_next[prefix] = n + 1
        return f"+84{prefix[1:]}{(n * 7_654_321 + 1_234_567) % 10_000_000:07d}"

    # ---- people
    def _profile_consts(self, profile: Profile) -> tuple:
        got = self._profiles.get(profile.key)
        if got is None:
            youngest = years_before(self.today, profile.min_age) - timedelta(days=5)
            oldest = years_before(self.today, profile.max_age + 1) + timedelta(days=1)
            occupations = _Pick([((occupation, salaried), w) for occupation, salaried, w in profile.occupations])
            got = (
                (self.today - youngest).days,
                (youngest - oldest).days,
                occupations,
                _Pick(list(profile.professional)),
            )
            self._profiles[profile.key] = got
        return got

    def members(self, plan: BranchPlan, first_id: int) -> Iterator[tuple[tuple, list[tuple]]]:
        """(row in MEMBER_COLUMNS order, status history) for each member of one branch."""
        r = self.rnd.random
        today = self.today
        cohort, profile = plan.cohort, plan.profile
        placement = placement_fields(plan.unit)
        min_days, span_days, occupation_pick, professional_pick = self._profile_consts(profile)
        eth_pick = cohort.ethnicity
        turned_30 = years_before(today, 30)
        decisions = self.decisions
        ward = plan.ward_id
        positions = ["secretary", "deputy_secretary", "committee"]
        for k in range(plan.count):
            sex = "M" if r() < 0.5 else "F"
            ethnicity = eth_pick(r())
            names = cohort.names.get(ethnicity) or cohort.names["01"]
            if sex == "M":
                full = f"{names.family(r())} {names.middle_m(r())} {names.given_m(r())}"
            else:
                full = f"{names.family(r())} {names.middle_f(r())} {names.given_f(r())}"
            if "' " in full:  # H' and K' are written joined to the next word: H'Hen, K'Brơi
                full = full.replace("' ", "'")
            derived = name_fields(full)
            dob = today - timedelta(days=min_days + int(r() * span_days))
            eligible = dob + timedelta(days=16 * 365 + 5)  # past the 16th birthday whatever the leap years
            admitted = eligible + timedelta(days=int((today - eligible).days * r() ** 2))
            decision = decisions[int(r() * 400)]
            occupation, salaried = occupation_pick(r())
            history = [(MemberStatus.ACTIVE, "", admitted, decision, ADMISSION_REASON)]
            status, since = MemberStatus.ACTIVE, admitted
            if k >= 3:  # the branch's committee stays on the rolls
                x = r()
                if dob <= turned_30 and x < self.rate_aged_out:
                    birthday = years_after(dob, 30)
                    day = min(today, birthday + timedelta(days=int(r() * 90)))
                    if day > admitted:
                        status, since = MemberStatus.AGED_OUT, day
                elif x < self.rate_deceased:
                    new = (
                        MemberStatus.REMOVED if x < self.rate_removed
                        else MemberStatus.LEFT if x < self.rate_left else MemberStatus.DECEASED
                    )  # fmt: skip
                    room = (today - admitted).days
                    if room > 200:
                        status, since = new, admitted + timedelta(days=180 + int(r() * (room - 180)))
                if status != MemberStatus.ACTIVE:
                    history.append((status, MemberStatus.ACTIVE, since, "", STATUS_REASONS[status]))
            age = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
            if profile.key == "school":
                education = f"{min(12, max(10, age - 6))}/12"
            else:
                education = "12/12" if age >= 18 else f"{max(10, age - 6)}/12"
            self.card_seq += 1
            row = (
                first_id + k, *placement, *derived, dob, sex, ethnicity, cohort.religion_of(ethnicity, r()),
                self.cccd(dob, sex, cohort.home_codes), self.phone() if r() < 0.85 else "", ward, ward, education,
                professional_pick(r()), occupation, salaried, positions[k] if k < 3 else "member",
                f"{cohort.province_code:02d}{self.card_seq:08d}", admitted, decision, r() < 0.4,
                r() < profile.student_association, status, since,
            )  # fmt: skip
            yield row, history


def load_members(
    plans: Iterable[BranchPlan], *, factory: PersonFactory, actor_id: int | None = None, expected: int = 0,
    progress: Progress | None = None, every: int = 500_000, on_row: Callable[[tuple], None] | None = None,
) -> LoadReport:  # fmt: skip
    """Generate and write the members of `plans` (ids from next_id(Member) up), with records and rollups."""
    say = progress or (lambda _msg: None)
    member_id = next_id(Member)
    started = time.monotonic()
    next_report = every
    load = MemberLoad(actor_id=actor_id, expected=expected, progress=say)
    with load:
        for plan in plans:
            for row, history in factory.members(plan, member_id):
                load.add(row, history)
                if on_row is not None:
                    on_row(row)
            member_id += plan.count
            if load.report.members >= next_report:
                next_report += every
                elapsed = time.monotonic() - started
                done = load.report.members
                say(f"  {vi_int(done):>10} đoàn viên  {elapsed:6.1f}s  {vi_int(round(done / elapsed)):>8}/s")
    say(f"  {vi_int(load.report.members)} đoàn viên ghi xong ({time.monotonic() - started:.1f}s)")
    return load.finish()


def copy_baseline(sample: int = 300_000) -> float:
    """Raw COPY speed (rows/s) of already loaded member rows into a bare temporary table (PostgreSQL only).

    The same rows, the same columns, no index, no constraint, no WAL: what COPY alone costs on this
    machine, to compare a load against.
    """
    if not is_postgres():
        return 0.0
    import tempfile

    table = connection.ops.quote_name(Member._meta.db_table)
    with tempfile.TemporaryFile() as spool, connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY (SELECT * FROM {table} ORDER BY id LIMIT {int(sample)}) TO STDOUT") as copy:
            for block in copy:
                spool.write(block)
        raw.execute(f"CREATE TEMP TABLE bench_copy_baseline AS SELECT * FROM {table} WHERE false")
        spool.seek(0)
        rows = min(sample, Member.objects.count())
        started = time.monotonic()
        with raw.copy("COPY bench_copy_baseline FROM STDIN") as copy:
            while block := spool.read(1 << 20):
                copy.write(block)
        seconds = time.monotonic() - started
        raw.execute("DROP TABLE bench_copy_baseline")
    return rows / seconds if seconds else 0.0

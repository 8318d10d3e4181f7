"""Dashboard rollups (MemberFacet, MemberEvent): kept exact in the transaction of every member write.

A row keyed by unit holds the figure of the unit's whole subtree, so a dashboard reads the unit's
rows and its children's (a few thousand small rows at most) whatever the number of members. A
member change therefore touches the rows of each ancestor of its branch, the root excepted: its
figures are the sum of its children's, which also spares every write a lock on one national row.

Branches (the units that hold members, MEMBER_HOLDING_KINDS) keep no rows: a branch's figures
are counted live from its few dozen members (`live_figures`: four grouped queries for all the
branches of a page, a few milliseconds) and spares the tables nine rows in ten (a branch has a row per month in which any of its members
was admitted). Deltas are summed in a Counter, so a move between two branches of one commune
touches no row, and written with one upsert per table.

Callers (members.services, members.bulk, tree moves) hand in member rows; nothing here checks
permissions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from doanso.organisations.choices import MEMBER_HOLDING_KINDS
from doanso.organisations.models import Unit

from .choices import CURRENT_STATUSES, MemberStatus
from .models import (
    Member,
    MemberEvent,
    MemberFacet,
    MemberStatusRecord,
    MemberUnitChange,
    RegisterLock,
    subtree_filter,
)

# Member fields the facets depend on (what members_relocate / member_update must read).
FACET_FIELDS = ("unit_id", "status", "sex", "ethnicity_id", "religion_id", "date_of_birth", "party_joined_on")
FACET_DIMS = ("status", "sex", "eth", "rel", "born", "party")
STATUS_EVENT_KINDS = ("aged_out", "removed", "expelled", "deceased", "left")
EVENT_KINDS = ("admitted", "transfer_in", "transfer_out", *STATUS_EVENT_KINDS)
TRANSFER_KINDS = ("transfer_in", "transfer_out")
_CURRENT = {str(s) for s in CURRENT_STATUSES}


def facet_keys(row: Mapping[str, Any] | Any) -> list[tuple[str, str]]:
    """(dim, key) pairs a member counts in: status always, the rest while on the rolls."""
    get = row.get if isinstance(row, Mapping) else lambda f: getattr(row, f)
    status = str(get("status"))
    keys = [("status", status)]
    if status in _CURRENT:
        dob = get("date_of_birth")
        keys += [("sex", get("sex")), ("eth", get("ethnicity_id")), ("rel", get("religion_id")),
                 ("born", str(dob.year))]  # fmt: skip
        if get("party_joined_on"):
            keys.append(("party", "1"))
    return keys


def event_kind(status: str, previous_status: str) -> str | None:
    if status == MemberStatus.ACTIVE and not previous_status:
        return "admitted"
    return str(status) if status in STATUS_EVENT_KINDS else None


HOLDING_KINDS = tuple(sorted(str(k) for k in MEMBER_HOLDING_KINDS))


def keeps_rows(unit: Unit) -> bool:
    """Whether `unit`'s figures are rows of the rollup tables (not counted live: a branch, the root)."""
    return unit.depth > 0 and unit.kind not in MEMBER_HOLDING_KINDS


def path_chain(path: str) -> list[int]:
    """Ancestors-or-self of the unit at `path`, below the root."""
    return [int(p) for p in path.strip("/").split("/") if p][1:]


def unit_chain(path: str, kind: str) -> list[int]:
    """The units whose rows a member of the unit at `path` counts in: path_chain without the unit
    itself when it is a branch (branches keep no rows)."""
    chain = path_chain(path)
    return chain[:-1] if kind in MEMBER_HOLDING_KINDS else chain


class Chains:
    """unit id -> unit_chain, read once per operation."""

    def __init__(self, unit_ids: Iterable[int] = ()):
        self._paths: dict[int, list[int]] = {}
        self.need(unit_ids)

    def need(self, unit_ids: Iterable[int]) -> None:
        missing = set(unit_ids) - set(self._paths)
        if missing:
            for pk, path, kind in Unit.objects.filter(pk__in=missing).values_list("pk", "path", "kind"):
                self._paths[pk] = unit_chain(path, kind)

    def __getitem__(self, unit_id: int) -> list[int]:
        if unit_id not in self._paths:
            self.need([unit_id])
        return self._paths[unit_id]


class Deltas:
    """Changes to both rollups, summed, then written at once (`apply`)."""

    def __init__(self, chains: Chains | None = None):
        self.chains = chains or Chains()
        self.facets: Counter = Counter()
        self.events: Counter = Counter()

    def member(self, row, sign: int, unit_id: int | None = None) -> None:
        unit_id = unit_id if unit_id is not None else (row["unit_id"] if isinstance(row, Mapping) else row.unit_id)
        keys = facet_keys(row)
        for unit in self.chains[unit_id]:
            for dim, key in keys:
                self.facets[(unit, dim, key)] += sign

    def event(self, unit_id: int, on: date, kind: str, sign: int = 1) -> None:
        for unit in self.chains[unit_id]:
            self.events[(unit, on.year, on.month, kind)] += sign

    def transfer(self, from_unit_id: int, to_unit_id: int, on: date, sign: int = 1) -> None:
        before, after = set(self.chains[from_unit_id]), set(self.chains[to_unit_id])
        for unit in after - before:
            self.events[(unit, on.year, on.month, "transfer_in")] += sign
        for unit in before - after:
            self.events[(unit, on.year, on.month, "transfer_out")] += sign

    def apply(self) -> None:
        _upsert(MemberFacet, ["unit_id", "dim", "key"], self.facets)
        _upsert(MemberEvent, ["unit_id", "year", "month", "kind"], self.events)
        self.facets.clear()
        self.events.clear()


def _upsert(model, key_columns: list[str], deltas: Counter, chunk: int = 2000) -> None:
    """count += delta per key, one statement per chunk (PostgreSQL and SQLite ≥ 3.24 alike).
    Sorted keys keep concurrent writers from deadlocking on each other's rows."""
    rows = sorted((*k, d) for k, d in deltas.items() if d)
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in [*key_columns, "count"])
    conflict = ", ".join(connection.ops.quote_name(c) for c in key_columns)
    placeholder = "(" + ", ".join(["%s"] * (len(key_columns) + 1)) + ")"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement whatever the number of rows: a column array per column, unnested.
            types = [model._meta.get_field(c).db_type(connection).split("(")[0] for c in [*key_columns, "count"]]
            arrays = ", ".join(f"%s::{t}[]" for t in types)
            cursor.execute(
                f"INSERT INTO {table} ({cols}) SELECT * FROM unnest({arrays}) "
                f"ON CONFLICT ({conflict}) DO UPDATE SET count = {table}.count + EXCLUDED.count",
                [list(column) for column in zip(*rows, strict=True)],
            )
            return
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            cursor.execute(
                f"INSERT INTO {table} ({cols}) VALUES {', '.join([placeholder] * len(part))} "
                f"ON CONFLICT ({conflict}) DO UPDATE SET count = {table}.count + EXCLUDED.count",
                [v for row in part for v in row],
            )


# ---------------------------------------------------------------- hooks for the member services


def status_event_rows(member_ids: Iterable[int]) -> list[tuple[int, str, str, date]]:
    """(member_id, status, previous_status, effective_on) of the records that count as events."""
    ids = list(member_ids)
    if not ids:
        return []
    return list(
        MemberStatusRecord.objects.filter(member_id__in=ids)
        .filter(Q(status=MemberStatus.ACTIVE, previous_status="") | Q(status__in=STATUS_EVENT_KINDS))
        .values_list("member_id", "status", "previous_status", "effective_on")
    )


def require_register_open() -> None:
    """Refuse a member write that counts in the figures while a first load holds the register."""
    lock = RegisterLock.objects.order_by("id").first()
    if lock is not None:
        started = timezone.localtime(lock.started_at)
        raise ValidationError({
            "__all__": f"Sổ đoàn viên đang được nạp lần đầu ({lock.reason}, từ {started:%H:%M %d/%m/%Y}): "
            "chưa thể thêm, sửa, chuyển hay đổi tình trạng đoàn viên cho đến khi nạp xong."
        })  # fmt: skip


def on_created(members: Iterable[Member]) -> None:
    """New records (each with its first status record, effective on the admission date)."""
    require_register_open()
    members = list(members)
    d = Deltas(Chains({m.unit_id for m in members}))
    for m in members:
        d.member(m, +1)
        if m.admitted_on:
            d.event(m.unit_id, m.admitted_on, "admitted")
    d.apply()


def on_status_changed(changes: Iterable[tuple[Member, str, date]]) -> None:
    """(member as it was, new status, effective date) for each status change."""
    require_register_open()
    changes = list(changes)
    d = Deltas(Chains({m.unit_id for m, _, _ in changes}))
    for m, status, on in changes:
        d.member(m, -1)
        after = {f: getattr(m, f) for f in FACET_FIELDS}
        after["status"] = status
        d.member(after, +1)
        kind = event_kind(status, m.status)
        if kind:
            d.event(m.unit_id, on, kind)
    d.apply()


def on_updated(before: Mapping[str, Any], member: Member) -> None:
    """An edit of the record (sex, ethnicity, religion, date of birth, Party date…)."""
    require_register_open()
    after = {f: getattr(member, f) for f in FACET_FIELDS}
    if facet_keys(before) == facet_keys(after):
        return
    d = Deltas()
    d.member(before, -1)
    d.member(after, +1)
    d.apply()


def on_relocated(rows: list[Mapping[str, Any]], to_unit_id: int, on: date, *, is_transfer: bool) -> None:
    """Members (FACET_FIELDS + "id") moved from their unit to `to_unit_id`: figures and the status
    events held for them follow; a transfer also counts in and out."""
    require_register_open()
    rows = [r for r in rows if r["unit_id"] != to_unit_id]
    if not rows:
        return
    d = Deltas(Chains({r["unit_id"] for r in rows} | {to_unit_id}))
    from_of = {r["id"]: r["unit_id"] for r in rows}
    for r in rows:
        d.member(r, -1)
        d.member(r, +1, unit_id=to_unit_id)
        if is_transfer:
            d.transfer(r["unit_id"], to_unit_id, on)
    for member_id, status, previous, effective_on in status_event_rows(from_of):
        kind = event_kind(status, previous)
        d.event(from_of[member_id], effective_on, kind, -1)
        d.event(to_unit_id, effective_on, kind, +1)
    d.apply()


def on_subtree_moved(root: Unit, old_path: str) -> None:
    """`root`'s subtree moved from `old_path` to `root.path`: the ancestors it left lose its rows and
    the ones it joined gain them; their transfer counts are recounted (a transfer between the
    subtree and a unit it now shares an ancestor with is no longer in/out for that ancestor)."""
    require_register_open()
    if old_path == root.path:
        return
    before = set(path_chain(old_path)) - {root.pk}
    after = set(path_chain(root.path)) - {root.pk}
    left, joined = before - after, after - before
    if not (left or joined):
        return
    if keeps_rows(root):
        own_facets = MemberFacet.objects.filter(unit=root).values_list("dim", "key", "count")
        own_events = (
            MemberEvent.objects.filter(unit=root)
            .exclude(kind__in=TRANSFER_KINDS)
            .values_list("year", "month", "kind", "count")
        )
    else:  # a branch: its figures are its members'
        live = live_figures([root.pk])[root.pk]
        own_facets = [(*k, n) for k, n in live.facets.items()]
        own_events = [(*k, n) for k, n in live.events.items() if k[2] not in TRANSFER_KINDS]
    facets: Counter = Counter()
    for dim, key, n in own_facets:
        for unit in left:
            facets[(unit, dim, key)] -= n
        for unit in joined:
            facets[(unit, dim, key)] += n
    events: Counter = Counter()
    for year, month, kind, n in own_events:
        for unit in left:
            events[(unit, year, month, kind)] -= n
        for unit in joined:
            events[(unit, year, month, kind)] += n
    _upsert(MemberFacet, ["unit_id", "dim", "key"], facets)
    _upsert(MemberEvent, ["unit_id", "year", "month", "kind"], events)
    transfers_recount(Unit.objects.filter(pk__in=left | joined))


# ---------------------------------------------------------------- branches, live


@dataclass
class Live:
    """A branch's figures as the rollups would hold them: facets by (dim, key), events by
    (year, month, kind)."""

    facets: Counter = field(default_factory=Counter)
    events: Counter = field(default_factory=Counter)


def live_figures(unit_ids: Iterable[int], year: int | None = None) -> dict[int, Live]:
    """The figures of branches (units whose members are their own: no sub-units) counted from
    their members, their status records and their transfers, in the rollups' own terms: a member's
    facets by `facet_keys`, its status events where it is now (they follow it when it moves, as
    `on_relocated` moves them), a transfer in or out of the branch in the month it took effect.
    `year`: only that year's events. Four grouped queries whatever the number of branches, reading
    only the branches' members (the member table's unit index) and their records and transfers."""
    ids = list(unit_ids)
    out = {pk: Live() for pk in ids}
    if not ids:
        return out
    members = Member.objects.filter(unit_id__in=ids)
    grouped = (
        members.values_list("unit_id", "status", "sex", "ethnicity_id", "religion_id", "date_of_birth__year")
        .annotate(n=Count("id"), party=Count("id", filter=Q(party_joined_on__isnull=False)))
        .order_by()
    )
    for unit_id, status, sex, eth, rel, born, n, party in grouped:
        facets = out[unit_id].facets
        facets[("status", status)] += n
        if status in _CURRENT:
            facets[("sex", sex)] += n
            facets[("eth", eth)] += n
            facets[("rel", rel)] += n
            facets[("born", str(born))] += n
            if party:
                facets[("party", "1")] += party
    records = MemberStatusRecord.objects.filter(member__unit_id__in=ids).filter(
        Q(status=MemberStatus.ACTIVE, previous_status="") | Q(status__in=STATUS_EVENT_KINDS)
    )
    moves = MemberUnitChange.objects.filter(unit_change__isnull=True)
    if year is not None:
        records, moves = records.filter(effective_on__year=year), moves.filter(effective_on__year=year)
    grouped = records.values_list("member__unit_id", "status", "effective_on__year", "effective_on__month")
    for unit_id, status, y, m, n in grouped.annotate(n=Count("id")).order_by():
        out[unit_id].events[(y, m, "admitted" if status == MemberStatus.ACTIVE else status)] += n
    for kind, inside, outside in (("transfer_in", "to_unit_id", "from_unit_id"),
                                  ("transfer_out", "from_unit_id", "to_unit_id")):  # fmt: skip
        grouped = (
            moves.filter(**{f"{inside}__in": ids})
            .exclude(**{outside: F(inside)})
            .values_list(inside, "effective_on__year", "effective_on__month")
            .annotate(n=Count("id"))
            .order_by()
        )
        for unit_id, y, m, n in grouped:
            out[unit_id].events[(y, m, kind)] += n
    return out


# ---------------------------------------------------------------- recounts


def transfers_recount(units: Iterable[Unit]) -> None:
    """Rebuild the transfer_in / transfer_out rows of `units` from MemberUnitChange."""
    for unit in units:
        if not keeps_rows(unit):
            continue
        MemberEvent.objects.filter(unit=unit, kind__in=TRANSFER_KINDS).delete()
        counts: Counter = Counter()
        qs = MemberUnitChange.objects.filter(unit_change__isnull=True).filter(
            Q(from_unit__path__startswith=unit.path) | Q(to_unit__path__startswith=unit.path)
        )
        for on, src, dst in qs.values_list("effective_on", "from_unit__path", "to_unit__path").iterator():
            inside_src, inside_dst = src.startswith(unit.path), dst.startswith(unit.path)
            if inside_dst and not inside_src:
                counts[(unit.pk, on.year, on.month, "transfer_in")] += 1
            elif inside_src and not inside_dst:
                counts[(unit.pk, on.year, on.month, "transfer_out")] += 1
        _upsert(MemberEvent, ["unit_id", "year", "month", "kind"], counts)


def _unit_recount(unit: Unit) -> None:
    """One unit's rows from the raw tables (its subtree's members, their records and transfers)."""
    MemberFacet.objects.filter(unit=unit).delete()
    MemberEvent.objects.filter(unit=unit).exclude(kind__in=TRANSFER_KINDS).delete()
    members = Member.objects.filter(subtree_filter(unit))
    facets: Counter = Counter()
    for status, n in members.values_list("status").annotate(n=Count("id")).order_by():
        facets[(unit.pk, "status", status)] = n
    current = members.filter(status__in=list(_CURRENT))
    for column, dim in (("sex", "sex"), ("ethnicity_id", "eth"), ("religion_id", "rel")):
        for value, n in current.values_list(column).annotate(n=Count("id")).order_by():
            facets[(unit.pk, dim, value)] = n
    for dob, n in current.values_list("date_of_birth__year").annotate(n=Count("id")).order_by():
        facets[(unit.pk, "born", str(dob))] += n
    facets[(unit.pk, "party", "1")] = current.filter(party_joined_on__isnull=False).count()
    events: Counter = Counter()
    records = MemberStatusRecord.objects.filter(member__in=members).filter(
        Q(status=MemberStatus.ACTIVE, previous_status="") | Q(status__in=STATUS_EVENT_KINDS)
    )
    grouped = records.values_list("status", "effective_on__year", "effective_on__month").annotate(n=Count("id"))
    for status, year, month, n in grouped.order_by():
        events[(unit.pk, year, month, "admitted" if status == MemberStatus.ACTIVE else status)] += n
    _upsert(MemberFacet, ["unit_id", "dim", "key"], facets)
    _upsert(MemberEvent, ["unit_id", "year", "month", "kind"], events)
    transfers_recount([unit])


@transaction.atomic
def dashboards_recount(units: Iterable[Unit] | None = None) -> int:
    """Rebuild the dashboard rollups from the raw tables: of `units` (each a subtree figure), or all.

    Returns the number of units recounted (branches keep no rows: see `live_figures`). The whole
    tree is rebuilt set-based (see `load_added`)."""
    if units is None:
        MemberFacet.objects.all().delete()
        MemberEvent.objects.all().delete()
        load_added()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in (MemberFacet, MemberEvent):
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        return Unit.objects.filter(depth__gt=0).exclude(kind__in=HOLDING_KINDS).count()
    n = 0
    for unit in units:
        if keeps_rows(unit):
            _unit_recount(unit)
            n += 1
    return n


# ---------------------------------------------------------------- set-based (bulk loads, full rebuild)


def _year(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(YEAR FROM {column}) AS integer)"
    return f"CAST(strftime('%%Y', {column}) AS integer)"


def _month(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(MONTH FROM {column}) AS integer)"
    return f"CAST(strftime('%%m', {column}) AS integer)"


def _text(expr: str) -> str:
    return f"CAST({expr} AS varchar(16))" if connection.vendor == "postgresql" else f"CAST({expr} AS text)"


def _merge(cursor, source: str, model, columns: list[str], *, fresh: bool) -> None:
    """Add scratch table `source` (unit_id, *columns, n: one row per unit and key) to `model`'s
    counts: the rows already there are updated, the others inserted, in index order (`fresh`: the
    caller emptied the table, so all are inserted). The caller holds the table lock
    (`load_added`), so a plain INSERT does without ON CONFLICT, whose per-row speculative
    insertion takes about twice as long at millions of rows."""
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    cols = ", ".join(f"s.{q(c)}" for c in ["unit_id", *columns])
    match = " AND ".join(f"t.{q(c)} = s.{q(c)}" for c in ["unit_id", *columns])
    insert = (
        f"INSERT INTO {table} (unit_id, {', '.join(q(c) for c in columns)}, count) SELECT {cols}, s.n FROM {source} s"
    )
    if fresh:
        cursor.execute(f"{insert} ORDER BY {cols}")
        return
    cursor.execute(f"UPDATE {table} AS t SET count = t.count + s.n FROM {source} s WHERE {match}")
    cursor.execute(f"{insert} WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {match}) ORDER BY {cols}")


def _add_up(cursor, leaf: str, model, columns: list[str], *, fresh: bool) -> None:
    """Add scratch table `leaf` (unit_id, *columns, n: one row per unit and key, counting the unit's
    own members and its branches') to `model`'s rows, with every ancestor's below the root.

    The ancestors' rows are summed level by level (a parent's rows are the sum of its children's),
    which reads each level once instead of every leaf row once per ancestor."""
    q = connection.ops.quote_name
    unit_t = q(Unit._meta.db_table)
    keys = ", ".join(q(c) for c in columns)
    xk = ", ".join(f"x.{q(c)}" for c in columns)
    # dash_up: what each unit (below the root) gets from its children, tagged with its depth.
    cursor.execute(
        f"CREATE TEMP TABLE dash_up AS SELECT u.parent_id AS unit_id, u.depth - 1 AS depth, {xk}, SUM(x.n) AS n "
        f"FROM {leaf} x JOIN {unit_t} u ON u.id = x.unit_id WHERE u.depth > 1 GROUP BY u.parent_id, u.depth, {xk}"
    )
    cursor.execute("SELECT MAX(depth) FROM dash_up")
    for depth in range((cursor.fetchone()[0] or 0), 1, -1):
        cursor.execute(
            f"INSERT INTO dash_up SELECT u.parent_id, u.depth - 1, {xk}, SUM(x.n) FROM dash_up x "
            f"JOIN {unit_t} u ON u.id = x.unit_id WHERE x.depth = %s GROUP BY u.parent_id, u.depth, {xk}",
            [depth],
        )
    cursor.execute(
        f"""CREATE TEMP TABLE dash_sum AS SELECT unit_id, {keys}, SUM(n) AS n FROM (
                SELECT unit_id, {keys}, n FROM {leaf} UNION ALL SELECT unit_id, {keys}, n FROM dash_up) x
            WHERE unit_id IN (SELECT id FROM {unit_t} WHERE depth > 0)
            GROUP BY unit_id, {keys}"""
    )
    cursor.execute("DROP TABLE dash_up")
    if connection.vendor == "postgresql":
        cursor.execute("ANALYZE dash_sum")
    _merge(cursor, "dash_sum", model, columns, fresh=fresh)
    cursor.execute("DROP TABLE dash_sum")


@transaction.atomic
def load_added(first_id: int | None = None, last_id: int | None = None, *, admitted_from_members: bool = False) -> None:
    """Add the figures of members `first_id`..`last_id` (all when None) and their status records to
    the rollups, set-based: GROUP BYs per unit above the branches (a branch's members count in its
    parent's) into scratch tables, then summed up the tree (`_add_up`). `first_id` None rebuilds
    everything: the caller has emptied both tables (`dashboards_recount`), and the transfers are
    recounted too (they are not loaded in bulk).
    `admitted_from_members`: each of these members has one status record, its admission on its
    admitted_on (an import), so the admission events are counted from the member rows alone,
    without joining the status records.

    On PostgreSQL both rollup tables are locked against other writers (not readers) until the
    caller's transaction ends: bulk loads, first loads and full rebuilds are what call this."""
    q = connection.ops.quote_name
    member, record, muc = (q(m._meta.db_table) for m in (Member, MemberStatusRecord, MemberUnitChange))
    event, unit_t = q(MemberEvent._meta.db_table), q(Unit._meta.db_table)
    where, params = "1=1", []
    if first_id is not None:
        where, params = "m.id BETWEEN %s AND %s", [first_id, last_id]
    current = "p.status IN (" + ", ".join(f"'{k}'" for k in sorted(_CURRENT)) + ")"
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute(f"LOCK TABLE {q(MemberFacet._meta.db_table)}, {event} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute("SET LOCAL work_mem = '256MB'")  # the GROUP BYs' hash tables: millions of groups
        for table in ("dash_anc", "dash_prof", "dash_leaf", "dash_ev", "dash_up", "dash_sum"):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        # A member counts first in its unit's rows, or in its branch's parent's: branches keep none.
        kinds = ", ".join(f"'{k}'" for k in HOLDING_KINDS)
        owner = (
            f"JOIN (SELECT id, CASE WHEN kind IN ({kinds}) THEN parent_id ELSE id END AS owner FROM {unit_t}) o "
            "ON o.id = m.unit_id"
        )
        # Every member's (dim, key) pairs: the members are first grouped by profile (the fields the
        # facets read), and each profile joined with the dims it counts in (status always, the rest
        # while on the rolls): a few hundred thousand profiles instead of millions of members.
        cursor.execute(
            f"""CREATE TEMP TABLE dash_prof AS SELECT o.owner AS unit_id, m.status AS status, m.sex AS sex,
                    m.ethnicity_id AS eth, m.religion_id AS rel, {_year("m.date_of_birth")} AS born,
                    CASE WHEN m.party_joined_on IS NULL THEN 0 ELSE 1 END AS party, COUNT(*) AS n
                FROM {member} m {owner} WHERE {where} GROUP BY o.owner, m.status, m.sex, m.ethnicity_id,
                    m.religion_id, {_year("m.date_of_birth")}, CASE WHEN m.party_joined_on IS NULL THEN 0 ELSE 1 END""",
            params,
        )
        dims = " UNION ALL ".join(f"SELECT '{d}' AS dim" for d in FACET_DIMS)
        key = (
            "CASE d.dim WHEN 'status' THEN p.status WHEN 'sex' THEN p.sex WHEN 'eth' THEN p.eth "
            f"WHEN 'rel' THEN p.rel WHEN 'born' THEN {_text('p.born')} ELSE '1' END"
        )
        cursor.execute(
            f"""CREATE TEMP TABLE dash_leaf AS SELECT p.unit_id AS unit_id, {_text("d.dim")} AS dim,
                    {_text(key)} AS {q("key")}, SUM(p.n) AS n
                FROM dash_prof p JOIN ({dims}) d
                  ON d.dim = 'status' OR ({current} AND (d.dim <> 'party' OR p.party = 1))
                GROUP BY p.unit_id, d.dim, {key}"""
        )
        cursor.execute("DROP TABLE dash_prof")
        _add_up(cursor, "dash_leaf", MemberFacet, ["dim", "key"], fresh=first_id is None)
        cursor.execute("DROP TABLE dash_leaf")
        if admitted_from_members:
            year, month, kind = _year("m.admitted_on"), _month("m.admitted_on"), "'admitted'"
            rows, only, by = f"{member} m {owner}", "", ""
        else:
            year, month = _year("r.effective_on"), _month("r.effective_on")
            kind = "CASE WHEN r.status = 'active' THEN 'admitted' ELSE r.status END"
            statuses = ", ".join(f"'{k}'" for k in STATUS_EVENT_KINDS)
            rows = f"{record} r JOIN {member} m ON m.id = r.member_id {owner}"
            only = f" AND ((r.status = 'active' AND r.previous_status = '') OR r.status IN ({statuses}))"
            by = f", {kind}"
        cursor.execute(
            f"""CREATE TEMP TABLE dash_ev AS SELECT o.owner AS unit_id, {year} AS {q("year")},
                    {month} AS {q("month")}, {_text(kind)} AS kind, COUNT(*) AS n
                FROM {rows} WHERE {where}{only} GROUP BY o.owner, {year}, {month}{by}""",
            params,
        )
        _add_up(cursor, "dash_ev", MemberEvent, ["year", "month", "kind"], fresh=first_id is None)
        cursor.execute("DROP TABLE dash_ev")
        if first_id is None:
            # Every unit's ancestors below the root, for the transfers in and out of each.
            cursor.execute("CREATE TEMP TABLE dash_anc (unit_id integer NOT NULL, anc_id integer NOT NULL)")
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"""INSERT INTO dash_anc SELECT u.id, CAST(a.x AS integer)
                        FROM {unit_t} u, unnest(string_to_array(trim(both '/' from u.path), '/')) WITH ORDINALITY a(x, i)
                        WHERE a.i > 1"""
                )
            else:
                pairs = [(pk, anc) for pk, path in Unit.objects.values_list("pk", "path") for anc in path_chain(path)]
                cursor.executemany("INSERT INTO dash_anc VALUES (%s, %s)", pairs)
            # Branches count their transfers live.
            cursor.execute(f"DELETE FROM dash_anc WHERE anc_id IN (SELECT id FROM {unit_t} WHERE kind IN ({kinds}))")
            cursor.execute("CREATE INDEX dash_anc_unit ON dash_anc (unit_id)")
            if postgres:
                cursor.execute("ANALYZE dash_anc")
            year, month = _year("t.effective_on"), _month("t.effective_on")
            for kind, inside, outside in (("transfer_in", "to_unit_id", "from_unit_id"),
                                          ("transfer_out", "from_unit_id", "to_unit_id")):  # fmt: skip
                cursor.execute(
                    f"""INSERT INTO {event} (unit_id, year, month, kind, count)
                        SELECT a.anc_id, {year}, {month}, '{kind}', COUNT(*)
                        FROM {muc} t JOIN dash_anc a ON a.unit_id = t.{inside}
                        WHERE t.unit_change_id IS NULL AND NOT EXISTS (
                            SELECT 1 FROM dash_anc b WHERE b.unit_id = t.{outside} AND b.anc_id = a.anc_id)
                        GROUP BY a.anc_id, {year}, {month}
                        ON CONFLICT (unit_id, year, month, kind) DO UPDATE SET count = {event}.count + EXCLUDED.count""",
                    [],
                )
            cursor.execute("DROP TABLE dash_anc")

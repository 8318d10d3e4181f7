"""Reads of the dashboards: a unit's whole-subtree figures and each child unit's, live from the rollups.

The member services keep `MemberFacet` / `MemberEvent` (members.rollups) exact in the transaction
of every write, one row per unit and key holding the figure of the unit's subtree; a dashboard is
therefore a handful of small queries whatever the size of the subtree (the national one included).
Branches keep no rows: theirs are counted from their members (`rollups.live_figures`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from doanso.core.models import Ethnicity, Religion
from doanso.core.scope import require
from doanso.members import rollups
from doanso.members.choices import AGE_BANDS, AgeBand, MemberStatus
from doanso.members.models import MemberEvent, MemberFacet
from doanso.organisations.models import Unit

EVENT_LABELS = {
    "admitted": "Kết nạp mới",
    "transfer_in": "Chuyển đến",
    "transfer_out": "Chuyển đi",
    "aged_out": "Trưởng thành Đoàn",
    "removed": "Xóa tên",
    "expelled": "Khai trừ",
    "deceased": "Từ trần",
    "left": "Ra khỏi hệ thống",
}
MAIN_EVENTS = ("admitted", "transfer_in", "transfer_out", "aged_out", "removed")
TOP_ETHNICITIES = 5
TOP_RELIGIONS = 4
OTHERS = "other"


@dataclass
class Figures:
    """Raw figures: per unit id (None = the whole subtree) a Counter per dimension."""

    unit: Unit
    year: int
    children: list[Unit]
    facets: dict[int | None, dict[str, Counter]]
    events: dict[int | None, Counter]  # kind -> count in `year`
    months: dict[str, list[int]]  # kind -> 12 monthly counts in `year` (the whole subtree)


@dataclass
class Row:
    unit: Unit
    values: list[int]

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass
class Table:
    code: str
    title: str
    columns: list[tuple[str, str]]  # (key, label)
    total: list[int]
    rows: list[Row] = field(default_factory=list)
    stacked: bool = True  # a share of the members (a stacked bar) or separate counts

    @property
    def grand(self) -> int:
        return sum(self.total)


def dashboard_figures(*, actor: Any, unit: Unit, year: int | None = None) -> Figures:
    """The figures of `unit`'s subtree and of each child unit (live): three queries for the units
    that keep rollup rows, four more for the branches among them (counted from their members)."""
    require(actor, "member.view", unit)
    year = year or timezone.localdate().year
    children = list(Unit.objects.filter(parent=unit).only("pk", "name", "path", "depth", "closed_on", "kind"))
    units = [*children, *([unit] if unit.depth > 0 else [])]
    ids = [u.pk for u in units if rollups.keeps_rows(u)]
    branches = [u.pk for u in units if not rollups.keeps_rows(u)]
    facet_rows = list(
        MemberFacet.objects.filter(unit_id__in=ids).exclude(count=0).values_list("unit_id", "dim", "key", "count")
    )
    event_rows = list(
        MemberEvent.objects.filter(unit_id__in=ids, year=year)
        .exclude(count=0)
        .values_list("unit_id", "month", "kind", "count")
    )
    for pk, live in rollups.live_figures(branches, year).items():
        facet_rows += [(pk, dim, key, n) for (dim, key), n in live.facets.items() if n]
        event_rows += [(pk, month, kind, n) for (_, month, kind), n in live.events.items() if n]
    facets: dict[int | None, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for unit_id, dim, key, n in facet_rows:
        facets[unit_id][dim][key] += n
    events: dict[int | None, Counter] = defaultdict(Counter)
    months: dict[str, list[int]] = {k: [0] * 12 for k in EVENT_LABELS}
    own = unit.pk if unit.depth > 0 else None
    for unit_id, month, kind, n in event_rows:
        events[unit_id][kind] += n
        if unit_id == own or (own is None and unit_id != unit.pk):
            months.setdefault(kind, [0] * 12)[month - 1] += n
    if own is None:  # the root: its subtree is the sum of its children's
        total: dict[str, Counter] = defaultdict(Counter)
        total_events: Counter = Counter()
        for c in children:
            for dim, counts in facets.get(c.pk, {}).items():
                total[dim].update(counts)
            total_events.update(events.get(c.pk, Counter()))
        facets[None], events[None] = total, total_events
    else:
        facets[None], events[None] = facets.pop(unit.pk, defaultdict(Counter)), events.pop(unit.pk, Counter())
    children = [c for c in children if c.closed_on is None or c.pk in facets or c.pk in events]
    children.sort(key=lambda c: c.name)
    return Figures(unit=unit, year=year, children=children, facets=facets, events=events, months=months)


def age_band(birth_year: int, year: int) -> str:
    """The band of the age reached in `year` (as Union statistics count ages)."""
    age = year - birth_year
    for band, (low, high) in AGE_BANDS.items():
        if low <= age <= high:
            return str(band)
    return str(AgeBand.OVER_30)


def _top(figures: Figures, dim: str, limit: int) -> list[str]:
    counts = figures.facets[None].get(dim, Counter())
    ranked = [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return ranked if len(ranked) <= limit + 1 else ranked[:limit]


def _table(figures, code, title, columns, values_of, stacked=True) -> Table:
    keys = [k for k, _ in columns]
    table = Table(code=code, title=title, columns=columns, total=[], stacked=stacked)
    line = values_of(None)
    table.total = [line.get(k, 0) for k in keys]
    for child in figures.children:
        line = values_of(child.pk)
        table.rows.append(Row(child, [line.get(k, 0) for k in keys]))
    return table


def dashboard_tables(figures: Figures) -> list[Table]:
    """The tables behind the dashboard's charts (the page, the API and the export show the same)."""
    f = figures
    this_year = timezone.localdate().year

    def dim(unit_id, name):
        return f.facets.get(unit_id, {}).get(name, Counter())

    statuses = [(s.value, s.label) for s in MemberStatus if dim(None, "status").get(s.value)]
    statuses = statuses or [(MemberStatus.ACTIVE.value, MemberStatus.ACTIVE.label)]
    tables = [
        _table(f, "status", "Đoàn viên theo trạng thái", [(k, str(v)) for k, v in statuses],
               lambda u: dim(u, "status")),
        _table(f, "sex", "Đoàn viên theo giới tính", [("M", "Nam"), ("F", "Nữ")], lambda u: dim(u, "sex")),
    ]  # fmt: skip

    def bands(unit_id):
        out: Counter = Counter()
        for born, n in dim(unit_id, "born").items():
            out[age_band(int(born), this_year)] += n
        return out

    tables.append(_table(f, "age", "Đoàn viên theo độ tuổi", [(b.value, str(b.label)) for b in AgeBand], bands))
    for code, title, model, limit in (
        ("eth", "Đoàn viên theo dân tộc", Ethnicity, TOP_ETHNICITIES),
        ("rel", "Đoàn viên theo tôn giáo", Religion, TOP_RELIGIONS),
    ):
        top = _top(f, code, limit)
        names = dict(model.objects.filter(pk__in=top).values_list("pk", "name"))
        columns = [(k, names.get(k, k)) for k in top]
        shown = set(top)
        if len(dim(None, code)) > len(top):
            columns.append((OTHERS, "Khác"))

        def grouped(unit_id, code=code, shown=shown):
            out: Counter = Counter()
            for k, n in dim(unit_id, code).items():
                out[k if k in shown else OTHERS] += n
            return out

        tables.append(_table(f, code, title, columns, grouped))

    def party(unit_id):
        on_rolls = sum(dim(unit_id, "sex").values())
        members = dim(unit_id, "party").get("1", 0)
        return {"1": members, "0": on_rolls - members}

    tables.append(_table(f, "party", "Đoàn viên là đảng viên", [("1", "Đảng viên"), ("0", "Chưa là đảng viên")], party))
    tables.append(
        _table(f, "events", f"Biến động đoàn viên năm {f.year}", [(k, EVENT_LABELS[k]) for k in MAIN_EVENTS],
               lambda u: f.events.get(u, Counter()), stacked=False)
    )  # fmt: skip
    return tables


def dashboard_trend(figures: Figures) -> list[tuple[str, list[int]]]:
    """(month label, counts of MAIN_EVENTS) for each month of the year, the whole subtree."""
    return [
        (f"{m + 1:02d}/{figures.year}", [figures.months.get(k, [0] * 12)[m] for k in MAIN_EVENTS]) for m in range(12)
    ]


def dashboard_grades(*, actor: Any, unit: Unit, year: int | None = None) -> dict[str, Any] | None:
    """Approved grade counts of the latest year with a round (this year, else last year), or None."""
    from doanso.evaluation.selectors import grade_counts

    year = year or timezone.localdate().year
    for y in (year, year - 1):
        data = grade_counts(actor=actor, unit=unit, year=y)
        if sum(data["total"].values()):
            data["year"] = y
            return data
    return None

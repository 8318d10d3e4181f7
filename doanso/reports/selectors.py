"""The standard periodic report (báo cáo thống kê đoàn viên) of a unit for a quarter, half-year or year.

Computed from the raw dated tables, never from the live rollups, so it reproduces the tree and the
rolls as they stood on the period's last day:

- the rows are the unit's children on that day (`UnitParentage` effective dates, the same rule as
  `organisations.selectors.unit_children_as_of`), each with the figures of its subtree as it was then;
  a commune merged in August still appears under its old parent, with its own figures, in Q2;
- a member is attributed to the unit they belonged to on that day (the unit they left by their first
  `MemberUnitChange` after it, else the unit they are in now), and a unit to its ancestors on that day;
- statuses come from `MemberStatusRecord` (the last record on or before a day), events are dated records
  inside the period.

The heavy part is a handful of set-based queries over one recursive CTE (the tree as of the day), each
with a GROUP BY on the report row: it runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import CharField, F, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from doanso.core.scope import ScopeError, has_perm
from doanso.members.models import Member, MemberStatusRecord, MemberUnitChange
from doanso.organisations import selectors as unit_selectors
from doanso.organisations.models import Unit, UnitParentage

from .periods import Period

ON_ROLLS = ("active", "in_transit")
KINH = "01"  # ethnicity code of the majority; every other code is an ethnic minority
NO_RELIGION = "00"

# (key, column title, short title for narrow tables). Order = the report's column order.
MEMBER_FIGURES = [
    ("start", "Đoàn viên đầu kỳ", "Đầu kỳ"),
    ("end", "Đoàn viên cuối kỳ", "Cuối kỳ"),
    ("female", "Trong đó: nữ", "Nữ"),
    ("minority", "Dân tộc thiểu số", "DTTS"),
    ("religion", "Có tôn giáo", "Tôn giáo"),
    ("party", "Đảng viên", "Đảng viên"),
    ("admitted", "Kết nạp mới", "Kết nạp"),
    ("transfer_in", "Chuyển đến", "Chuyển đến"),
    ("transfer_out", "Chuyển đi", "Chuyển đi"),
    ("aged_out", "Trưởng thành Đoàn", "Trưởng thành"),
    ("removed", "Xóa tên", "Xóa tên"),
    ("expelled", "Khai trừ", "Khai trừ"),
    ("deceased", "Từ trần", "Từ trần"),
]
GRADE_FIGURES = [
    ("excellent", "Hoàn thành xuất sắc nhiệm vụ", "HTXS"),
    ("good", "Hoàn thành tốt nhiệm vụ", "HTT"),
    ("done", "Hoàn thành nhiệm vụ", "HT"),
    ("failed", "Không hoàn thành nhiệm vụ", "KHT"),
]
TAIL_FIGURES = [
    ("referred", "Giới thiệu đoàn viên ưu tú cho Đảng", "Giới thiệu Đảng"),
    ("party_admitted", "Được kết nạp Đảng", "Kết nạp Đảng"),
    ("dues_collected", "Đoàn phí thu (đồng)", "Đoàn phí thu"),
    ("dues_forwarded", "Đoàn phí nộp cấp trên (đồng)", "Nộp cấp trên"),
]
# Status records that end a membership inside the period, by the column they count in.
EVENT_STATUSES = {"aged_out": "aged_out", "removed": "removed", "expelled": "expelled", "deceased": "deceased",
                  "left": "transfer_out"}  # fmt: skip


def figure_columns(period: Period) -> list[tuple[str, str, str]]:
    """The report's figure columns: grades only in the yearly report."""
    return MEMBER_FIGURES + (GRADE_FIGURES if period.is_yearly else []) + TAIL_FIGURES


@dataclass
class ReportRow:
    unit: Unit
    figures: dict[str, int]
    direct: bool = False  # the members held by the report's unit itself (a branch reporting on itself)

    @property
    def name(self) -> str:
        return f"{self.unit.name} (trực tiếp)" if self.direct else self.unit.name

    @property
    def note(self) -> str:
        """ "Đã hợp nhất 15/08/2026" when the unit has since closed: the report shows the tree as it was."""
        if self.unit.closed_on:
            what = "hợp nhất" if self.unit.merged_into_id else "giải thể"
            return f"Đã {what} {self.unit.closed_on:%d/%m/%Y}"
        return ""


@dataclass
class PeriodicReport:
    unit: Unit
    period: Period
    as_of: date  # the period's last day, or today while the period is still running
    rows: list[ReportRow]
    total: dict[str, int]
    columns: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.as_of == self.period.end


def _require(actor: Any, unit: Unit) -> Unit:
    """The unit, if it lies in the actor's subtree and the role may see members; else 404 / 403."""
    if not has_perm(actor, "member.view"):
        raise ScopeError("Vai trò của bạn không có quyền xem số liệu đoàn viên.")
    return unit_selectors.unit_get(actor=actor, pk=unit.pk)  # Unit.DoesNotExist outside the subtree


def report_size(*, actor: Any, unit: Unit) -> int:
    """How many members the unit's subtree holds now (from the rollup): to decide page or background."""
    from doanso.members.models import MemberStat

    unit = _require(actor, unit)
    total = MemberStat.objects.filter(unit__path__startswith=unit.path).aggregate(n=Sum("count"))["n"]
    return total or 0


# ---------------------------------------------------------------- SQL


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _tree_cte(root_id: int, day: date) -> tuple[str, list]:
    """`tree(unit_id, row_id)`: every unit under the root on `day`, with the root's child it hangs from
    (the root itself is its own row: members it holds directly)."""
    sql = f"""
    tree(unit_id, row_id) AS (
        SELECT u.id, u.id FROM {_t(Unit)} u WHERE u.id = %s
        UNION ALL
        SELECT p.unit_id, CASE WHEN t.unit_id = %s THEN p.unit_id ELSE t.row_id END
        FROM {_t(UnitParentage)} p JOIN tree t ON p.parent_id = t.unit_id
        WHERE p.valid_from <= %s AND (p.valid_to IS NULL OR p.valid_to > %s)
    )"""
    return sql, [root_id, root_id, day, day]


MEMBER_COLUMNS = "m.sex, m.ethnicity_id, m.religion_id, m.party_joined_on, m.admitted_on"


def _attribution_cte(day: date) -> tuple[str, list]:
    """`att(member_id, row_id, …)`: each member attributed to the unit held on `day`, mapped to its row,
    with the member columns the figures need (so the figures never read the member table again).

    A member who has not moved since `day` is where the record is now; one who has moved since left,
    by the first move after `day`, the unit held on `day`."""
    muc, member = _t(MemberUnitChange), _t(Member)
    sql = f"""
    att(member_id, row_id, sex, ethnicity_id, religion_id, party_joined_on, admitted_on) AS (
        SELECT m.id, t.row_id, {MEMBER_COLUMNS} FROM tree t JOIN {member} m ON m.unit_id = t.unit_id
        WHERE NOT EXISTS (SELECT 1 FROM {muc} c WHERE c.member_id = m.id AND c.effective_on > %s)
        UNION ALL
        SELECT m.id, t.row_id, {MEMBER_COLUMNS} FROM {muc} c
        JOIN tree t ON t.unit_id = c.from_unit_id JOIN {member} m ON m.id = c.member_id
        WHERE c.effective_on > %s AND NOT EXISTS (
            SELECT 1 FROM {muc} c2 WHERE c2.member_id = c.member_id AND c2.effective_on > %s
            AND (c2.effective_on < c.effective_on OR (c2.effective_on = c.effective_on AND c2.id < c.id)))
    )"""
    return sql, [day, day, day]


def _run(ctes: list[tuple[str, list]], body: str, params: list) -> list[tuple]:
    sql = "WITH RECURSIVE " + ",".join(c[0] for c in ctes) + "\n" + body
    all_params = [p for c in ctes for p in c[1]] + params
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The per-member status look-ups make the planner's cost estimate huge, so PostgreSQL would
            # JIT-compile the statement: ~2 s of compiling for a query that runs in a fraction of that.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, all_params)
        return cursor.fetchall()


def _status_on(day: date) -> tuple[str, list]:
    msr = _t(MemberStatusRecord)
    sql = (
        f"(SELECT r.status FROM {msr} r WHERE r.member_id = a.member_id AND r.effective_on <= %s "
        "ORDER BY r.effective_on DESC, r.id DESC LIMIT 1)"
    )
    return sql, [day]


MEMBER_KEYS = ["start", "end", "female", "minority", "religion", "party", "admitted"]
ZEROS = ", 0, 0, 0, 0, 0, 0"


def _member_part(*, start: date, end: date) -> tuple[str, list]:
    """Per row: on the rolls at the start and at the end, of whom…, admitted in the period."""
    s_end, p_end = _status_on(end)
    s_start, p_start = _status_on(start - timedelta(days=1))
    on = "('active', 'in_transit')"
    sql = f"""
    SELECT 'm', x.row_id, '',
        SUM(CASE WHEN x.s_start IN {on} THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.s_end IN {on} THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.s_end IN {on} AND x.sex = 'F' THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.s_end IN {on} AND x.ethnicity_id <> %s THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.s_end IN {on} AND x.religion_id <> %s THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.s_end IN {on} AND x.party_joined_on IS NOT NULL AND x.party_joined_on <= %s
            THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.admitted_on >= %s AND x.admitted_on <= %s THEN 1 ELSE 0 END)
    FROM (SELECT a.*, {s_end} AS s_end, {s_start} AS s_start FROM att a) x
    GROUP BY x.row_id"""
    return sql, [KINH, NO_RELIGION, end, start, end, *p_end, *p_start]


def _events_part(*, start: date, end: date) -> tuple[str, list]:
    """Status records dated in the period that end a membership, per row and status."""
    statuses = list(EVENT_STATUSES)
    sql = f"""
    SELECT 'e', a.row_id, r.status, COUNT(*){ZEROS}
    FROM att a JOIN {_t(MemberStatusRecord)} r ON r.member_id = a.member_id
    WHERE r.effective_on >= %s AND r.effective_on <= %s AND r.status IN ({", ".join(["%s"] * len(statuses))})
    GROUP BY a.row_id, r.status"""
    return sql, [start, end, *statuses]


def _grades_part(*, year: int) -> tuple[str, list]:
    from doanso.evaluation.models import Evaluation

    sql = f"""
    SELECT 'g', a.row_id, e.grade, COUNT(*){ZEROS}
    FROM att a JOIN {_t(Evaluation)} e ON e.member_id = a.member_id
    WHERE e.year = %s AND e.stage = %s AND e.grade <> ''
    GROUP BY a.row_id, e.grade"""
    return sql, [year, "approved"]


def _referrals_part(*, start: date, end: date) -> tuple[str, list]:
    """Party-referral steps dated in the period: nominated (open) and admitted to the Party (admit)."""
    from doanso.procedures.choices import CaseKind
    from doanso.procedures.models import CaseStep

    steps = (
        CaseStep.objects.filter(case__kind=CaseKind.PARTY_REFERRAL, action__in=["open", "admit"])
        .annotate(
            step_on=Cast(KeyTextTransform("on", "data"), CharField()), subject_member=F("case__subjects__member_id")
        )
        .filter(step_on__gte=start.isoformat(), step_on__lte=end.isoformat(), subject_member__isnull=False)
        .values("subject_member", "action")
        .order_by()
    )
    sub, sub_params = steps.query.sql_with_params()
    sql = f"""
    SELECT 'r', a.row_id, s.action, COUNT(*){ZEROS}
    FROM att a JOIN ({sub}) s ON s.subject_member = a.member_id
    GROUP BY a.row_id, s.action"""
    return sql, list(sub_params)


def _attributed_figures(tree, *, period: Period, start: date, end: date) -> list[tuple]:
    """Every member-based figure in one statement, so the tree and the attribution are built once:
    rows of (part, row_id, key, n1..n7)."""
    parts = [_member_part(start=start, end=end), _events_part(start=start, end=end)]
    if period.is_yearly:
        parts.append(_grades_part(year=period.year))
    parts.append(_referrals_part(start=start, end=end))
    body = "\nUNION ALL\n".join(sql for sql, _ in parts)
    return _run([tree, _attribution_cte(end)], body, [p for _, params in parts for p in params])


def _transfers(ctes, *, start: date, end: date) -> list[tuple[int | None, int | None, int]]:
    """Moves between holding units in the period (transfers; tree changes are not transfers), by the
    rows of their two ends. A move inside one row is neither in nor out."""
    body = f"""
    SELECT tf.row_id, tt.row_id, COUNT(*) FROM {_t(MemberUnitChange)} c
    LEFT JOIN tree tf ON tf.unit_id = c.from_unit_id
    LEFT JOIN tree tt ON tt.unit_id = c.to_unit_id
    WHERE c.unit_change_id IS NULL AND c.effective_on >= %s AND c.effective_on <= %s
      AND (tf.row_id IS NOT NULL OR tt.row_id IS NOT NULL)
    GROUP BY tf.row_id, tt.row_id"""
    return _run(ctes, body, [start, end])


def _dues(row_ids: list[int], *, start: date, end: date) -> dict[int, tuple[int, int]]:
    """What each row's unit collected and forwarded for the periods it closed inside the report's period
    (the dues ledger's forwarding records: `collected` already includes what its children sent up)."""
    from doanso.dues.models import Forwarding

    rows = (
        Forwarding.objects.filter(unit_id__in=row_ids, period_start__gte=start, period_start__lte=end)
        .values("unit_id")
        .annotate(collected=Sum("collected"), forwarded=Sum("forwarded"))
    )
    return {r["unit_id"]: (r["collected"] or 0, r["forwarded"] or 0) for r in rows}


# ---------------------------------------------------------------- the report


def periodic_report(*, actor: Any, unit: Unit, period: Period, today: date | None = None) -> PeriodicReport:
    """The report of `unit` for `period`, as the tree and the rolls stood on the period's last day (or
    today, while the period runs). Raises Unit.DoesNotExist outside the actor's subtree, ScopeError
    without `member.view`. The caller validates the period (`periods.period_parse`)."""
    unit = _require(actor, unit)
    today = today or timezone.localdate()
    start, end = period.start, min(period.end, today)
    columns = figure_columns(period)
    keys = [k for k, _, _ in columns]
    children = list(unit_selectors.unit_children_as_of(actor=actor, unit=unit, day=end).select_related("parent"))
    figures: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(keys, 0))

    tree = _tree_cte(unit.pk, end)
    for part, row_id, key, *counts in _attributed_figures(tree, period=period, start=start, end=end):
        if part == "m":
            figures[row_id].update(zip(MEMBER_KEYS, (int(n or 0) for n in counts), strict=True))
        elif part == "e":
            figures[row_id][EVENT_STATUSES[key]] += int(counts[0])
        elif part == "g":
            figures[row_id][key] += int(counts[0])
        else:
            figures[row_id]["referred" if key == "open" else "party_admitted"] += int(counts[0])
    for from_row, to_row, n in _transfers([tree], start=start, end=end):
        if from_row == to_row:
            continue
        if from_row is not None:
            figures[from_row]["transfer_out"] += n
        if to_row is not None:
            figures[to_row]["transfer_in"] += n
    dues_units = [c.pk for c in children] or [unit.pk]
    for unit_id, (collected, forwarded) in _dues(dues_units, start=start, end=end).items():
        figures[unit_id]["dues_collected"] += collected
        figures[unit_id]["dues_forwarded"] += forwarded

    rows = [ReportRow(unit=child, figures=figures[child.pk]) for child in children]
    own = figures.get(unit.pk)
    if own is not None and (any(own.values()) or not children):
        rows.append(ReportRow(unit=unit, figures=own, direct=bool(children)))
    total = {k: sum(r.figures[k] for r in rows) for k in keys}
    return PeriodicReport(unit=unit, period=period, as_of=end, rows=rows, total=total, columns=columns)

"""The dashboard page ("Tổng quan"): a unit's live figures, per child unit, with charts and tables.

Views only parse input and call the selectors; charts are laid out by doanso.core.charts.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from doanso.core.charts import PALETTE, column_groups, stacked_bars
from doanso.core.scope import has_perm
from doanso.core.web import unit_from_request
from doanso.organisations import selectors as unit_selectors
from doanso.organisations.models import Unit

from . import selectors

GRADE_COLORS = {"excellent": "#1b7f3b", "good": "#1f5fa8", "done": "#c98a00", "failed": "#b3261e"}


def _unit(request) -> Unit:
    if not has_perm(request.user, "member.view"):
        raise PermissionDenied("Chỉ tài khoản cán bộ mới xem được trang tổng quan.")
    return unit_from_request(request)


def _year(request) -> int:
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year") or this_year)
    except ValueError:
        return this_year
    return year if 2000 <= year <= this_year else this_year


def table_chart(table: selectors.Table) -> dict:
    series = [(label, PALETTE[i % len(PALETTE)]) for i, (_, label) in enumerate(table.columns)]
    rows = [("Toàn đơn vị", table.total)] + [(r.unit.name, r.values) for r in table.rows if r.total]
    chart = stacked_bars(rows, series)
    if not table.stacked:  # counts, not shares: bar length against the largest row
        top = max((b["total"] for b in chart["bars"]), default=0) or 1
        for bar in chart["bars"]:
            scale = bar["total"] / top
            for s in bar["segments"]:
                s["x"], s["w"] = round(s["x"] * scale, 2), round(s["w"] * scale, 2)
    return {"legend": series, **chart}


@login_required
def dashboard(request):
    unit = _unit(request)
    year = _year(request)
    figures = selectors.dashboard_figures(actor=request.user, unit=unit, year=year)
    tables = selectors.dashboard_tables(figures)
    series = [(selectors.EVENT_LABELS[k], PALETTE[i]) for i, k in enumerate(selectors.MAIN_EVENTS)]
    trend = selectors.dashboard_trend(figures)
    home = request.user.unit
    crumbs = [c for c in unit_selectors.unit_breadcrumbs(actor=request.user, unit=unit) if c.unit.depth >= home.depth]
    context = {
        "unit": unit,
        "year": year,
        "years": range(timezone.localdate().year, timezone.localdate().year - 5, -1),
        "crumbs": crumbs,
        "sections": [{"table": t, "chart": table_chart(t)} for t in tables],
        "kpis": _kpis(tables),
        "trend": trend,
        "trend_chart": {"legend": series, **column_groups(trend, series)},
        "event_labels": [label for label, _ in series],
        "export_params": {"year": year},
    }
    return render(request, "dashboards/dashboard.html", context)


def _kpis(tables: list[selectors.Table]) -> list[tuple[str, int, str]]:
    by_code = {t.code: t for t in tables}
    events = dict(zip([k for k, _ in by_code["events"].columns], by_code["events"].total, strict=True))
    return [
        ("Đoàn viên đang sinh hoạt", by_code["sex"].grand, "kpi-members"),
        ("Đảng viên", by_code["party"].total[0], "kpi-party"),
        ("Kết nạp mới trong năm", events["admitted"], "kpi-admitted"),
        ("Trưởng thành Đoàn trong năm", events["aged_out"], "kpi-aged-out"),
    ]


@login_required
def grades(request):
    """The grade shares section, loaded after the page (HTMX): a round's counts come from their own rollup."""
    unit = _unit(request)
    data = selectors.dashboard_grades(actor=request.user, unit=unit, year=_year(request))
    context = {"unit": unit, "data": data}
    if data:
        from doanso.evaluation.choices import GRADE_SHORT, GRADES

        series = [(GRADE_SHORT[g], GRADE_COLORS[g]) for g in GRADES]
        rows = [("Toàn đơn vị", [data["total"][g] for g in GRADES])] + [
            (c.name, [n[g] for g in GRADES]) for c, n in data["children"] if sum(n.values())
        ]
        context.update(
            chart={"legend": series, **stacked_bars(rows, series)},
            grades=[GRADE_SHORT[g] for g in GRADES],
            rows=[(label, sum(counts), counts) for label, counts in rows],
        )
    return render(request, "dashboards/partials/grades.html", context)

"""The periodic report page: pickers (quarter / half-year / year + year), the table, the export buttons.

A small subtree's report is computed in the request; a large one (more than INLINE_MAX_MEMBERS members)
is generated in the background by the export buttons, unless the official asks to see it here anyway.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from doanso.core.scope import has_perm
from doanso.core.web import get_or_404
from doanso.organisations import selectors as unit_selectors

from . import selectors
from .documents import table_rows
from .periods import PART_LABELS, default_period, parts_for, period_parse

INLINE_MAX_MEMBERS = 20_000


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
def periodic(request):
    if not has_perm(request.user, "member.view"):
        raise PermissionDenied("Chỉ tài khoản cán bộ mới xem được báo cáo định kỳ.")
    pk = _int(request.GET.get("unit")) or request.user.unit_id
    if pk is None:
        raise Http404
    unit = get_or_404(unit_selectors.unit_get, actor=request.user, pk=pk)
    today = timezone.localdate()
    error = ""
    text = request.GET.get("period")
    if not text and request.GET.get("year") and request.GET.get("part"):
        text = f"{request.GET['year']}-{request.GET['part']}"
    period = None
    try:
        period = (
            period_parse(text, unit_kind=unit.kind, today=today)
            if text
            else default_period(unit_kind=unit.kind, today=today)
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    report = None
    size = selectors.report_size(actor=request.user, unit=unit)
    large = size > INLINE_MAX_MEMBERS and request.GET.get("show") != "1"
    if period is not None and not large:
        report = selectors.periodic_report(actor=request.user, unit=unit, period=period, today=today)
    shown = period or default_period(unit_kind=unit.kind, today=today)
    context = {
        "unit": unit,
        "period": period,
        "error": error,
        "report": report,
        "rows": table_rows(report) if report else [],
        "large": large and period is not None,
        "size": size,
        "parts": [(p, PART_LABELS[p]) for p in parts_for(unit.kind)],
        "part": shown.part,
        "year": shown.year,
        "years": range(today.year, today.year - 6, -1),
        "export_params": {"period": period.code} if period else {},
        "children_links": {
            r.unit.pk for r in report.rows if not r.direct and r.unit.path.startswith(request.user.unit.path)
        }
        if report
        else set(),
    }
    return render(request, "reports/periodic.html", context)

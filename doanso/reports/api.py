"""API of the periodic report: the same rows as the page and the files, as JSON."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from doanso.core.scope import ScopeError, has_perm
from doanso.organisations import selectors as unit_selectors
from doanso.organisations.models import Unit

from . import selectors
from .periods import period_parse


@extend_schema(
    parameters=[
        OpenApiParameter("unit", int, required=True, description="Đơn vị lập báo cáo (trong phạm vi quản lý)"),
        OpenApiParameter(
            "period",
            str,
            required=True,
            description="Kỳ báo cáo: 2026-Q2 (quý), 2026-H1 / 2026-H2 (6 tháng), 2026-Y (năm)",
        ),
    ],
    responses={200: dict},
    summary="Báo cáo thống kê đoàn viên định kỳ: các đơn vị trực thuộc tại ngày cuối kỳ, số liệu từng đơn vị và tổng",
)
@api_view(["GET"])
def periodic(request):
    if not has_perm(request.user, "member.view"):
        raise ScopeError("Vai trò của bạn không có quyền xem số liệu đoàn viên.")
    raw = request.query_params.get("unit")
    if not str(raw or "").isdigit():
        raise ValidationError({"unit": "Hãy chọn đơn vị (mã số)."})
    try:
        unit = unit_selectors.unit_get(actor=request.user, pk=int(raw))
    except Unit.DoesNotExist:
        raise Http404 from None
    today = timezone.localdate()
    period = period_parse(request.query_params.get("period"), unit_kind=unit.kind, today=today)
    report = selectors.periodic_report(actor=request.user, unit=unit, period=period, today=today)
    keys = [k for k, _, _ in report.columns]
    return Response(
        {
            "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
            "period": {
                "code": period.code,
                "label": period.label,
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "as_of": report.as_of.isoformat(),
                "complete": report.complete,
            },
            "columns": [{"key": k, "label": label} for k, label, _ in report.columns],
            "rows": [
                {
                    "unit": {"id": r.unit.pk, "code": r.unit.code, "name": r.unit.name},
                    "direct": r.direct,
                    "note": r.note,
                    "figures": {k: r.figures[k] for k in keys},
                }
                for r in report.rows
            ],
            "total": report.total,
        }
    )

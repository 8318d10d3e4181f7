"""API of the dashboards: `GET /api/dashboard/?unit=&year=` — the figures of the page, as JSON."""

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


def _int(value, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: "Phải là một số nguyên."}) from None


def table_out(table: selectors.Table) -> dict:
    keys = [k for k, _ in table.columns]
    return {
        "code": table.code,
        "title": table.title,
        "columns": [{"key": k, "label": label} for k, label in table.columns],
        "total": dict(zip(keys, table.total, strict=True)),
        "children": [
            {"id": r.unit.pk, "name": r.unit.name, "counts": dict(zip(keys, r.values, strict=True))} for r in table.rows
        ],
    }


@extend_schema(
    parameters=[
        OpenApiParameter("unit", int, description="Mặc định: đơn vị của tài khoản"),
        OpenApiParameter("year", int, description="Năm của số liệu biến động (mặc định: năm nay)"),
        OpenApiParameter("grades", bool, description="Kèm số liệu xếp loại (mặc định: có)"),
    ],
    responses={200: dict},
    summary="Tổng quan của một đơn vị (cả cây) và từng đơn vị trực thuộc — số liệu trực tiếp",
)
@api_view(["GET"])
def dashboard(request):
    if not has_perm(request.user, "member.view"):
        raise ScopeError("Vai trò của bạn không có quyền này.")
    pk = _int(request.query_params.get("unit") or request.user.unit_id, "unit")
    year = _int(request.query_params.get("year") or timezone.localdate().year, "year")
    try:
        unit = unit_selectors.unit_get(actor=request.user, pk=pk)
    except Unit.DoesNotExist:
        raise Http404 from None
    figures = selectors.dashboard_figures(actor=request.user, unit=unit, year=year)
    out = {
        "unit": {"id": unit.pk, "name": unit.name},
        "year": year,
        "tables": [table_out(t) for t in selectors.dashboard_tables(figures)],
        "trend": [
            {"month": month, "counts": dict(zip(selectors.MAIN_EVENTS, counts, strict=True))}
            for month, counts in selectors.dashboard_trend(figures)
        ],
        "grades": None,
    }
    if request.query_params.get("grades", "1") not in ("0", "false"):
        data = selectors.dashboard_grades(actor=request.user, unit=unit, year=year)
        if data:
            out["grades"] = {
                "year": data["year"],
                "total": data["total"],
                "children": [{"id": c.pk, "name": c.name, "counts": n} for c, n in data["children"]],
            }
    return Response(out)

"""API of the organisation tree: lazy browsing, search, history and the dated tree operations."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from doanso.core import audit
from doanso.core.models import Province, Ward
from doanso.core.scope import ScopeError, has_perm
from doanso.core.web import parse_vn_date

from . import selectors, services
from .models import Unit, UnitChange

UnitOut = inline_serializer(
    "Unit",
    {
        "id": serializers.IntegerField(), "code": serializers.CharField(), "name": serializers.CharField(),
        "kind": serializers.CharField(), "parent": serializers.IntegerField(allow_null=True),
        "child_count": serializers.IntegerField(), "closed_on": serializers.DateField(allow_null=True),
    },
)  # fmt: skip
DatedIn = {
    "effective_on": serializers.DateField(required=False),
    "decision_number": serializers.CharField(required=False),
}


def unit_out(u: Unit) -> dict:
    return {
        "id": u.pk, "code": u.code, "name": u.name, "short_name": u.short_name, "kind": u.kind,
        "kind_label": u.get_kind_display(), "sector": u.sector, "parent": u.parent_id, "depth": u.depth,
        "child_count": u.child_count, "province": u.province_id, "ward": u.ward_id, "address": u.address,
        "founded_on": u.founded_on.isoformat() if u.founded_on else None,
        "closed_on": u.closed_on.isoformat() if u.closed_on else None, "merged_into": u.merged_into_id,
    }  # fmt: skip


def _viewer(request):
    if not has_perm(request.user, "unit.view"):
        raise ScopeError("Chỉ tài khoản cán bộ mới xem được cây tổ chức.")


def _get(request, pk, action: str = "view") -> Unit:
    return get_object_or_404(Unit.objects.restrict(request.user, action).select_related("parent"), pk=pk)


def _day(request, key: str = "effective_on"):
    raw = request.data.get(key)
    return parse_vn_date(str(raw)) if raw else None


@extend_schema(
    request=inline_serializer(
        "UnitIn",
        {
            "parent": serializers.IntegerField(),
            "code": serializers.CharField(),
            "name": serializers.CharField(),
            "kind": serializers.CharField(),
        },
    ),  # fmt: skip
    responses={200: UnitOut, 201: UnitOut},
    summary="Gốc cây của tài khoản và các đơn vị trực thuộc (GET) / thành lập đơn vị trực thuộc (POST)",
)
@extend_schema(methods=["GET"], operation_id="units_list")
@extend_schema(methods=["POST"], operation_id="units_create")
@api_view(["GET", "POST"])
def units(request):
    _viewer(request)
    if request.method == "GET":
        root = _get(request, request.user.unit_id)
        return Response(
            {
                "root": unit_out(root),
                "children": [unit_out(u) for u in selectors.unit_children(actor=request.user, unit=root)],
            }
        )
    d = request.data
    parent = _get(request, d.get("parent"))
    unit = services.unit_create(
        actor=request.user, parent=parent, code=d.get("code", ""), name=d.get("name", ""), kind=d.get("kind", ""),
        short_name=d.get("short_name", ""), sector=d.get("sector", ""),
        province=Province.objects.filter(pk=d.get("province") or 0).first(), ward=Ward.objects.filter(pk=d.get("ward") or 0).first(),
        address=d.get("address", ""), founded_on=_day(request, "founded_on"), decision_number=d.get("decision_number", ""),
    )  # fmt: skip
    return Response(unit_out(unit), status=201)


@extend_schema(
    request=inline_serializer(
        "UnitPatch",
        {
            "name": serializers.CharField(required=False),
            "short_name": serializers.CharField(required=False),
            "address": serializers.CharField(required=False),
        },
    ),  # fmt: skip
    responses={200: UnitOut},
    summary="Một đơn vị (GET) / đổi tên, sửa thông tin (PATCH)",
)
@api_view(["GET", "PATCH"])
def unit_detail(request, pk: int):
    _viewer(request)
    unit = _get(request, pk)
    if request.method == "PATCH":
        data = {k: v for k, v in request.data.items() if k in ("name", "short_name", "sector", "address")}
        if "founded_on" in request.data:
            data["founded_on"] = _day(request, "founded_on")
        if "province" in request.data:
            data["province"] = Province.objects.filter(pk=request.data["province"] or 0).first()
        if "ward" in request.data:
            data["ward"] = Ward.objects.filter(pk=request.data["ward"] or 0).first()
        unit = services.unit_update(actor=request.user, unit=unit, data=data)
    return Response(unit_out(unit))


@extend_schema(parameters=[OpenApiParameter("as_of", str, description="YYYY-MM-DD hoặc dd/mm/yyyy")], responses={200: UnitOut},
               summary="Đơn vị trực thuộc (tải dần), hoặc cây tại một ngày trong quá khứ")  # fmt: skip
@api_view(["GET"])
def unit_children(request, pk: int):
    _viewer(request)
    unit = _get(request, pk)
    raw = request.query_params.get("as_of")
    if raw:
        day = parse_vn_date(raw)
        if day is None:
            return Response({"detail": "Ngày không hợp lệ.", "errors": {"as_of": ["Ngày không hợp lệ."]}}, status=400)
        rows = selectors.unit_children_as_of(actor=request.user, unit=unit, day=day)
    else:
        rows = selectors.unit_children(actor=request.user, unit=unit)
    return Response([unit_out(u) for u in rows])


@extend_schema(
    parameters=[OpenApiParameter("q", str)],
    responses={200: UnitOut},
    summary="Tìm đơn vị trong phạm vi (có dấu hoặc không dấu)",
)
@api_view(["GET"])
def unit_search(request):
    _viewer(request)
    return Response(
        [unit_out(u) for u in selectors.unit_search(actor=request.user, q=request.query_params.get("q", ""))]
    )


@extend_schema(responses={200: dict}, summary="Đơn vị cấp trên (chỉ tên; chỉ có id với đơn vị trong phạm vi)")
@api_view(["GET"])
def unit_breadcrumbs(request, pk: int):
    _viewer(request)
    unit = _get(request, pk)
    return Response(
        [
            {"name": c.unit.name, "kind": c.unit.kind, "id": c.unit.pk if c.linkable else None}
            for c in selectors.unit_breadcrumbs(actor=request.user, unit=unit)
        ]
    )


@extend_schema(responses={200: dict}, summary="Lịch sử thay đổi tổ chức và nhật ký cập nhật")
@api_view(["GET"])
def unit_history(request, pk: int):
    _viewer(request)
    unit = _get(request, pk)
    return Response(
        {
            "changes": [
                {
                    "id": c.pk,
                    "kind": c.kind,
                    "effective_on": c.effective_on.isoformat(),
                    "summary": c.summary,
                    "decision_number": c.decision_number,
                    "actor": str(c.actor or ""),
                    "reverted": bool(c.reverted_by_id),
                }  # fmt: skip
                for c in selectors.unit_changes(unit=unit)
            ],
            "events": [
                {"at": e.at.isoformat(), "actor": str(e.actor or ""), "action": e.action, "changes": e.changes}
                for e in audit.history_of(unit)[:200]
            ],
        }
    )


@extend_schema(request=inline_serializer("MoveIn", {"new_parent": serializers.IntegerField(), **DatedIn}), responses={200: dict},
               summary="Chuyển đơn vị (cả cây con) sang đơn vị cấp trên khác")  # fmt: skip
@api_view(["POST"])
def unit_move(request, pk: int):
    _viewer(request)
    change = services.unit_move(
        actor=request.user, unit=_get(request, pk), new_parent=_get(request, request.data.get("new_parent")),
        on=_day(request), decision_number=request.data.get("decision_number", ""),
    )  # fmt: skip
    return Response({"change": change.pk, "summary": change.summary})


@extend_schema(request=inline_serializer("MergeIn", {"survivor": serializers.IntegerField(), **DatedIn}), responses={200: dict},
               summary="Hợp nhất đơn vị này vào đơn vị khác (đoàn viên và đơn vị trực thuộc chuyển sang)")  # fmt: skip
@api_view(["POST"])
def unit_merge(request, pk: int):
    _viewer(request)
    change = services.unit_merge(
        actor=request.user, absorbed=_get(request, pk), survivor=_get(request, request.data.get("survivor")),
        on=_day(request), decision_number=request.data.get("decision_number", ""),
    )  # fmt: skip
    return Response({"change": change.pk, "summary": change.summary})


@extend_schema(request=inline_serializer("SplitIn", {"parts": serializers.ListField(), "close_original": serializers.BooleanField(), **DatedIn}),
               responses={200: UnitOut}, summary="Chia tách đơn vị")  # fmt: skip
@api_view(["POST"])
def unit_split(request, pk: int):
    _viewer(request)
    created = services.unit_split(
        actor=request.user, unit=_get(request, pk), parts=list(request.data.get("parts") or []),
        close_original=bool(request.data.get("close_original")), on=_day(request),
        decision_number=request.data.get("decision_number", ""),
    )  # fmt: skip
    return Response([unit_out(u) for u in created])


@extend_schema(request=inline_serializer("CloseIn", {"reason": serializers.CharField(required=False), **DatedIn}), responses={200: dict},
               summary="Giải thể đơn vị")  # fmt: skip
@api_view(["POST"])
def unit_close(request, pk: int):
    _viewer(request)
    change = services.unit_close(
        actor=request.user, unit=_get(request, pk), on=_day(request), decision_number=request.data.get("decision_number", ""),
        reason=request.data.get("reason", ""),
    )  # fmt: skip
    return Response({"change": change.pk, "summary": change.summary})


@extend_schema(
    request=inline_serializer("ReopenIn", DatedIn), responses={200: dict}, summary="Khôi phục hoạt động đơn vị"
)
@api_view(["POST"])
def unit_reopen(request, pk: int):
    _viewer(request)
    change = services.unit_reopen(
        actor=request.user,
        unit=_get(request, pk),
        on=_day(request),
        decision_number=request.data.get("decision_number", ""),
    )
    return Response({"change": change.pk, "summary": change.summary})


@extend_schema(request=inline_serializer("RevertIn", DatedIn), responses={200: dict}, summary="Hủy một lần hợp nhất")
@api_view(["POST"])
def change_revert(request, pk: int):
    _viewer(request)
    change = get_object_or_404(UnitChange, pk=pk, unit__in=Unit.objects.restrict(request.user, "manage"))
    revert = services.unit_merge_revert(actor=request.user, change=change, on=_day(request))
    return Response({"change": revert.pk, "summary": revert.summary})

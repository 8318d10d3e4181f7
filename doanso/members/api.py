"""API of the member registry: list/filter/search, record, create, update, status, history."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from doanso.core import audit
from doanso.core.scope import ScopeError, has_perm
from doanso.core.web import parse_vn_date
from doanso.organisations.models import Unit

from . import selectors, services
from .models import Member

DATE_FIELDS = {"date_of_birth", "citizen_id_issued_on", "party_joined_on", "admitted_on"}
FILTERS = ["unit", "status", "sex", "age_band", "ethnicity", "unit_kind", "sector", "q", "include_descendants", "page"]


def member_out(m: Member, full: bool = False) -> dict:
    out = {
        "id": m.pk,
        "full_name": m.full_name,
        "date_of_birth": m.date_of_birth.isoformat(),
        "sex": m.sex,
        "ethnicity": m.ethnicity_id,
        "citizen_id": m.citizen_id if full else m.masked_citizen_id,
        "phone": m.phone_display if full else "",
        "status": m.status,
        "status_label": m.get_status_display(),
        "unit": {"id": m.unit_id, "name": m.unit.name},
        "position": m.position,
    }
    if full:
        for name in services.EDITABLE_FIELDS:
            value = getattr(m, name)
            if name in ("ethnicity", "religion", "permanent_ward", "current_ward"):
                value = getattr(m, f"{name}_id")
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            out[name] = value
        out.update(phone=m.phone, status_since=m.status_since.isoformat() if m.status_since else None, version=m.version,
                   is_honorary=m.is_honorary)  # fmt: skip
    return out


def member_history(member: Member, with_audit: bool = True) -> dict:
    out = {
        "statuses": [
            {
                "status": r.status,
                "previous": r.previous_status,
                "effective_on": r.effective_on.isoformat(),
                "reason": r.reason,
                "decision_number": r.decision_number,
            }  # fmt: skip
            for r in selectors.member_status_history(member=member)
        ],
        "moves": [
            {
                "from": r.from_unit.name,
                "to": r.to_unit.name,
                "effective_on": r.effective_on.isoformat(),
                "reason": r.reason,
            }
            for r in selectors.member_unit_history(member=member)
        ],
    }
    if with_audit:
        out["changes"] = [
            {
                "at": e.at.isoformat(),
                "actor": str(e.actor or ""),
                "action": e.action,
                "changes": e.changes,
                "note": e.note,
            }
            for e in audit.history_of(member)[:200]
        ]
    return out


def _input(data) -> dict:
    out = {}
    for key, value in data.items():
        if key in DATE_FIELDS and isinstance(value, str) and value:
            parsed = parse_vn_date(value)
            if parsed is None:
                from django.core.exceptions import ValidationError

                raise ValidationError({key: "Ngày không hợp lệ (YYYY-MM-DD hoặc dd/mm/yyyy)."})
            value = parsed
        out[key] = value
    return out


def _official(request, perm: str = "member.view"):
    if not has_perm(request.user, perm):
        raise ScopeError("Vai trò của bạn không có quyền này.")


@extend_schema(
    parameters=[OpenApiParameter(name, str) for name in FILTERS],
    request=inline_serializer(
        "MemberIn",
        {
            "unit": serializers.IntegerField(),
            "full_name": serializers.CharField(),
            "date_of_birth": serializers.DateField(),
            "sex": serializers.CharField(),
            "citizen_id": serializers.CharField(),
            "admitted_on": serializers.DateField(),
            "accept_warnings": serializers.BooleanField(required=False),
        },
    ),  # fmt: skip
    responses={200: dict, 201: dict},
    summary="Danh sách đoàn viên của một đơn vị (kể cả trực thuộc), lọc, tìm (GET) / thêm đoàn viên (POST)",
)
@extend_schema(methods=["GET"], operation_id="members_list")
@extend_schema(methods=["POST"], operation_id="members_create")
@api_view(["GET", "POST"])
def members(request):
    if request.method == "GET":
        _official(request)
        unit = get_object_or_404(
            Unit.objects.restrict(request.user, "view"), pk=request.query_params.get("unit") or request.user.unit_id
        )
        filters = selectors.MemberFilters.from_params(request.query_params)
        raw = request.query_params.get("page", "1")
        page = selectors.member_list(
            actor=request.user, unit=unit, filters=filters, page=int(raw) if raw.isdigit() else 1
        )
        return Response(
            {
                "count": page.total,
                "page": page.page,
                "num_pages": page.num_pages,
                "results": [member_out(m) for m in page.rows],
            }
        )
    _official(request, "member.manage")
    data = _input(request.data)
    unit = get_object_or_404(Unit.objects.restrict(request.user, "view"), pk=data.pop("unit", None))
    accept = bool(data.pop("accept_warnings", False))
    member = services.member_create(actor=request.user, unit=unit, data=data, accept_warnings=accept)
    return Response(member_out(member, full=True), status=201)


@extend_schema(
    request=inline_serializer(
        "MemberPatch",
        {"version": serializers.IntegerField(), "accept_warnings": serializers.BooleanField(required=False)},
    ),
    responses={200: dict},
    summary="Hồ sơ đoàn viên (GET) / sửa hồ sơ với `version` chống ghi đè (PATCH)",
)
@api_view(["GET", "PATCH"])
def member_detail(request, pk: int):
    _official(request)
    member = selectors.member_get(actor=request.user, pk=pk)
    if request.method == "PATCH":
        _official(request, "member.manage")
        data = _input(request.data)
        version = data.pop("version", None)
        accept = bool(data.pop("accept_warnings", False))
        member = services.member_update(
            actor=request.user, member=member, data=data, version=version, accept_warnings=accept
        )
        member = selectors.member_get(actor=request.user, pk=pk)
    return Response(member_out(member, full=True))


@extend_schema(
    request=inline_serializer(
        "StatusIn",
        {
            "status": serializers.CharField(),
            "effective_on": serializers.DateField(),
            "reason": serializers.CharField(),
            "decision_number": serializers.CharField(required=False),
        },
    ),  # fmt: skip
    responses={201: dict},
    summary="Ghi nhận thay đổi trạng thái (bản ghi có ngày hiệu lực)",
)
@api_view(["POST"])
def member_status(request, pk: int):
    _official(request, "member.manage")
    member = selectors.member_get(actor=request.user, pk=pk, action="manage")
    d = request.data
    record = services.member_change_status(
        actor=request.user, member=member, status=d.get("status", ""), effective_on=parse_vn_date(str(d.get("effective_on", ""))),
        reason=d.get("reason", ""), decision_number=d.get("decision_number", ""),
    )  # fmt: skip
    return Response({"status": record.status, "effective_on": record.effective_on.isoformat()}, status=201)


@extend_schema(
    responses={200: dict}, summary="Lịch sử: quá trình trạng thái, chuyển nơi sinh hoạt, mọi thay đổi (cũ → mới)"
)
@api_view(["GET"])
def member_history_view(request, pk: int):
    _official(request)
    member = selectors.member_get(actor=request.user, pk=pk)
    return Response(member_history(member, with_audit=has_perm(request.user, "audit.view")))


@extend_schema(request=inline_serializer("MemberAccountIn", {"password": serializers.CharField()}), responses={201: dict},
               summary="Cấp tài khoản sổ đoàn viên (đăng nhập bằng CCCD hoặc số điện thoại)")  # fmt: skip
@api_view(["POST"])
def member_account(request, pk: int):
    from doanso.accounts.services import member_account_issue

    _official(request, "member.manage")
    member = selectors.member_get(actor=request.user, pk=pk, action="manage")
    user = member_account_issue(actor=request.user, member=member, password=request.data.get("password", ""))
    return Response({"account": user.pk, "login": member.citizen_id}, status=201)

"""API of the evaluation: rounds, a branch's grading sheet (GET) and bulk submit (POST), approve
(one branch / all), correct one grade, the member's self-assessment, counts per child unit."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from doanso.core.scope import ScopeError, has_perm
from doanso.organisations import selectors as unit_selectors
from doanso.organisations.models import Unit

from . import selectors, services
from .choices import GRADE_SHORT, Stage
from .models import Evaluation, EvaluationRound

GRADE_HELP = "excellent | good | done | failed (hoặc HTXS | HTT | HT | KHT)"


def _official(request, perm: str = "member.view") -> None:
    if not has_perm(request.user, perm):
        raise ScopeError("Vai trò của bạn không có quyền này.")


def _int(value, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: "Phải là một số nguyên."}) from None


def _unit(request, pk) -> Unit:
    try:
        return unit_selectors.unit_get(actor=request.user, pk=_int(pk, "unit"))
    except Unit.DoesNotExist:
        raise Http404 from None


def _round(request, pk: int) -> EvaluationRound:
    _official(request)
    return selectors.round_get(actor=request.user, pk=pk)


def round_out(rnd: EvaluationRound) -> dict:
    return {
        "id": rnd.pk,
        "year": rnd.year,
        "unit": {"id": rnd.unit_id, "name": rnd.unit.name},
        "state": rnd.state,
        "state_label": rnd.get_state_display(),
        "locked_at": rnd.locked_at.isoformat() if rnd.locked_at else None,
        "version": rnd.version,
    }


def evaluation_out(ev: Evaluation | None) -> dict | None:
    if ev is None:
        return None
    return {
        "id": ev.pk,
        "year": ev.year,
        "round": ev.round_id,
        "branch": ev.branch_id,
        "stage": ev.stage,
        "self_grade": ev.self_grade,
        "self_text": ev.self_text,
        "proposed_grade": ev.proposed_grade,
        "justification": ev.justification,
        "unmet_conditions": ev.unmet_conditions,
        "grade": ev.grade,
        "grade_short": GRADE_SHORT.get(ev.grade, ""),
        "approved_at": ev.approved_at.isoformat() if ev.approved_at else None,
        "version": ev.version,
    }


@extend_schema(
    methods=["GET"],
    operation_id="evaluation_rounds_list",
    parameters=[OpenApiParameter("unit", int), OpenApiParameter("year", int)],
    responses={200: dict},
    summary="Các đợt đánh giá, xếp loại trong phạm vi",
)
@extend_schema(
    methods=["POST"],
    operation_id="evaluation_rounds_create",
    request=inline_serializer(
        "EvaluationRoundIn", {"unit": serializers.IntegerField(), "year": serializers.IntegerField()}
    ),
    responses={201: dict},
    summary="Đơn vị cơ sở mở đợt đánh giá, xếp loại cho một năm",
)
@api_view(["GET", "POST"])
def rounds(request):
    _official(request)
    if request.method == "POST":
        unit = _unit(request, request.data.get("unit"))
        rnd = services.round_open(actor=request.user, unit=unit, year=_int(request.data.get("year"), "year"))
        return Response(round_out(rnd), status=201)
    unit = _unit(request, request.query_params["unit"]) if request.query_params.get("unit") else None
    year = _int(request.query_params["year"], "year") if request.query_params.get("year") else None
    return Response([round_out(r) for r in selectors.round_list(actor=request.user, unit=unit, year=year)[:500]])


@extend_schema(responses={200: dict}, summary="Một đợt đánh giá: tiến độ từng chi đoàn, số lượng theo xếp loại")
@api_view(["GET"])
def round_detail(request, pk: int):
    rnd = _round(request, pk)
    progress = selectors.round_progress(actor=request.user, rnd=rnd)
    return Response(
        {
            **round_out(rnd),
            "branches": [
                {
                    "id": p.branch.pk,
                    "name": p.branch.name,
                    "members": p.members,
                    "proposed": p.proposed,
                    "approved": p.approved,
                    "missing": p.missing,
                    "state": p.state,
                    "counts": p.counts,
                }  # fmt: skip
                for p in progress
            ],
        }
    )


@extend_schema(
    request=inline_serializer(
        "EvaluationSheetIn",
        {
            "version": serializers.IntegerField(required=False),
            "rows": serializers.ListField(
                child=inline_serializer(
                    "EvaluationSheetRowIn",
                    {
                        "member": serializers.IntegerField(),
                        "grade": serializers.CharField(help_text=GRADE_HELP),
                        "justification": serializers.CharField(required=False),
                    },
                )
            ),
        },
    ),
    responses={200: dict},
    summary="Danh sách xếp loại của một chi đoàn (GET: thông tin đầu vào, mặc định) / đề xuất cả chi đoàn (POST, "
    "tất cả hoặc không; lỗi theo từng dòng member_<id>)",
)
@api_view(["GET", "POST"])
def sheet(request, pk: int, branch_pk: int):
    rnd = _round(request, pk)
    try:
        branch = selectors.sheet_branch_get(actor=request.user, rnd=rnd, branch_pk=branch_pk)
    except Unit.DoesNotExist:
        raise Http404 from None
    if request.method == "POST":
        rows = request.data.get("rows")
        if not isinstance(rows, list):
            raise ValidationError({"rows": "Cần danh sách các dòng {member, grade, justification}."})
        rows = [r if isinstance(r, dict) else {} for r in rows]
        result = services.sheet_submit(
            actor=request.user, rnd=rnd, branch=branch, rows=rows, version=request.data.get("version")
        )
        return Response(
            {"saved": result.saved, "unchanged": result.unchanged, "warning": result.warning, "counts": result.counts}
        )
    data = selectors.sheet_get(actor=request.user, rnd=rnd, branch=branch)
    return Response(
        {
            "round": round_out(rnd),
            "branch": {"id": branch.pk, "name": branch.name},
            "approved": data.is_approved,
            "version": data.sheet.version if data.sheet else None,
            "warning": data.warning,
            "missing": data.missing,
            "rows": [
                {
                    "member": {"id": r.member.pk, "full_name": r.member.full_name},
                    "default_grade": r.default_grade,
                    "default_source": r.default_source,
                    "locked": r.locked,
                    "graded_elsewhere": r.elsewhere,
                    "htxs_unmet_conditions": r.unmet,
                    "inputs": {
                        "attendance_percent": r.inputs.attendance_percent,
                        "months_recorded": r.inputs.recorded,
                        "programme_result": r.inputs.programme,
                        "last_year_grade": r.inputs.last_year_grade,
                        "residence_remarks": [
                            {"unit": x["unit"], "remarks": x["remarks"], "at": x["at"].isoformat()}
                            for x in r.inputs.residence_remarks
                        ],
                        "transfer_remarks": [
                            {"unit": x["unit"], "remarks": x["remarks"], "at": x["at"].isoformat()}
                            for x in r.inputs.transfer_remarks
                        ],
                        "rewards": r.inputs.rewards,
                        "disciplines": r.inputs.disciplines,
                    },
                    "evaluation": evaluation_out(r.evaluation),
                }
                for r in data.rows
            ],
        }
    )


@extend_schema(
    request=inline_serializer(
        "EvaluationApproveIn",
        {"branch": serializers.IntegerField(required=False), "version": serializers.IntegerField(required=False)},
    ),
    responses={200: dict},
    summary="Đơn vị cơ sở phê duyệt một chi đoàn (branch) hoặc tất cả (không có branch: khóa đợt)",
)
@api_view(["POST"])
def approve(request, pk: int):
    rnd = _round(request, pk)
    branch = None
    if request.data.get("branch") not in (None, ""):
        try:
            branch = selectors.sheet_branch_get(
                actor=request.user, rnd=rnd, branch_pk=_int(request.data["branch"], "branch")
            )
        except Unit.DoesNotExist:
            raise Http404 from None
    result = services.round_approve(actor=request.user, rnd=rnd, branch=branch, version=request.data.get("version"))
    return Response(
        {
            "approved": result.approved,
            "branches": [b.pk for b in result.branches],
            "locked": result.locked,
            "warning": result.warning,
        }
    )


@extend_schema(
    request=inline_serializer(
        "GradeCorrectIn",
        {
            "grade": serializers.CharField(help_text=GRADE_HELP),
            "reason": serializers.CharField(),
            "justification": serializers.CharField(required=False),
            "version": serializers.IntegerField(required=False),
        },
    ),
    responses={200: dict},
    summary="Đính chính xếp loại đã phê duyệt của một đoàn viên (có lý do; lịch sử giữ xếp loại cũ)",
)
@api_view(["POST"])
def correct(request, pk: int):
    _official(request)
    ev = selectors.evaluation_get(actor=request.user, pk=pk)
    ev = services.grade_correct(
        actor=request.user, evaluation=ev, grade=request.data.get("grade", ""), reason=request.data.get("reason", ""),
        justification=request.data.get("justification", ""), version=request.data.get("version"),
    )  # fmt: skip
    return Response(evaluation_out(ev))


@extend_schema(
    request=inline_serializer(
        "SelfAssessmentIn", {"grade": serializers.CharField(help_text=GRADE_HELP), "text": serializers.CharField()}
    ),
    responses={200: dict},
    summary="Đoàn viên tự đánh giá (tài khoản sổ đoàn viên): xem đợt đang mở (GET) / gửi (POST)",
)
@api_view(["GET", "POST"])
def self_assessment(request):
    from doanso.members.selectors import member_of_account

    member = member_of_account(request.user)
    if member is None:
        raise ScopeError("Chỉ đoàn viên tự đánh giá bằng tài khoản sổ đoàn viên của mình.")
    if request.method == "POST":
        ev = services.self_assess(
            actor=request.user, grade=request.data.get("grade", ""), text=request.data.get("text", "")
        )
        return Response(evaluation_out(ev))
    rnd = selectors.open_round_for_member(member=member)
    grades = selectors.member_grades(actor=request.user, member=member)
    return Response(
        {
            "round": round_out(rnd) if rnd else None,
            "current": evaluation_out(next((g for g in grades if rnd and g.year == rnd.year), None)),
            "grades": [
                {"year": g.year, "grade": g.grade, "grade_short": GRADE_SHORT[g.grade]}
                for g in grades
                if g.stage == Stage.APPROVED
            ],
        }
    )


@extend_schema(
    parameters=[
        OpenApiParameter("unit", int, required=True),
        OpenApiParameter("year", int),
        OpenApiParameter("stage", str, enum=["approved", "proposed", "all"]),
    ],
    responses={200: dict},
    summary="Số lượng và tỉ lệ theo xếp loại của một đơn vị (cả cây) và từng đơn vị trực thuộc — số liệu trực tiếp",
)
@api_view(["GET"])
def counts(request):
    _official(request)
    unit = _unit(request, request.query_params.get("unit"))
    year = _int(request.query_params.get("year") or timezone.localdate().year, "year")
    stage = request.query_params.get("stage") or "approved"
    if stage not in ("approved", "proposed", "all"):
        raise ValidationError({"stage": "Chỉ nhận approved, proposed hoặc all."})
    data = selectors.grade_counts(actor=request.user, unit=unit, year=year, stage=stage)
    rules = selectors.round_rules(year)
    return Response(
        {
            "unit": {"id": unit.pk, "name": unit.name},
            "year": year,
            "stage": stage,
            "total": data["total"],
            "shares": selectors.shares(data["total"]),
            "warning": selectors.cap_warning(data["total"], rules),
            "own": data["own"],
            "children": [
                {"id": c.pk, "name": c.name, "counts": n, "shares": selectors.shares(n)} for c, n in data["children"]
            ],
        }
    )

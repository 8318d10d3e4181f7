"""JSON API of the self-improvement programme: the same services and scope as the pages."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from doanso.core.scope import ScopeError, has_perm
from doanso.members import selectors as member_selectors
from doanso.organisations.models import Unit

from . import selectors, services
from .models import Programme, Registration

AREA = {"id": serializers.IntegerField(), "name": serializers.CharField(), "targets": serializers.CharField(),
        "assessment": serializers.CharField()}  # fmt: skip
ProgrammeOut = inline_serializer(
    "TrainingProgramme",
    {"id": serializers.IntegerField(), "year": serializers.IntegerField(), "title": serializers.CharField(),
     "introduction": serializers.CharField(), "state": serializers.CharField(), "unit": serializers.DictField(),
     "areas": inline_serializer("TrainingArea", AREA, many=True)},
)  # fmt: skip
RegistrationOut = inline_serializer(
    "TrainingRegistration",
    {"id": serializers.IntegerField(), "member": serializers.IntegerField(), "year": serializers.IntegerField(),
     "state": serializers.CharField(), "state_label": serializers.CharField(), "result": serializers.CharField(),
     "result_label": serializers.CharField(), "targets": serializers.DictField(), "version": serializers.IntegerField()},
)  # fmt: skip


def _official(request):
    if not has_perm(request.user, "member.view"):
        raise ScopeError("Chỉ tài khoản cán bộ mới dùng được chức năng này.")


def _year(raw) -> int:
    raw = str(raw or timezone.localdate().year)
    if not raw.isdigit():
        raise ValidationError({"year": "Năm: phải là số (ví dụ 2026)."})
    return int(raw)


def _unit(request, pk) -> Unit:
    if not str(pk or "").isdigit():
        raise Http404
    return get_object_or_404(Unit.objects.restrict(request.user, "view"), pk=pk)


def programme_out(p: Programme | None) -> dict | None:
    if p is None:
        return None
    return {
        "id": p.pk, "year": p.year, "title": p.title, "introduction": p.introduction, "state": p.state,
        "unit": {"id": p.unit_id, "name": p.unit.name},
        "areas": [{"id": a.pk, "name": a.name, "targets": a.targets, "assessment": a.assessment} for a in p.areas.all()],
    }  # fmt: skip


def registration_out(r: Registration | None) -> dict | None:
    if r is None:
        return None
    return {
        "id": r.pk, "member": r.member_id, "year": r.year, "state": r.state, "state_label": r.get_state_display(),
        "result": r.result, "result_label": r.get_result_display() if r.result else "",
        "targets": {str(t.area_id): t.text for t in r.targets.all()}, "version": r.version,
    }  # fmt: skip


@extend_schema(
    parameters=[OpenApiParameter("unit", int), OpenApiParameter("year", int)],
    responses={200: ProgrammeOut},
    summary="Chương trình rèn luyện áp dụng cho một đơn vị trong năm (chương trình của cấp trên gần nhất)",
)
@api_view(["GET"])
def programme(request):
    year = _year(request.query_params.get("year"))
    member = member_selectors.member_of_account(request.user)
    if member is not None and not request.user.unit_id:
        return Response(programme_out(services.programme_for(unit=member.unit, year=year)))
    _official(request)
    unit = _unit(request, request.query_params.get("unit") or request.user.unit_id)
    return Response(programme_out(selectors.programme_applicable(actor=request.user, unit=unit, year=year)))


@extend_schema(
    request=inline_serializer(
        "TrainingProgrammeIn",
        {
            "year": serializers.IntegerField(),
            "title": serializers.CharField(),
            "introduction": serializers.CharField(required=False),
            "publish": serializers.BooleanField(required=False),
            "areas": inline_serializer("TrainingAreaIn", {k: v for k, v in AREA.items() if k != "id"}, many=True),
        },
    ),  # fmt: skip
    responses={201: ProgrammeOut},
    summary="Soạn (và ban hành) chương trình rèn luyện của đơn vị mình (Trung ương hoặc cấp tỉnh)",
)
@api_view(["POST"])
def programme_create(request):
    _official(request)
    body = request.data
    p = services.programme_create(
        actor=request.user, unit=request.user.unit, year=body.get("year"), title=body.get("title", ""),
        areas=body.get("areas") or [], introduction=body.get("introduction", ""), publish=bool(body.get("publish")),
    )  # fmt: skip
    return Response(programme_out(p), status=201)


@extend_schema(request=None, responses={200: ProgrammeOut}, summary="Ban hành chương trình rèn luyện (bản nháp)")
@api_view(["POST"])
def programme_publish(request, pk: int):
    _official(request)
    p = get_object_or_404(Programme.objects.restrict(request.user, "view"), pk=pk)
    return Response(programme_out(services.programme_publish(actor=request.user, programme=p)))


@extend_schema(
    parameters=[OpenApiParameter("year", int)],
    request=inline_serializer(
        "TrainingTargetsIn",
        {
            "year": serializers.IntegerField(),
            "targets": serializers.DictField(child=serializers.CharField()),
            "version": serializers.IntegerField(required=False),
        },
    ),  # fmt: skip
    responses={200: RegistrationOut, 201: RegistrationOut},
    summary="Đoàn viên: xem (GET) hoặc đăng ký, sửa (POST) chỉ tiêu rèn luyện của mình; targets: {mã nội dung: chỉ tiêu}",
)
@api_view(["GET", "POST"])
def my_registration(request):
    member = member_selectors.member_of_account(request.user)
    if member is None or request.user.unit_id:
        raise ScopeError("Chỉ tài khoản đoàn viên mới đăng ký chỉ tiêu của mình.")
    source = request.data if request.method == "POST" else request.query_params
    year = _year(source.get("year"))
    info = selectors.member_training(actor=request.user, member=member, year=year)
    if request.method == "GET":
        return Response(
            {"programme": programme_out(info.programme), "registration": registration_out(info.registration),
             "reminders": [{"message": r.message, "at": r.created_at.isoformat()} for r in info.reminders]}
        )  # fmt: skip
    targets = request.data.get("targets") or {}
    if info.registration is None:
        r = services.registration_create(actor=request.user, member=member, year=year, targets=targets)
        return Response(registration_out(r), status=201)
    r = services.registration_update(
        actor=request.user, registration=info.registration, targets=targets, version=request.data.get("version")
    )
    return Response(registration_out(r))


@extend_schema(
    parameters=[OpenApiParameter("unit", int), OpenApiParameter("year", int)],
    responses={200: dict},
    summary="Chi đoàn: ai đã đăng ký, ai chưa, đã nhắc chưa, kết quả",
)
@api_view(["GET"])
def branch_status(request):
    _official(request)
    unit = _unit(request, request.query_params.get("unit") or request.user.unit_id)
    status = selectors.branch_status(actor=request.user, unit=unit, year=_year(request.query_params.get("year")))
    return Response(
        {"unit": {"id": unit.pk, "name": unit.name}, "year": status.year, "programme": programme_out(status.programme),
         "registered": status.registered_count, "not_registered": status.not_registered_count,
         "assessed": status.assessed_count,
         "members": [{"id": r.member.pk, "full_name": r.member.full_name, "registration": registration_out(r.registration),
                      "last_reminded_at": r.last_reminder.created_at.isoformat() if r.last_reminder else None}
                     for r in status.rows]}
    )  # fmt: skip


@extend_schema(
    request=inline_serializer(
        "TrainingResultsIn",
        {
            "unit": serializers.IntegerField(),
            "year": serializers.IntegerField(),
            "results": serializers.DictField(
                help_text="{mã đoàn viên: excellent|good|done|failed} hoặc {mã: {level, note}}"
            ),
            "reason": serializers.CharField(required=False),
        },
    ),  # fmt: skip
    responses={
        200: inline_serializer(
            "TrainingResultsOut", {"changed": serializers.IntegerField(), "unchanged": serializers.IntegerField()}
        )
    },  # fmt: skip
    summary="Chi đoàn xác nhận kết quả rèn luyện cuối năm cho nhiều đoàn viên (tất cả hoặc không)",
)
@api_view(["POST"])
def results_confirm(request):
    _official(request)
    unit = _unit(request, request.data.get("unit"))
    done = services.results_confirm(
        actor=request.user, unit=unit, year=request.data.get("year"), results=request.data.get("results") or {},
        reason=request.data.get("reason", ""),
    )  # fmt: skip
    return Response(done)


@extend_schema(
    request=inline_serializer(
        "TrainingRemindIn",
        {
            "unit": serializers.IntegerField(),
            "year": serializers.IntegerField(),
            "members": serializers.ListField(child=serializers.IntegerField(), required=False),
        },
    ),  # fmt: skip
    responses={200: inline_serializer("TrainingRemindOut", {"reminded": serializers.IntegerField()})},
    summary="Nhắc đoàn viên chưa đăng ký (tất cả hoặc những người được chọn)",
)
@api_view(["POST"])
def remind(request):
    _official(request)
    unit = _unit(request, request.data.get("unit"))
    members = request.data.get("members")
    n = services.reminders_send(
        actor=request.user, unit=unit, year=request.data.get("year"),
        member_ids=[int(m) for m in members if str(m).isdigit()] if members else None,
    )  # fmt: skip
    return Response({"reminded": n})

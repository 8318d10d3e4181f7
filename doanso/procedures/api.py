"""JSON API of the procedures for the mobile app: the same services, the same scope."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from doanso.core.scope import ScopeError, has_perm
from doanso.members.models import Member
from doanso.organisations.models import Unit

from . import documents, selectors, services
from .kinds import spec_for
from .models import Case, Notification, Youth

ActSerializer = inline_serializer(
    "CaseAction",
    {
        "action": serializers.CharField(),
        "data": serializers.DictField(required=False),
        "version": serializers.IntegerField(required=False),
    },
)
BulkSerializer = inline_serializer(
    "CaseBulkAction",
    {
        "cases": serializers.ListField(child=serializers.IntegerField()),
        "action": serializers.CharField(),
        "data": serializers.DictField(required=False),
    },
)
CASE_FIELDS = (
    {
        "id": serializers.IntegerField(), "kind": serializers.CharField(), "kind_label": serializers.CharField(),
        "state": serializers.CharField(), "state_label": serializers.CharField(), "title": serializers.CharField(),
        "origin_unit": serializers.DictField(), "deciding_unit": serializers.DictField(allow_null=True),
        "is_open": serializers.BooleanField(), "outcome": serializers.CharField(), "version": serializers.IntegerField(),
    }
)  # fmt: skip
CaseOut = inline_serializer("Case", CASE_FIELDS)
CaseListOut = inline_serializer("CaseList", CASE_FIELDS, many=True)


def _official(request):
    if not has_perm(request.user, "member.view"):
        raise ScopeError("Chỉ tài khoản cán bộ mới dùng được nghiệp vụ.")


def _unit_ref(unit: Unit | None) -> dict | None:
    return {"id": unit.pk, "name": unit.name} if unit else None


def _case_out(case: Case, full: bool = False) -> dict:
    spec = spec_for(case.kind)
    out = {
        "id": case.pk, "kind": case.kind, "kind_label": spec.label, "state": case.state,
        "state_label": spec.states.get(case.state, case.state), "title": case.title,
        "origin_unit": _unit_ref(case.origin_unit), "deciding_unit": _unit_ref(case.deciding_unit),
        "is_open": case.is_open, "outcome": case.outcome, "version": case.version,
        "opened_at": case.opened_at.isoformat(),
    }  # fmt: skip
    if full:
        out["subjects"] = [
            {
                "member": s.member_id,
                "youth": s.youth_id,
                "name": str(s.member or s.youth),
                "result": s.result,
                "note": s.note,
            }
            for s in case.subjects.select_related("member", "youth")
        ]
        out["steps"] = [
            {
                "action": s.action,
                "from": s.from_state,
                "to": s.to_state,
                "actor": str(s.actor),
                "unit": s.actor_unit.name,
                "at": s.at.isoformat(),
                "note": s.note,
                "data": s.data,
            }  # fmt: skip
            for s in case.steps.select_related("actor", "actor_unit")
        ]
        out["actions"] = [
            {"action": t.action, "label": t.label, "requires": list(t.requires), "fields": [list(f) for f in t.fields]}
            for t in spec.transitions.values()
            if case.is_open and case.state in t.sources
        ]
        out["data"] = case.data
        if case.kind == "transfer" and case.is_open and case.state == "requested":
            out["dues_book"] = _dues_book(case)
        out["documents"] = ["docx", "pdf"] if documents.has_document(case) else []
    return out


def _dues_book(case: Case) -> list[dict]:
    """What the dues book says of each member to be released (`kept: false`: the branch does not
    keep its book here, the month must be stated); `paid_to` "" means nothing paid yet."""
    from doanso.dues.selectors import paid_through

    members = [s.member for s in case.subjects.select_related("member") if s.member]
    book = paid_through(members)
    return [
        {"member": m.pk, "kept": False, "paid_to": None, "unpaid": []}
        if book.get(m.pk) is None
        else {
            "member": m.pk,
            "kept": True,
            "paid_to": book[m.pk].month_text,
            "unpaid": book[m.pk].unpaid_texts,
        }  # fmt: skip
        for m in members
    ]


def _case(request, pk: int) -> Case:
    case = (
        Case.objects.restrict(request.user, "view").select_related("origin_unit", "deciding_unit").filter(pk=pk).first()
    )
    if case is None:
        raise Http404
    return case


def _unit(request, pk) -> Unit:
    return get_object_or_404(Unit.objects.restrict(request.user, "view"), pk=pk)


def _member(request, pk) -> Member:
    return get_object_or_404(Member.objects.restrict(request.user, "manage"), pk=pk)


@extend_schema(
    parameters=[
        OpenApiParameter("tab", str, description="waiting (mặc định) | open | all"),
        OpenApiParameter("kind", str),
    ],
    responses={200: CaseListOut},
    summary="Hồ sơ nghiệp vụ: chờ đơn vị xử lý, đang mở, tất cả",
)
@api_view(["GET"])
def case_list(request):
    _official(request)
    qs = selectors.case_list(
        actor=request.user, tab=request.query_params.get("tab", "waiting"), kind=request.query_params.get("kind", "")
    )
    return Response([_case_out(c) for c in qs[:200]])


@extend_schema(responses={200: CaseOut}, summary="Chi tiết hồ sơ: đối tượng, các bước, thao tác được phép")
@api_view(["GET"])
def case_detail(request, pk: int):
    _official(request)
    return Response(_case_out(_case(request, pk), full=True))


@extend_schema(request=ActSerializer, responses={200: CaseOut}, summary="Thực hiện một thao tác trên hồ sơ")
@api_view(["POST"])
def case_act(request, pk: int):
    _official(request)
    case = _case(request, pk)
    body = request.data
    case = services.case_act(
        actor=request.user,
        case=case,
        action=body.get("action", ""),
        data=body.get("data") or {},
        version=body.get("version"),
    )
    return Response(_case_out(case, full=True))


@extend_schema(request=BulkSerializer, responses={200: inline_serializer("BulkResult", {"results": serializers.ListField()})},
               summary="Xử lý hàng loạt: từng hồ sơ riêng, báo kết quả từng hồ sơ")  # fmt: skip
@api_view(["POST"])
def case_bulk(request):
    _official(request)
    ids = [int(i) for i in request.data.get("cases", []) if str(i).isdigit()]
    cases = list(Case.objects.restrict(request.user, "view").filter(pk__in=ids))
    found = {c.pk for c in cases}
    results = services.cases_bulk_act(
        actor=request.user, cases=cases, action=request.data.get("action", ""), data=request.data.get("data") or {}
    )
    results += [{"case": i, "ok": False, "message": "Không tìm thấy."} for i in ids if i not in found]
    return Response({"results": results})


@extend_schema(
    request=inline_serializer(
        "YouthIn",
        {
            "unit": serializers.IntegerField(),
            "full_name": serializers.CharField(),
            "date_of_birth": serializers.DateField(),
            "sex": serializers.CharField(),
            "citizen_id": serializers.CharField(),
            "applied_on": serializers.DateField(),
        },
    ),  # fmt: skip
    responses={
        201: inline_serializer("YouthOut", {"id": serializers.IntegerField(), "full_name": serializers.CharField()})
    },
    summary="Đăng ký thanh niên vào Đoàn (GET: danh sách theo ?unit=)",
)
@api_view(["GET", "POST"])
def youths(request):
    _official(request)
    if request.method == "GET":
        unit = _unit(request, request.query_params.get("unit") or request.user.unit_id)
        rows = Youth.objects.restrict(request.user, "view").filter(unit__path__startswith=unit.path)[:500]
        return Response(
            [{"id": y.pk, "full_name": y.full_name, "unit": y.unit_id, "member": y.member_id} for y in rows]
        )
    data = dict(request.data)
    unit = _unit(request, data.pop("unit", None))
    for key in ("date_of_birth", "applied_on", "course_passed_on"):
        if data.get(key):
            data[key] = services._as_date(data[key], key, key)
    if data.get("sponsor_member"):
        data["sponsor_member"] = _member(request, data["sponsor_member"])
    youth = services.youth_register(actor=request.user, unit=unit, data=data)
    return Response({"id": youth.pk, "full_name": youth.full_name}, status=201)


@extend_schema(
    request=inline_serializer(
        "CaseOpen",
        {
            "kind": serializers.CharField(),
            "unit": serializers.IntegerField(required=False),
            "youths": serializers.ListField(required=False),
            "members": serializers.ListField(required=False),
            "member": serializers.IntegerField(required=False),
            "to_unit": serializers.IntegerField(required=False),
            "data": serializers.DictField(required=False),
        },
    ),  # fmt: skip
    responses={201: CaseOut},
    summary="Lập hồ sơ: admission, transfer, ageing_out, age_extension, working_away, removal, residence, temporary, discipline, honorary, party_referral",
)
@api_view(["POST"])
def case_open(request):
    _official(request)
    body = request.data
    kind = body.get("kind")
    data = body.get("data") or {}
    actor = request.user
    if kind == "admission":
        unit = _unit(request, body.get("unit"))
        youths_ = list(Youth.objects.restrict(actor, "view").filter(pk__in=body.get("youths") or []))
        case = services.admission_open(actor=actor, unit=unit, youths=youths_)
    elif kind == "transfer":
        # Receivers may be anywhere in the country; none (with a destination) means out of the system.
        to_unit = get_object_or_404(Unit, pk=body.get("to_unit")) if body.get("to_unit") else None
        case = services.transfer_open(
            actor=actor,
            member=_member(request, body.get("member")),
            to_unit=to_unit,
            reason=data.get("reason", ""),
            destination=data.get("destination", ""),
        )
    elif kind in services.MEMBER_KINDS:
        members = list(Member.objects.restrict(actor, "manage").filter(pk__in=body.get("members") or []))
        case = services.member_case_open(actor=actor, kind=kind, members=members, data=data)
    elif kind in ("residence", "temporary"):
        host = get_object_or_404(Unit, pk=body.get("to_unit"))
        case = services.attachment_open(actor=actor, kind=kind, member=_member(request, body.get("member")), host=host,
                                        starts_on=data.get("starts_on"), ends_on=data.get("ends_on"), note=data.get("note", ""))  # fmt: skip
    elif kind == "discipline":
        case = services.discipline_open(actor=actor, member=_member(request, body.get("member")), form=data.get("form", ""),
                                        reason=data.get("reason", ""), months=data.get("months"))  # fmt: skip
    elif kind == "honorary":
        case = services.honorary_nominate(actor=actor, unit=_unit(request, body.get("unit")), data=data)
    elif kind == "party_referral":
        from .referral import referral_nominate

        case = referral_nominate(actor=actor, member=_member(request, body.get("member")), meeting_on=data.get("meeting_on"),
                                 resolution=data.get("resolution", ""), note=data.get("note", ""))  # fmt: skip
    else:
        return Response(
            {"detail": "Nghiệp vụ không hợp lệ.", "errors": {"kind": ["Nghiệp vụ không hợp lệ."]}}, status=400
        )
    return Response(_case_out(case, full=True), status=201)


@extend_schema(summary="Văn bản của hồ sơ (quyết định, giấy giới thiệu) dạng docx hoặc pdf", responses={200: bytes})
@api_view(["GET"])
def case_document(request, pk: int, fmt: str):
    _official(request)
    case = _case(request, pk)
    if not documents.has_document(case) or fmt not in ("docx", "pdf"):
        raise Http404
    body = documents.render_docx(case) if fmt == "docx" else documents.render_pdf(case)
    kind = (
        "application/pdf" if fmt == "pdf" else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    return HttpResponse(body, content_type=kind)


@extend_schema(summary="Số hồ sơ chờ xử lý và thông báo gần đây của đơn vị", responses={200: dict})
@api_view(["GET"])
def inbox(request):
    _official(request)
    rows = Notification.objects.filter(unit__path__startswith=request.user.unit.path).select_related("case")[:50]
    return Response(
        {"waiting": services.inbox_count(actor=request.user),
         "notifications": [{"case": n.case_id, "message": n.message, "at": n.created_at.isoformat()} for n in rows]}
    )  # fmt: skip


@extend_schema(
    parameters=[OpenApiParameter("q", str)], summary="Tìm đơn vị đến (Đoàn cơ sở trong cả nước)", responses={200: dict}
)
@api_view(["GET"])
def receiving_units(request):
    _official(request)
    units = services.receiving_units(q=request.query_params.get("q", ""))
    return Response(
        [{"id": u.pk, "name": u.name, "code": u.code, "parent": u.parent.name if u.parent else ""} for u in units]
    )


@extend_schema(
    parameters=[OpenApiParameter("unit", int), OpenApiParameter("year", int)],
    responses={
        200: inline_serializer(
            "PartyReferrals",
            {
                "unit": serializers.DictField(),
                "year": serializers.IntegerField(),
                "total": serializers.DictField(),
                "labels": serializers.DictField(),
                "children": serializers.ListField(),
                "rows": serializers.ListField(),
            },
        )
    },  # fmt: skip
    summary="Đoàn viên ưu tú giới thiệu cho Đảng: số liệu theo năm (tổng và từng đơn vị trực thuộc) và danh sách",
)
@api_view(["GET"])
def party_referrals(request):
    from django.utils import timezone

    _official(request)
    unit = _unit(request, request.query_params.get("unit") or request.user.unit_id)
    raw = str(request.query_params.get("year") or timezone.localdate().year)
    if not raw.isdigit():
        from django.core.exceptions import ValidationError

        raise ValidationError({"year": "Năm: phải là số (ví dụ 2026)."})
    year = int(raw)
    counts = selectors.party_referral_counts(actor=request.user, unit=unit, year=year)
    rows = selectors.party_referral_rows(actor=request.user, unit=unit, year=year)
    return Response(
        {"unit": _unit_ref(unit), "year": year, "total": counts.total, "labels": counts.labels,
         "children": [{"unit": _unit_ref(u), "counts": c} for u, c in counts.children], "rows": list(rows)}
    )  # fmt: skip

"""JSON API of the dues ledger: the same services and selectors as the pages, the same scope."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from doanso.core.scope import ScopeError, has_perm
from doanso.members.selectors import member_of_account
from doanso.organisations import selectors as unit_selectors
from doanso.organisations.models import Unit

from . import selectors, services
from .models import DuesEntry, Forwarding
from .months import month_of, parse_day, parse_month


def _official(request) -> None:
    if not has_perm(request.user, "member.view"):
        raise ScopeError("Chỉ tài khoản cán bộ mới dùng được sổ đoàn phí.")


def _unit(request, pk) -> Unit:
    if not str(pk or "").isdigit():
        raise Http404
    try:
        return unit_selectors.unit_get(actor=request.user, pk=int(pk))
    except Unit.DoesNotExist:
        raise Http404 from None


def _entry_out(e: DuesEntry) -> dict:
    return {
        "id": e.pk, "member": e.member_id, "unit": e.unit_id, "kind": e.kind, "first_month": f"{e.first_month:%Y-%m}",
        "months": e.months, "period": e.period_label, "amount": e.amount, "category": e.category,
        "paid_on": e.paid_on.isoformat(), "note": e.note, "reverses": e.reverses_id,
        "recorded_by": e.recorded_by_id, "recorded_at": e.recorded_at.isoformat(),
    }  # fmt: skip


def _forwarding_out(f: Forwarding) -> dict:
    return {
        "id": f.pk, "unit": {"id": f.unit_id, "name": f.unit.name}, "parent": {"id": f.parent_id, "name": f.parent.name},
        "period_start": f"{f.period_start:%Y-%m}", "period_months": f.period_months, "period": f.period_label,
        "own_collected": f.own_collected, "received": f.received, "collected": f.collected, "kept": f.kept,
        "forwarded": f.forwarded, "kept_thirds": f.kept_thirds, "note": f.note, "recorded_by": f.recorded_by_id,
        "recorded_at": f.recorded_at.isoformat(),
    }  # fmt: skip


def _arrears_out(r: selectors.ArrearsRow) -> dict:
    return {
        "member": r.member_id, "full_name": r.full_name, "unit": r.unit_id, "unit_name": r.unit_name,
        "category": r.category, "rate": r.rate, "months_due": r.months_due, "months_paid": r.months_paid,
        "months_unpaid": r.months_unpaid, "amount_unpaid": r.amount_unpaid,
        "unpaid": [f"{m:%Y-%m}" for m in r.unpaid], "last_paid": f"{r.last_paid:%Y-%m}" if r.last_paid else None,
    }  # fmt: skip


def Obj() -> serializers.DictField:  # noqa: N802 — a fresh field each use (DRF binds fields)
    return serializers.DictField()


ENTRY_FIELDS = {
    "id": serializers.IntegerField(), "member": serializers.IntegerField(), "kind": serializers.CharField(),
    "first_month": serializers.CharField(), "months": serializers.IntegerField(), "amount": serializers.IntegerField(),
    "paid_on": serializers.DateField(), "reverses": serializers.IntegerField(allow_null=True),
}  # fmt: skip
EntryOut = type(inline_serializer("DuesEntry", ENTRY_FIELDS))  # one class: one schema component
FORWARDING_FIELDS = (
    "DuesForwarding",
    {
        "id": serializers.IntegerField(), "unit": Obj(), "parent": Obj(), "period_start": serializers.CharField(),
        "period_months": serializers.IntegerField(), "own_collected": serializers.IntegerField(),
        "received": serializers.IntegerField(), "collected": serializers.IntegerField(),
        "kept": serializers.IntegerField(), "forwarded": serializers.IntegerField(),
    },
)  # fmt: skip


ForwardingOut = type(inline_serializer(*FORWARDING_FIELDS))


@extend_schema(
    parameters=[OpenApiParameter("unit", int, required=True), OpenApiParameter("month", str, description="yyyy-mm")],
    responses={
        200: inline_serializer(
            "DuesLedgerMonth",
            {"unit": Obj(), "month": serializers.CharField(), "rows": serializers.ListField(child=Obj())},
        )
    },  # fmt: skip
    summary="Sổ đoàn phí một tháng của chi đoàn: mức, đã đóng chưa, khoản thu",
)
@api_view(["GET"])
def ledger(request):
    _official(request)
    unit = _unit(request, request.query_params.get("unit"))
    raw = request.query_params.get("month")
    month = parse_month(raw, "month", "Tháng") if raw else month_of(timezone.localdate())
    rows = selectors.branch_month(actor=request.user, unit=unit, month=month)
    return Response(
        {
            "unit": {"id": unit.pk, "name": unit.name}, "month": f"{month:%Y-%m}",
            "rows": [
                {"member": r.member.pk, "full_name": r.member.full_name, "category": r.category, "rate": r.rate,
                 "quarterly": r.quarterly, "paid": r.paid,
                 "entry": _entry_out(r.month_entry) if r.month_entry else None}
                for r in rows
            ],
        }
    )  # fmt: skip


@extend_schema(
    request=inline_serializer(
        "DuesPaymentsIn",
        {
            "unit": serializers.IntegerField(),
            "month": serializers.CharField(help_text="yyyy-mm hoặc mm/yyyy"),
            "months": serializers.IntegerField(required=False, help_text="1, hoặc 3 (đi làm ăn xa, đóng theo quý)"),
            "paid_on": serializers.CharField(required=False),
            "note": serializers.CharField(required=False),
            "payments": serializers.ListField(
                child=Obj(), help_text='[{"member": id, "amount": đồng/tháng (tùy chọn)}]'
            ),
        },
    ),  # fmt: skip
    responses={201: EntryOut(many=True)},
    summary="Ghi nhận đoàn phí hàng loạt (cả chi đoàn một lần; tất cả hoặc không gì cả)",
)
@api_view(["POST"])
def payments(request):
    _official(request)
    body = request.data
    unit = _unit(request, body.get("unit"))
    rows = body.get("payments") or []
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        rows = []
    members = [r.get("member") for r in rows]
    amounts = {r["member"]: r.get("amount") for r in rows if str(r.get("member", "")).isdigit()}
    entries = services.dues_record(
        actor=request.user, unit=unit, month=body.get("month"), members=members, months=body.get("months", 1),
        amounts=amounts, paid_on=body.get("paid_on"), note=body.get("note", ""),
    )  # fmt: skip
    return Response([_entry_out(e) for e in entries], status=201)


@extend_schema(
    request=inline_serializer(
        "DuesCorrectIn",
        {
            "reason": serializers.CharField(),
            "month": serializers.CharField(required=False),
            "amount": serializers.IntegerField(required=False),
            "months": serializers.IntegerField(required=False),
        },
    ),  # fmt: skip
    responses={201: inline_serializer("DuesCorrectOut", {"reversal": Obj(), "replacement": Obj()})},
    summary="Điều chỉnh một khoản thu: bút toán hủy (và khoản đúng nếu có), khoản cũ vẫn được lưu",
)
@api_view(["POST"])
def payment_correct(request, pk: int):
    _official(request)
    try:
        entry = selectors.entry_for(actor=request.user, pk=pk, action="view")
    except DuesEntry.DoesNotExist:
        raise Http404 from None
    body = request.data
    reversal, replacement = services.dues_payment_correct(
        actor=request.user, entry=entry, reason=body.get("reason", ""), month=body.get("month"),
        amount=body.get("amount"), months=body.get("months"),
    )  # fmt: skip
    return Response(
        {"reversal": _entry_out(reversal), "replacement": _entry_out(replacement) if replacement else None}, status=201
    )


@extend_schema(
    parameters=[
        OpenApiParameter("unit", int, required=True),
        OpenApiParameter("as_of", str, description="yyyy-mm-dd"),
        OpenApiParameter("limit", int, description="số dòng tối đa (mặc định 500)"),
    ],
    responses={
        200: inline_serializer(
            "DuesArrears",
            {
                "totals": Obj(),
                "by_child": serializers.ListField(child=Obj()),
                "rows": serializers.ListField(child=Obj()),
            },
        )
    },  # fmt: skip
    summary="Nợ đoàn phí của một đơn vị (cả cây bên dưới): tổng, theo đơn vị trực thuộc, từng đoàn viên còn nợ",
)
@api_view(["GET"])
def arrears(request):
    _official(request)
    unit = _unit(request, request.query_params.get("unit"))
    raw = request.query_params.get("as_of")
    as_of = parse_day(raw, "as_of", "Tính đến ngày") if raw else timezone.localdate()
    limit = request.query_params.get("limit", "500")
    limit = min(int(limit), 5000) if str(limit).isdigit() else 500
    s = selectors.arrears_summary(actor=request.user, unit=unit, as_of=as_of, top=limit)
    return Response(
        {
            "unit": {"id": unit.pk, "name": unit.name}, "as_of": as_of.isoformat(),
            # Above LIVE_MAX members only the member counts come back: export.dues_arrears has the rest.
            "too_large": s.too_large,
            "totals": {"members": s.members, "owing": s.owing, "months_unpaid": s.months_unpaid,
                       "amount_unpaid": s.amount_unpaid},
            "by_child": [{"unit": {"id": c["unit"].pk, "name": c["unit"].name}, "members": c["members"],
                          "owing": c["owing"], "months_unpaid": c["months_unpaid"], "amount_unpaid": c["amount_unpaid"]}
                         for c in s.by_child],
            "rows": [_arrears_out(r) for r in s.top],
        }
    )  # fmt: skip


@extend_schema(
    parameters=[OpenApiParameter("unit", int, description="GET: đơn vị (mặc định đơn vị của tài khoản)")],
    request=inline_serializer(
        "DuesForwardingIn",
        {
            "unit": serializers.IntegerField(),
            "period_start": serializers.CharField(help_text="yyyy-mm"),
            "period_months": serializers.IntegerField(required=False, help_text="1 (tháng) hoặc 3 (quý)"),
            "note": serializers.CharField(required=False),
        },
    ),  # fmt: skip
    responses={
        200: inline_serializer(
            "DuesForwardings", {"sent": ForwardingOut(many=True), "received": ForwardingOut(many=True)}
        ),
        201: ForwardingOut(),
    },  # fmt: skip
    summary="Nộp đoàn phí lên cấp trên: danh sách đã nộp / cấp dưới nộp lên (GET), chốt một kỳ (POST)",
)
@api_view(["GET", "POST"])
def forwardings(request):
    _official(request)
    if request.method == "GET":
        unit = _unit(request, request.query_params.get("unit") or request.user.unit_id)
        data = selectors.forwardings(actor=request.user, unit=unit)
        return Response({k: [_forwarding_out(f) for f in v] for k, v in data.items()})
    body = request.data
    unit = _unit(request, body.get("unit"))
    record = services.forwarding_record(
        actor=request.user, unit=unit, period_start=body.get("period_start"),
        period_months=body.get("period_months", 1), note=body.get("note", ""),
    )  # fmt: skip
    return Response(_forwarding_out(record), status=201)


def _ledger_out(ledger: selectors.MemberLedger) -> dict:
    return {
        "member": ledger.member.pk, "full_name": ledger.member.full_name, "category": ledger.category,
        "quarterly": ledger.quarterly, "arrears": _arrears_out(ledger.arrears),
        "paid_ahead_to": f"{ledger.paid_ahead_to:%Y-%m}" if ledger.paid_ahead_to else None,
        "entries": [_entry_out(e) for e in ledger.entries],
    }  # fmt: skip


LedgerOut = inline_serializer(
    "DuesMemberLedger",
    {"member": serializers.IntegerField(), "category": serializers.CharField(), "arrears": Obj(),
     "entries": EntryOut(many=True)},
)  # fmt: skip


@extend_schema(responses={200: LedgerOut}, summary="Đoàn phí của tôi (tài khoản đoàn viên): các khoản đã đóng, còn nợ")
@api_view(["GET"])
def me(request):
    member = member_of_account(request.user)
    if member is None:
        raise Http404
    return Response(_ledger_out(selectors.member_ledger(actor=request.user, member=member)))


@extend_schema(responses={200: LedgerOut}, summary="Sổ đoàn phí của một đoàn viên (cán bộ trong phạm vi)")
@api_view(["GET"])
def member_ledger(request, pk: int):
    _official(request)
    try:
        member = selectors.member_for(actor=request.user, pk=pk)
    except selectors.Member.DoesNotExist:
        raise Http404 from None
    return Response(_ledger_out(selectors.member_ledger(actor=request.user, member=member)))

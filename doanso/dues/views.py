"""Dues pages: a branch's month (bulk), a member's book, arrears of a subtree, forwarding up."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from doanso.core.scope import ScopeError, has_perm
from doanso.core.web import get_or_404, unit_from_request
from doanso.organisations.choices import MEMBER_HOLDING_KINDS

from . import selectors, services
from .choices import DuesCategory
from .months import month_add, month_of


def _official(request) -> None:
    if not has_perm(request.user, "member.view"):
        raise PermissionDenied("Chỉ tài khoản cán bộ mới xem được sổ đoàn phí.")


def _month(raw: str | None, default: date) -> date:
    if not raw:
        return default
    try:
        return date.fromisoformat(f"{raw}-01")
    except ValueError:
        raise Http404("Tháng không hợp lệ.") from None


def _errors(request, exc: Exception) -> None:
    for message in getattr(exc, "messages", None) or [str(exc)]:
        messages.error(request, message)


@login_required
def dues_month(request):
    """A branch's month: everyone unpaid is ticked; untick who did not pay, save once."""
    _official(request)
    unit = unit_from_request(request)
    if unit.kind not in MEMBER_HOLDING_KINDS:
        return redirect(f"{reverse('dues_arrears')}?unit={unit.pk}")
    today = timezone.localdate()
    month = _month(request.GET.get("month"), month_of(today))
    if request.method == "POST":
        ticked = [int(pk) for pk in request.POST.getlist("pay") if pk.isdigit()]
        amounts = {pk: request.POST.get(f"amount_{pk}", "") for pk in ticked}
        try:
            entries = services.dues_record(
                actor=request.user, unit=unit, month=month, members=ticked, amounts=amounts,
                paid_on=request.POST.get("paid_on", ""),
            )  # fmt: skip
        except (ValidationError, ScopeError) as exc:
            _errors(request, exc)
        else:
            total = services.vnd(sum(e.amount for e in entries))
            messages.success(
                request, f"Đã ghi nhận {len(entries)} đoàn viên đóng đoàn phí tháng {month:%m/%Y}: {total}."
            )
            return redirect(f"{request.path}?unit={unit.pk}&month={month:%Y-%m}")
    rows = selectors.branch_month(actor=request.user, unit=unit, month=month)
    context = {
        "unit": unit, "month": month, "rows": rows, "today": today,
        "prev": month_add(month, -1), "next": month_add(month, 1),
        "paid_count": sum(1 for r in rows if r.paid), "paid_total": sum(r.month_entry.amount for r in rows if r.paid),
        "can_manage": has_perm(request.user, "member.manage"),
    }  # fmt: skip
    return render(request, "dues/month.html", context)


@login_required
def dues_arrears(request):
    """Arrears of a unit's subtree: totals per child unit and the members owing most."""
    _official(request)
    unit = unit_from_request(request)
    summary = selectors.arrears_summary(actor=request.user, unit=unit, as_of=timezone.localdate())
    start = getattr(unit, "dues_ledger_start", None)
    return render(
        request, "dues/arrears.html",
        {"unit": unit, "summary": summary, "start": start, "can_manage": has_perm(request.user, "member.manage"),
         "live_max": selectors.LIVE_MAX},
    )  # fmt: skip


@login_required
@require_POST
def dues_ledger_start(request):
    _official(request)
    unit = unit_from_request(request, request.POST)
    try:
        start = services.ledger_start_set(actor=request.user, unit=unit, month=request.POST.get("month", ""))
    except (ValidationError, ScopeError) as exc:
        _errors(request, exc)
    else:
        messages.success(request, f"Sổ đoàn phí của {unit.name} tính từ tháng {start.month:%m/%Y}.")
    return redirect(f"{reverse('dues_arrears')}?unit={unit.pk}")


@login_required
def dues_member(request, pk: int):
    """One member's dues book: entries (payments and corrections), arrears, pay, correct, category."""
    _official(request)
    member = get_or_404(selectors.member_for, actor=request.user, pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "pay":
                services.dues_record(
                    actor=request.user, unit=member.unit, month=request.POST.get("month", ""),
                    members=[member.pk], months=request.POST.get("months", "1"),
                    amounts={member.pk: request.POST.get("amount", "")}, paid_on=request.POST.get("paid_on", ""),
                    note=request.POST.get("note", ""),
                )  # fmt: skip
                messages.success(request, "Đã ghi nhận khoản thu.")
            elif action == "correct":
                entry = get_or_404(selectors.entry_for, actor=request.user, pk=int(request.POST.get("entry") or 0))
                if entry.member_id != member.pk:
                    raise Http404
                services.dues_payment_correct(
                    actor=request.user, entry=entry, reason=request.POST.get("reason", ""),
                    month=request.POST.get("month", ""), amount=request.POST.get("amount", ""),
                )  # fmt: skip
                messages.success(request, "Đã ghi bút toán điều chỉnh; khoản cũ vẫn được lưu.")
            elif action == "category":
                services.dues_category_set(
                    actor=request.user, member=member, category=request.POST.get("category", ""),
                    note=request.POST.get("note", ""),
                )  # fmt: skip
                messages.success(request, "Đã cập nhật đối tượng đóng đoàn phí.")
            else:
                raise Http404
        except (ValidationError, ScopeError) as exc:
            _errors(request, exc)
        else:
            return redirect("dues_member", pk=member.pk)
    ledger = selectors.member_ledger(actor=request.user, member=member)
    today = timezone.localdate()
    return render(
        request, "dues/member.html",
        {"member": member, "ledger": ledger, "today": today, "categories": DuesCategory.choices,
         "next_month": _next_unpaid(ledger, today), "can_manage": has_perm(request.user, "member.manage")},
    )  # fmt: skip


def _next_unpaid(ledger: selectors.MemberLedger, today: date) -> date:
    if ledger.arrears.unpaid:
        return ledger.arrears.unpaid[0]
    if ledger.arrears.last_paid:
        return month_add(max(ledger.arrears.last_paid, month_add(month_of(today), -1)), 1)
    return month_of(today)


@login_required
def dues_forwarding(request):
    """Close a period: what this unit collected and received from each child, what it keeps and sends up."""
    _official(request)
    unit = unit_from_request(request)
    today = timezone.localdate()
    period = _month(request.GET.get("period"), month_add(month_of(today), -1))
    months = 3 if request.GET.get("months") == "3" else 1
    if request.method == "POST":
        try:
            record = services.forwarding_record(
                actor=request.user, unit=unit, period_start=period, period_months=months,
                note=request.POST.get("note", ""),
            )  # fmt: skip
        except (ValidationError, ScopeError) as exc:
            _errors(request, exc)
        else:
            messages.success(
                request,
                f"Đã chốt {record.period_label.lower()}: nộp {services.vnd(record.forwarded)} lên {record.parent.name}.",
            )
            return redirect(f"{request.path}?unit={unit.pk}&period={period:%Y-%m}&months={months}")
    figures = selectors.forwarding_figures(unit, period, months)
    records = selectors.forwardings(actor=request.user, unit=unit)
    return render(
        request, "dues/forwarding.html",
        {"unit": unit, "figures": figures, "records": records, "period": period, "months": months,
         "can_manage": has_perm(request.user, "member.manage") and unit.parent_id is not None},
    )  # fmt: skip

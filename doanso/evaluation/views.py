"""Evaluation pages: rounds, a branch's grading sheet, approval, correction, results per unit.

Views only parse input and call the services and selectors.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from doanso.core.charts import stacked_bars
from doanso.core.scope import ScopeError, has_perm, in_scope
from doanso.core.web import get_or_404, unit_from_request

from . import selectors, services
from .choices import GRADE_SHORT, Grade, Stage

COLORS = {"excellent": "#1b7f3b", "good": "#1f5fa8", "done": "#c98a00", "failed": "#b3261e"}


def _official(request):
    if not has_perm(request.user, "member.view"):
        raise PermissionDenied("Chỉ tài khoản cán bộ mới dùng được đánh giá, xếp loại.")


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _messages_of(exc: Exception) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


@login_required
def round_list(request):
    _official(request)
    unit = request.user.unit
    year = timezone.localdate().year
    if request.method == "POST":
        target = unit_from_request(request, request.POST)
        try:
            rnd = services.round_open(actor=request.user, unit=target, year=_int(request.POST.get("year"), 0))
        except (ValidationError, ScopeError) as exc:
            messages.error(request, _messages_of(exc))
        else:
            messages.success(request, f"Đã mở đợt đánh giá, xếp loại đoàn viên năm {rnd.year}.")
            return redirect("evaluation_round", pk=rnd.pk)
    rounds = list(selectors.round_list(actor=request.user)[:200])
    can_open = unit.kind in selectors.GRASSROOTS_KINDS and has_perm(request.user, "member.manage")
    return render(
        request,
        "evaluation/round_list.html",
        {"rounds": rounds, "unit": unit, "can_open": can_open, "years": [year, year - 1], "year": year},
    )


def _round(request, pk: int):
    _official(request)
    return get_or_404(selectors.round_get, actor=request.user, pk=pk)


@login_required
def round_detail(request, pk: int):
    rnd = _round(request, pk)
    progress = selectors.round_progress(actor=request.user, rnd=rnd)
    totals = selectors.empty_counts()
    for p in progress:
        for g, n in p.counts.items():
            totals[g] += n
    rules = selectors.round_rules(rnd.year)
    context = {
        "round": rnd,
        "progress": progress,
        "totals": totals,
        "warning": selectors.cap_warning(totals, rules),
        "can_approve": selectors.can_approve(request.user, rnd) and not rnd.is_locked,
        "missing": sum(p.missing for p in progress),
        "short": GRADE_SHORT,
    }
    return render(request, "evaluation/round_detail.html", context)


@login_required
@require_POST
def round_approve(request, pk: int):
    rnd = _round(request, pk)
    branch = None
    if request.POST.get("branch"):
        branch = get_or_404(
            selectors.sheet_branch_get, actor=request.user, rnd=rnd, branch_pk=_int(request.POST["branch"], 0)
        )
    try:
        result = services.round_approve(
            actor=request.user, rnd=rnd, branch=branch, version=_int(request.POST.get("version"))
        )
    except (ValidationError, ScopeError) as exc:
        messages.error(request, _messages_of(exc))
    else:
        text = f"Đã phê duyệt {result.approved} xếp loại của {len(result.branches)} chi đoàn."
        if result.locked:
            text += " Đợt đánh giá đã khóa."
        messages.success(request, text)
        if result.warning:
            messages.warning(request, result.warning)
    return redirect("evaluation_round", pk=rnd.pk)


@login_required
def sheet(request, pk: int, branch_pk: int):
    """The branch's whole list on one screen: inputs, defaults, one submit for everyone."""
    rnd = _round(request, pk)
    branch = get_or_404(selectors.sheet_branch_get, actor=request.user, rnd=rnd, branch_pk=branch_pk)
    data = selectors.sheet_get(actor=request.user, rnd=rnd, branch=branch)
    errors: dict[str, str] = {}
    posted: dict[int, tuple[str, str]] = {}
    status = 200
    if request.method == "POST":
        rows = []
        for row in data.rows:
            if row.locked:
                continue
            grade = request.POST.get(f"grade_{row.member.pk}", "")
            justification = request.POST.get(f"just_{row.member.pk}", "")
            posted[row.member.pk] = (grade, justification)
            rows.append({"member": row.member.pk, "grade": grade, "justification": justification})
        try:
            result = services.sheet_submit(
                actor=request.user, rnd=rnd, branch=branch, rows=rows, version=_int(request.POST.get("version"))
            )
        except ScopeError as exc:
            raise Http404(str(exc)) from exc
        except ValidationError as exc:
            errors = (
                {k: " ".join(v) for k, v in exc.message_dict.items()}
                if hasattr(exc, "error_dict")
                else {"__all__": _messages_of(exc)}
            )
            status = 400
        else:
            messages.success(request, f"Đã lưu đề xuất: {result.saved} thay đổi, {result.unchanged} giữ nguyên.")
            if result.warning:
                messages.warning(request, result.warning)
            return redirect("evaluation_sheet", pk=rnd.pk, branch_pk=branch.pk)
    lines = []
    for row in data.rows:
        grade, justification = posted.get(
            row.member.pk, (row.default_grade, row.evaluation.justification if row.evaluation else "")
        )
        lines.append(
            {"row": row, "grade": grade, "justification": justification, "error": errors.get(f"member_{row.member.pk}")}
        )
    context = {
        "round": rnd,
        "branch": branch,
        "sheet": data,
        "lines": lines,
        "errors": errors,
        "top_errors": [v for k, v in errors.items() if not k.startswith("member_")],
        "grades": Grade.choices,
        "short": GRADE_SHORT,
        "can_grade": selectors.can_grade(request.user, branch) and not data.is_approved,
        "version": data.sheet.version if data.sheet else "",
    }
    return render(request, "evaluation/sheet.html", context, status=status)


@login_required
def grade_correct(request, pk: int):
    _official(request)
    ev = get_or_404(selectors.evaluation_get, actor=request.user, pk=pk)
    if not selectors.can_approve(request.user, ev.round):
        raise Http404("Chỉ đơn vị cơ sở (hoặc cấp trên) đính chính xếp loại đã phê duyệt.")
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            services.grade_correct(
                actor=request.user, evaluation=ev, grade=request.POST.get("grade", ""),
                reason=request.POST.get("reason", ""), justification=request.POST.get("justification", ""),
                version=_int(request.POST.get("version")),
            )  # fmt: skip
        except ValidationError as exc:
            errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
        else:
            messages.success(request, "Đã đính chính xếp loại; lịch sử giữ xếp loại cũ.")
            return redirect("member_detail", pk=ev.member_id)
    context = {
        "ev": ev,
        "grades": Grade.choices,
        "errors": errors,
        "post": request.POST,
        "corrections": selectors.corrections_of(evaluation=ev),
        "short": GRADE_SHORT,
    }
    return render(request, "evaluation/correct.html", context, status=400 if errors else 200)


def chart(rows: list[tuple[str, dict[str, int]]], width: int = 360) -> dict:
    """A horizontal stacked-bar SVG (shares per grade) for each labelled row, laid out server-side."""
    grades = ("excellent", "good", "done", "failed")
    series = [(GRADE_SHORT[g], COLORS[g]) for g in grades]
    return stacked_bars([(label, [counts.get(g, 0) for g in grades]) for label, counts in rows], series, width)


@login_required
def results(request):
    """Counts and shares per grade for a unit's subtree and per child unit (live, from the rollup)."""
    _official(request)
    unit = unit_from_request(request)
    year = _int(request.GET.get("year"), timezone.localdate().year)
    stage = request.GET.get("stage") or Stage.APPROVED
    if stage not in ("approved", "proposed", "all"):
        stage = Stage.APPROVED
    counts = selectors.grade_counts(actor=request.user, unit=unit, year=year, stage=stage)
    rules = selectors.round_rules(year)
    rows = [
        {"unit": child, "counts": c, "total": sum(c.values()), "shares": selectors.shares(c),
         "warning": selectors.cap_warning(c, rules)}
        for child, c in counts["children"]
    ]  # fmt: skip
    if sum(counts["own"].values()):
        rows.insert(0, {"unit": unit, "counts": counts["own"], "total": sum(counts["own"].values()),
                        "shares": selectors.shares(counts["own"]), "warning": ""})  # fmt: skip
    total = counts["total"]
    context = {
        "unit": unit,
        "year": year,
        "stage": stage,
        "export_params": {"year": year, "stage": stage},
        "rows": rows,
        "total": total,
        "grand": sum(total.values()),
        "total_shares": selectors.shares(total),
        "warning": selectors.cap_warning(total, rules),
        "chart": chart([(unit.name, total)] + [(r["unit"].name, r["counts"]) for r in rows if r["total"]]),
        "short": GRADE_SHORT,
        "colors": COLORS,
        "grades": Grade.choices,
        "years": range(timezone.localdate().year, timezone.localdate().year - 5, -1),
        "rounds": selectors.round_list(actor=request.user, unit=unit, year=year)[:50]
        if in_scope(request.user, unit)
        else [],
    }
    return render(request, "evaluation/results.html", context)


@login_required
@require_POST
def self_assess(request):
    """The member's own self-assessment, posted from the e-member book."""
    try:
        services.self_assess(actor=request.user, grade=request.POST.get("grade", ""), text=request.POST.get("text", ""))
    except ScopeError as exc:
        raise Http404(str(exc)) from exc
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, "Đã gửi bản tự đánh giá tới chi đoàn.")
    return redirect("member_book")

"""Pages of the self-improvement programme: programmes, a member's registration (phone), the branch's
status list with one-tap reminders, and the bulk year-end result screen. Views parse and call services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from doanso.core.scope import ScopeError, has_perm
from doanso.core.web import unit_from_request
from doanso.members import selectors as member_selectors
from doanso.organisations.choices import MEMBER_HOLDING_KINDS

from . import selectors, services
from .choices import ResultLevel

AREA_SLOTS = 6


def _official(request):
    if not has_perm(request.user, "member.view"):
        raise PermissionDenied("Chỉ tài khoản cán bộ mới dùng được trang này.")


def _year(request, source=None) -> int:
    raw = str((source or request.GET).get("year", "") or "")
    this_year = timezone.localdate().year
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= this_year + 1 else this_year


def _errors(request, exc: Exception) -> None:
    for message in getattr(exc, "messages", None) or [str(exc)]:
        messages.error(request, message)


@login_required
def programme_list(request):
    _official(request)
    unit = request.user.unit
    year = _year(request)
    return render(
        request, "training/programme_list.html",
        {"programmes": selectors.programme_list(actor=request.user)[:100], "unit": unit, "year": year,
         "applicable": services.programme_for(unit=unit, year=year),
         "can_publish": unit.kind in services.PUBLISHING_KINDS and has_perm(request.user, "member.manage"),
         "is_branch": unit.kind in MEMBER_HOLDING_KINDS},
    )  # fmt: skip


def _areas_from_post(post) -> list[dict]:
    return [
        {k: post.get(f"area_{i}_{k}", "") for k in ("name", "targets", "assessment")} for i in range(1, AREA_SLOTS + 1)
    ]


@login_required
def programme_create(request):
    _official(request)
    unit = request.user.unit
    values = {"year": timezone.localdate().year, "title": "", "introduction": ""}
    areas = [{"name": "", "targets": "", "assessment": ""} for _ in range(AREA_SLOTS)]
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("year", "title", "introduction")}
        areas = _areas_from_post(request.POST)
        try:
            programme = services.programme_create(
                actor=request.user, unit=unit, year=values["year"], title=values["title"], areas=areas,
                introduction=values["introduction"], publish=request.POST.get("publish") == "1",
            )  # fmt: skip
        except (ValidationError, ScopeError) as exc:
            _errors(request, exc)
        else:
            messages.success(request, "Đã ban hành chương trình." if programme.is_published else "Đã lưu bản nháp.")
            return redirect("training_programme", pk=programme.pk)
    numbered = [(i, a) for i, a in enumerate(areas, start=1)]
    return render(request, "training/programme_form.html", {"unit": unit, "values": values, "areas": numbered})


@login_required
def programme_detail(request, pk: int):
    _official(request)
    try:
        programme = selectors.programme_get(actor=request.user, pk=pk)
    except Exception as exc:
        raise Http404("Không tìm thấy chương trình trong phạm vi của bạn.") from exc
    if request.method == "POST" and request.POST.get("action") == "publish":
        try:
            services.programme_publish(actor=request.user, programme=programme)
        except (ValidationError, ScopeError) as exc:
            _errors(request, exc)
        else:
            messages.success(request, "Đã ban hành chương trình.")
        return redirect("training_programme", pk=pk)
    can_manage = has_perm(request.user, "member.manage") and programme.unit.path.startswith(request.user.unit.path)
    return render(request, "training/programme_detail.html", {"programme": programme, "can_manage": can_manage})


@login_required
def branch_status(request):
    """Who has registered, who has not; one tap to remind; take registrations in hand."""
    _official(request)
    unit = unit_from_request(request)
    year = _year(request)
    if unit.kind not in MEMBER_HOLDING_KINDS:
        messages.info(request, "Chọn một chi đoàn để xem tình hình đăng ký rèn luyện.")
        return redirect("training_programmes")
    status = selectors.branch_status(actor=request.user, unit=unit, year=year)
    return render(
        request, "training/branch_status.html",
        {"status": status, "unit": unit, "year": year, "can_manage": has_perm(request.user, "member.manage")},
    )  # fmt: skip


@login_required
@require_POST
def remind(request):
    _official(request)
    unit = unit_from_request(request, request.POST)
    year = _year(request, request.POST)
    chosen = [int(i) for i in request.POST.getlist("member") if i.isdigit()]
    try:
        n = services.reminders_send(actor=request.user, unit=unit, year=year, member_ids=chosen or None)
    except (ValidationError, ScopeError) as exc:
        _errors(request, exc)
    else:
        messages.success(
            request, f"Đã nhắc {n} đoàn viên." if n else "Không có ai cần nhắc (đã đăng ký hoặc đã được nhắc hôm nay)."
        )
    return redirect(f"/ren-luyen/chi-doan/?unit={unit.pk}&year={year}")


@login_required
@require_POST
def accept(request):
    _official(request)
    unit = unit_from_request(request, request.POST)
    year = _year(request, request.POST)
    chosen = [int(i) for i in request.POST.getlist("member") if i.isdigit()]
    try:
        n = services.registrations_accept(actor=request.user, unit=unit, year=year, member_ids=chosen)
    except (ValidationError, ScopeError) as exc:
        _errors(request, exc)
    else:
        messages.success(request, f"Đã ghi nhận {n} đăng ký: chuyển sang “Đang thực hiện”.")
    return redirect(f"/ren-luyen/chi-doan/?unit={unit.pk}&year={year}")


@login_required
def results(request):
    """The bulk year-end screen: one level per member for the whole branch, submitted at once."""
    _official(request)
    unit = unit_from_request(request, request.POST if request.method == "POST" else None)
    year = _year(request, request.POST if request.method == "POST" else None)
    if unit.kind not in MEMBER_HOLDING_KINDS:
        raise Http404("Kết quả rèn luyện do chi đoàn xác nhận.")
    if request.method == "POST":
        data = {}
        for key, value in request.POST.items():
            if key.startswith("level_") and key[6:].isdigit():
                data[int(key[6:])] = {"level": value, "note": request.POST.get(f"note_{key[6:]}", "")}
        try:
            done = services.results_confirm(
                actor=request.user, unit=unit, year=year, results=data, reason=request.POST.get("reason", "")
            )
        except (ValidationError, ScopeError) as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"Đã xác nhận kết quả cho {done['changed']} đoàn viên.")
            return redirect(f"/ren-luyen/ket-qua/?unit={unit.pk}&year={year}")
    status = selectors.branch_status(actor=request.user, unit=unit, year=year)
    return render(
        request, "training/results.html",
        {"status": status, "unit": unit, "year": year, "levels": ResultLevel.choices, "posted": request.POST},
    )  # fmt: skip


@login_required
def my_programme(request):
    """The member's own page (phone): the programme that applies, their targets, result, reminders."""
    member = member_selectors.member_of_account(request.user)
    if member is None:
        raise Http404("Tài khoản chưa gắn với hồ sơ đoàn viên.")
    year = _year(request, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        targets = {k[7:]: v for k, v in request.POST.items() if k.startswith("target_")}
        try:
            existing = selectors.member_training(actor=request.user, member=member, year=year).registration
            if existing is None:
                services.registration_create(actor=request.user, member=member, year=year, targets=targets)
                messages.success(request, "Đã đăng ký chương trình rèn luyện.")
            else:
                services.registration_update(
                    actor=request.user, registration=existing, targets=targets, version=request.POST.get("version")
                )
                messages.success(request, "Đã lưu chỉ tiêu.")
        except (ValidationError, ScopeError) as exc:
            _errors(request, exc)
        else:
            return redirect(f"/ren-luyen/cua-toi/?year={year}")
    info = selectors.member_training(actor=request.user, member=member, year=year)
    services.reminders_mark_read(actor=request.user, member=member)
    targets = {t.area_id: t.text for t in info.registration.targets.all()} if info.registration else {}
    areas = [(a, targets.get(a.pk, "")) for a in info.programme.areas.all()] if info.programme else []
    editable = info.registration is None or info.registration.state == "registered"
    return render(
        request, "training/my_programme.html",
        {"info": info, "areas": areas, "year": year, "editable": editable and info.programme is not None},
    )  # fmt: skip

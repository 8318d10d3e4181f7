"""Member pages: list/search/filter, record, create/edit, status, history, export, the e-member book."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from doanso.core import audit
from doanso.core.scope import has_perm, is_official
from doanso.core.web import apply_service_errors, get_or_404, unit_from_request
from doanso.organisations import selectors as unit_selectors
from doanso.organisations.choices import MEMBER_HOLDING_KINDS

from . import selectors, services
from .choices import MemberStatus
from .forms import MemberAccountForm, MemberFilterForm, MemberForm, MemberStatusForm
from .models import Member


def _official(request, perm: str = "member.view"):
    if not has_perm(request.user, perm):
        raise PermissionDenied("Vai trò của bạn không có quyền này.")


@login_required
def member_list(request):
    _official(request)
    unit = unit_from_request(request)
    form = MemberFilterForm(request.GET or None)
    filters = selectors.MemberFilters.from_params(request.GET)
    try:
        page = selectors.member_list(
            actor=request.user, unit=unit, filters=filters, page=_page_number(request), page_size=20
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        page = None
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "unit": unit,
        "form": form,
        "page": page,
        "query": params.urlencode(),
        "crumbs": unit_selectors.unit_breadcrumbs(actor=request.user, unit=unit),
        "can_manage": has_perm(request.user, "member.manage"),
        "can_export": has_perm(request.user, "member.export"),
        "holds_members": unit.kind in MEMBER_HOLDING_KINDS,
    }
    template = "members/partials/list_rows.html" if request.headers.get("HX-Request") else "members/list.html"
    return render(request, template, context)


def _page_number(request) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100000 else 1


@login_required
def member_detail(request, pk: int):
    if not is_official(request.user):
        raise Http404
    member = get_or_404(selectors.member_get, actor=request.user, pk=pk)
    context = {
        "member": member,
        "statuses": selectors.member_status_history(member=member),
        "moves": selectors.member_unit_history(member=member),
        "crumbs": unit_selectors.unit_breadcrumbs(actor=request.user, unit=member.unit),
        "can_manage": has_perm(request.user, "member.manage"),
        "events": audit.history_of(member)[:100] if has_perm(request.user, "audit.view") else [],
        "labels": audit.field_labels(Member),
        "has_account": hasattr(member, "account"),
    }
    return render(request, "members/detail.html", context)


def _initial_from(member: Member) -> dict:
    data = {name: getattr(member, name) for name in services.EDITABLE_FIELDS}
    data["ethnicity"] = member.ethnicity_id
    data["religion"] = member.religion_id
    data["permanent_ward"] = member.permanent_ward_id
    data["current_ward"] = member.current_ward_id
    data["permanent_province"] = member.permanent_ward.province_id if member.permanent_ward_id else None
    data["current_province"] = member.current_ward.province_id if member.current_ward_id else None
    data["phone"] = member.phone_display
    data["version"] = member.version
    return data


@login_required
def member_create(request):
    _official(request, "member.manage")
    unit = unit_from_request(request)
    if unit.kind not in MEMBER_HOLDING_KINDS:
        messages.error(request, "Hãy chọn một chi đoàn để thêm đoàn viên.")
        return redirect("unit_detail", pk=unit.pk)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_create(
                actor=request.user, unit=unit, data=form.service_data(),
                accept_warnings=form.cleaned_data["accept_warnings"],
            )  # fmt: skip
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Đã thêm đoàn viên {member.full_name}.")
            return redirect("member_detail", pk=member.pk)
    return render(request, "members/form.html", {"form": form, "unit": unit, "title": f"Thêm đoàn viên — {unit.name}"})


@login_required
def member_edit(request, pk: int):
    _official(request, "member.manage")
    member = get_or_404(selectors.member_get, actor=request.user, pk=pk, action="manage")
    form = MemberForm(request.POST or None, initial=_initial_from(member))
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(
                actor=request.user, member=member, data=form.service_data(), version=form.cleaned_data.get("version"),
                accept_warnings=form.cleaned_data["accept_warnings"],
            )  # fmt: skip
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Đã lưu hồ sơ.")
            return redirect("member_detail", pk=member.pk)
    return render(
        request,
        "members/form.html",
        {"form": form, "unit": member.unit, "member": member, "title": f"Sửa hồ sơ {member.full_name}"},
    )


@login_required
def member_status(request, pk: int):
    _official(request, "member.manage")
    member = get_or_404(selectors.member_get, actor=request.user, pk=pk, action="manage")
    form = MemberStatusForm(request.POST or None, initial={"effective_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.member_change_status(
                actor=request.user, member=member, status=d["status"], effective_on=d["effective_on"],
                reason=d["reason"], decision_number=d["decision_number"],
            )  # fmt: skip
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Đã ghi nhận trạng thái “{MemberStatus(d['status']).label}”.")
            return redirect("member_detail", pk=member.pk)
    return render(
        request,
        "members/simple_form.html",
        {"form": form, "member": member, "title": f"Thay đổi trạng thái — {member.full_name}"},
    )


@login_required
def member_account(request, pk: int):
    _official(request, "member.manage")
    member = get_or_404(selectors.member_get, actor=request.user, pk=pk, action="manage")
    form = MemberAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from doanso.accounts.services import member_account_issue

        try:
            member_account_issue(actor=request.user, member=member, password=form.cleaned_data["password"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Đã cấp tài khoản: đoàn viên đăng nhập bằng số CCCD hoặc số điện thoại.")
            return redirect("member_detail", pk=member.pk)
    return render(
        request,
        "members/simple_form.html",
        {"form": form, "member": member, "title": f"Cấp tài khoản sổ đoàn viên — {member.full_name}"},
    )


@login_required
def member_export(request, fmt: str):
    """The old export link: the same list (scope and filters) is now exported in the background.

    GET changes nothing: it shows the export buttons for these filters; a click starts a job
    (doanso.jobs, export "members") whose progress shows on the page and in "Công việc của tôi".
    """
    _official(request, "member.export")
    unit = unit_from_request(request)
    if fmt not in ("xlsx", "csv", "pdf"):
        raise Http404
    params = request.GET.copy()
    for key in ("unit", "page"):
        params.pop(key, None)
    filters = selectors.MemberFilters.from_params(request.GET)
    try:
        filters.validate()
    except ValidationError as exc:
        raise Http404(" ".join(exc.messages)) from exc
    context = {"unit": unit, "query": params.urlencode(), "fmt": fmt,
               "crumbs": unit_selectors.unit_breadcrumbs(actor=request.user, unit=unit)}  # fmt: skip
    return render(request, "members/export.html", context)


@login_required
def member_book(request):
    """The member's own e-member book: their record and history, nothing else."""
    member = selectors.member_of_account(request.user)
    if member is None:
        if is_official(request.user):
            return redirect("home")
        raise Http404("Tài khoản chưa gắn với hồ sơ đoàn viên.")
    from doanso.dues.selectors import paid_through
    from doanso.evaluation import selectors as evaluation

    graded = any(ev.stage == "approved" for ev in evaluation.member_grades(actor=request.user, member=member))
    context = {
        "member": member,
        "statuses": selectors.member_status_history(member=member),
        "moves": selectors.member_unit_history(member=member),
        # the summary at the top: what is owed, and which sections there are to jump to
        "dues": paid_through([member]).get(member.pk),
        "has_evaluation": graded or evaluation.open_round_for_member(member=member) is not None,
    }
    return render(request, "members/book.html", context)

"""Tree pages: browse lazily, search, and the dated tree operations. Views parse and call services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from doanso.core import audit
from doanso.core.models import Ward
from doanso.core.scope import has_perm
from doanso.core.web import apply_service_errors, get_or_404, parse_vn_date

from . import selectors, services
from .choices import MEMBER_HOLDING_KINDS, ChangeKind
from .forms import (
    UnitCloseForm,
    UnitCreateForm,
    UnitEditForm,
    UnitMergeForm,
    UnitMoveForm,
    UnitReopenForm,
    UnitSplitForm,
)
from .models import Unit, UnitChange


def _official(request):
    if not has_perm(request.user, "unit.view"):
        raise PermissionDenied("Chỉ tài khoản cán bộ mới xem được cây tổ chức.")


@login_required
def tree(request):
    _official(request)
    return redirect("unit_detail", pk=request.user.unit_id)


@login_required
def unit_detail(request, pk: int):
    _official(request)
    unit = get_or_404(selectors.unit_get, actor=request.user, pk=pk)
    as_of = None
    if request.GET.get("as_of"):
        as_of = parse_vn_date(request.GET["as_of"])
        if as_of is None:
            messages.error(request, "Ngày xem cây tổ chức không hợp lệ (nhập theo dạng dd/mm/yyyy).")
    if as_of:
        children = selectors.unit_children_as_of(actor=request.user, unit=unit, day=as_of)
    else:
        children = selectors.unit_children(actor=request.user, unit=unit)
    from doanso.members.selectors import member_count_rollup

    member_total = member_count_rollup(unit=unit, statuses=["active", "in_transit"])
    context = {
        "unit": unit,
        "children": children,
        "as_of": as_of,
        "crumbs": selectors.unit_breadcrumbs(actor=request.user, unit=unit),
        "member_total": member_total,
        "can_manage": has_perm(request.user, "unit.manage"),
        "can_manage_members": has_perm(request.user, "member.manage") and unit.kind in MEMBER_HOLDING_KINDS,
        "can_manage_accounts": has_perm(request.user, "account.manage"),
        "holds_members": unit.kind in MEMBER_HOLDING_KINDS,
        "is_own_unit": unit.pk == request.user.unit_id,
    }
    return render(request, "organisations/unit_detail.html", context)


@login_required
@require_GET
def unit_children(request, pk: int):
    """HTMX: the children of one node, loaded when it is opened."""
    _official(request)
    unit = get_or_404(selectors.unit_get, actor=request.user, pk=pk)
    children = selectors.unit_children(actor=request.user, unit=unit)
    return render(request, "organisations/partials/children.html", {"children": children, "parent": unit})


@login_required
@require_GET
def unit_search(request):
    _official(request)
    q = request.GET.get("q", "")
    results = selectors.unit_search(actor=request.user, q=q) if q.strip() else []
    template = (
        "organisations/partials/search_results.html"
        if request.headers.get("HX-Request")
        else "organisations/search.html"
    )
    return render(request, template, {"results": results, "q": q})


@login_required
@require_GET
def unit_pick(request):
    """HTMX: radio options for the unit picker widget, from the actor's scope."""
    _official(request)
    field = request.GET.get("field", "unit")
    q = request.GET.get(f"{field}_q", "") or request.GET.get("q", "")
    results = selectors.unit_search(actor=request.user, q=q, limit=15) if q.strip() else []
    return render(request, "organisations/partials/pick_results.html", {"results": results, "field": field})


@login_required
@require_GET
def wards_for_province(request):
    province = next((v for k, v in request.GET.items() if k.endswith("province") and v), "0")
    wards = Ward.objects.filter(province_id=province).order_by("name") if str(province).isdigit() else []
    return render(request, "organisations/partials/ward_options.html", {"wards": wards})


def _manageable(request, pk: int) -> Unit:
    _official(request)
    unit = get_or_404(selectors.unit_get, actor=request.user, pk=pk)
    if not has_perm(request.user, "unit.manage"):
        raise PermissionDenied("Vai trò của bạn không có quyền thay đổi cây tổ chức.")
    return unit


@login_required
def unit_create(request, pk: int):
    parent = _manageable(request, pk)
    form = UnitCreateForm(request.POST or None, parent=parent)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = services.unit_create(
                actor=request.user, parent=parent, code=data["code"], name=data["name"], kind=data["kind"],
                short_name=data["short_name"], sector=data["sector"], province=data["province"], ward=data["ward"],
                address=data["address"], founded_on=data["founded_on"], decision_number=data["decision_number"],
            )  # fmt: skip
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Đã thành lập {unit.name}.")
            return redirect("unit_detail", pk=unit.pk)
    return render(
        request,
        "organisations/form.html",
        {"form": form, "unit": parent, "title": f"Thành lập đơn vị trực thuộc {parent.name}"},
    )


@login_required
def unit_edit(request, pk: int):
    unit = _manageable(request, pk)
    initial = {
        "name": unit.name, "short_name": unit.short_name, "sector": unit.sector, "province": unit.province_id,
        "ward": unit.ward_id, "address": unit.address, "founded_on": unit.founded_on, "version_name": unit.name,
    }  # fmt: skip
    form = UnitEditForm(request.POST or None, initial=initial, unit=unit)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version_name = data.pop("version_name") or None
        try:
            services.unit_update(actor=request.user, unit=unit, data=data, version_name=version_name)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Đã lưu thông tin đơn vị.")
            return redirect("unit_detail", pk=unit.pk)
    return render(
        request, "organisations/form.html", {"form": form, "unit": unit, "title": f"Sửa thông tin {unit.name}"}
    )


def _dated_action(request, pk: int, form_class, action, title: str, success: str, **form_kwargs):
    unit = _manageable(request, pk)
    kwargs = {k: (v(unit) if callable(v) else v) for k, v in form_kwargs.items()}
    form = form_class(request.POST or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            action(unit, form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, success.format(unit=unit.name))
            return redirect("unit_detail", pk=unit.pk)
    return render(
        request, "organisations/form.html", {"form": form, "unit": unit, "title": title.format(unit=unit.name)}
    )


@login_required
def unit_move(request, pk: int):
    def act(unit, d):
        services.unit_move(
            actor=request.user,
            unit=unit,
            new_parent=d["new_parent"],
            on=d["effective_on"],
            decision_number=d["decision_number"],
        )

    return _dated_action(
        request, pk, UnitMoveForm, act, "Chuyển {unit} sang đơn vị cấp trên khác", "Đã chuyển {unit}.",
        actor=request.user, unit=lambda u: u,
    )  # fmt: skip


@login_required
def unit_merge(request, pk: int):
    def act(unit, d):
        services.unit_merge(
            actor=request.user, absorbed=unit, survivor=d["survivor"], on=d["effective_on"],
            decision_number=d["decision_number"],
        )  # fmt: skip

    return _dated_action(
        request, pk, UnitMergeForm, act, "Hợp nhất {unit} vào đơn vị khác",
        "Đã hợp nhất {unit}; đoàn viên và đơn vị trực thuộc đã chuyển sang đơn vị nhận.",
        actor=request.user, unit=lambda u: u,
    )  # fmt: skip


@login_required
def unit_close(request, pk: int):
    def act(unit, d):
        services.unit_close(
            actor=request.user,
            unit=unit,
            on=d["effective_on"],
            decision_number=d["decision_number"],
            reason=d["reason"],
        )

    return _dated_action(request, pk, UnitCloseForm, act, "Giải thể {unit}", "Đã giải thể {unit}.")


@login_required
def unit_reopen(request, pk: int):
    def act(unit, d):
        services.unit_reopen(actor=request.user, unit=unit, on=d["effective_on"], decision_number=d["decision_number"])

    return _dated_action(request, pk, UnitReopenForm, act, "Khôi phục hoạt động {unit}", "Đã khôi phục {unit}.")


@login_required
def unit_split(request, pk: int):
    from doanso.members.models import Member

    unit = _manageable(request, pk)
    members = list(
        Member.objects.restrict(request.user, "manage")
        .filter(unit=unit, status__in=["active", "in_transit"])
        .order_by("sort_key")
    )
    children = list(selectors.unit_children(actor=request.user, unit=unit))
    form = UnitSplitForm(request.POST or None, members=members, children=children)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.unit_split(
                actor=request.user, unit=unit, parts=form.parts(), close_original=form.cleaned_data["close_original"],
                on=form.cleaned_data["effective_on"], decision_number=form.cleaned_data["decision_number"],
            )  # fmt: skip
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Đã chia tách {unit.name} thành: {', '.join(u.name for u in created)}.")
            return redirect("unit_detail", pk=unit.pk)
    return render(request, "organisations/split.html", {"form": form, "unit": unit, "title": f"Chia tách {unit.name}"})


@login_required
def unit_history(request, pk: int):
    _official(request)
    unit = get_or_404(selectors.unit_get, actor=request.user, pk=pk)
    if not has_perm(request.user, "audit.view"):
        raise PermissionDenied("Vai trò của bạn không xem được lịch sử thay đổi.")
    changes = selectors.unit_changes(unit=unit)
    events = audit.history_of(unit)[:200]
    return render(
        request,
        "organisations/history.html",
        {
            "unit": unit,
            "changes": changes,
            "events": events,
            "labels": audit.field_labels(Unit),
            "MERGE": ChangeKind.MERGE,
        },
    )


@login_required
def change_revert(request, pk: int):
    _official(request)
    change = UnitChange.objects.filter(pk=pk, unit__in=Unit.objects.restrict(request.user, "manage")).first()
    if change is None:
        raise PermissionDenied("Không tìm thấy thay đổi trong phạm vi quản lý của bạn.")
    form = UnitReopenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_merge_revert(actor=request.user, change=change, on=form.cleaned_data["effective_on"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Đã hủy hợp nhất, khôi phục {change.unit.name}.")
            return redirect("unit_detail", pk=change.unit_id)
    return render(
        request, "organisations/form.html", {"form": form, "unit": change.unit, "title": f"Hủy: {change.summary}"}
    )

"""Pages of the import: upload for a unit, the preview (three groups), confirm, error rows, template, history."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from doanso.core.scope import ScopeError, has_perm
from doanso.core.web import get_or_404, unit_from_request
from doanso.organisations import selectors as unit_selectors

from . import files, selectors, services
from .forms import ConfirmForm, UploadForm
from .models import ImportKind, ImportState

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _need(request, perm: str = "member.manage"):
    if not has_perm(request.user, perm):
        raise PermissionDenied("Vai trò của bạn không có quyền nhập dữ liệu.")


@login_required
def import_start(request):
    """GET: the upload form and the unit's import history. POST: upload and check."""
    _need(request)
    unit = unit_from_request(request, request.POST if request.method == "POST" else None)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > services.max_bytes() + 64 * 1024:
            form.add_error(None, f"Tệp nặng {services.size_text(length)}, quá giới hạn {settings.IMPORT_MAX_MB} MB. "
                                 "Hãy chia danh sách thành nhiều tệp nhỏ hơn.")  # fmt: skip
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = services.import_upload(
                    actor=request.user, unit=unit, kind=form.cleaned_data["kind"], file=upload, file_name=upload.name
                )
            except ScopeError as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("file", message)
            else:
                return redirect("import_detail", pk=batch.pk)
    context = {
        "unit": unit,
        "form": form,
        "batches": selectors.batch_list(actor=request.user, unit=unit),
        "crumbs": unit_selectors.unit_breadcrumbs(actor=request.user, unit=unit),
        "max_mb": settings.IMPORT_MAX_MB,
        "can_units": has_perm(request.user, "unit.manage"),
    }
    return render(request, "imports/start.html", context, status=400 if form.errors else 200)


@login_required
def import_detail(request, pk: int):
    batch = get_or_404(selectors.batch_get, actor=request.user, pk=pk)
    group = request.GET.get("nhom") or ("error" if batch.blocked_count else "create")
    page = selectors.batch_rows(batch=batch, group=group, page=request.GET.get("trang") or 1)
    context = {
        "batch": batch,
        "unit": batch.unit,
        "group": group,
        "page": page,
        "confirm_form": ConfirmForm(initial={"mode": "valid" if batch.blocked_count else "all"}),
        "crumbs": unit_selectors.unit_breadcrumbs(actor=request.user, unit=batch.unit),
        "groups": [
            ("create", "Thêm mới", batch.create_count),
            ("update", "Cập nhật", batch.update_count + batch.same_count),
            ("conflict", "Ở đơn vị khác", batch.conflict_count),
            ("error", "Có lỗi", batch.error_count),
        ],
        "busy": batch.state in (ImportState.CHECKING, ImportState.CONFIRMING),
    }
    if request.headers.get("HX-Request") and request.GET.get("part") == "rows":
        return render(request, "imports/partials/rows.html", context)
    return render(request, "imports/detail.html", context)


@login_required
@require_POST
def import_confirm(request, pk: int):
    batch = get_or_404(selectors.batch_get, actor=request.user, pk=pk)
    form = ConfirmForm(request.POST)
    mode = form.cleaned_data["mode"] if form.is_valid() else request.POST.get("mode", "")
    try:
        batch = services.import_confirm(actor=request.user, batch=batch, mode=mode)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("import_detail", pk=pk)
    if batch.state == ImportState.CONFIRMED:
        messages.success(request, f"Đã nhập: thêm {batch.created_count}, cập nhật {batch.updated_count}.")
    elif batch.state == ImportState.CONFIRMING:
        messages.success(request, "Đang ghi dữ liệu trong nền. Bạn có thể rời trang này và quay lại sau.")
    else:
        messages.error(request, batch.message)
    return redirect("import_detail", pk=pk)


@login_required
@require_POST
def import_sheet(request, pk: int):
    batch = get_or_404(selectors.batch_get, actor=request.user, pk=pk)
    try:
        services.import_choose_sheet(actor=request.user, batch=batch, sheet=request.POST.get("sheet", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("import_detail", pk=pk)


@login_required
def import_errors(request, pk: int):
    batch = get_or_404(selectors.batch_get, actor=request.user, pk=pk)
    response = HttpResponse(files.errors_xlsx(batch=batch), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="dong-loi-nhap-{batch.pk}.xlsx"'
    return response


@login_required
def import_template(request, kind: str):
    if kind not in ImportKind.values:
        raise Http404
    unit = unit_from_request(request) if request.GET.get("unit") or getattr(request.user, "unit_id", None) else None
    response = HttpResponse(files.template_xlsx(kind=kind, unit=unit), content_type=XLSX)
    name = "mau-nhap-doan-vien.xlsx" if kind == ImportKind.MEMBERS else "mau-nhap-don-vi.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

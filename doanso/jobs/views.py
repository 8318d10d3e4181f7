"""Pages of background jobs: start an export, "Công việc của tôi", a job's progress, the download."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from doanso.core.web import get_or_404
from doanso.organisations.models import Unit

from . import selectors, services


def _export_params(request) -> dict:
    """The list's own query string (its filters), then the unit and format chosen on the button."""
    params = QueryDict(request.POST.get("params", "")).dict()
    params.pop("page", None)
    for key in ("unit", "format"):
        if request.POST.get(key):
            params[key] = request.POST[key]
    for key, value in request.POST.items():  # extra visible fields of an export form (year, as_of…)
        if key not in ("export", "params", "csrfmiddlewaretoken", "unit", "format"):
            params[key] = value
    return params


@login_required
@require_POST
def export_start(request):
    kind = f"export.{request.POST.get('export', '')}"
    htmx = bool(request.headers.get("HX-Request"))
    try:
        job = services.job_start(actor=request.user, kind=kind, params=_export_params(request))
    except Unit.DoesNotExist as exc:
        raise Http404("Không tìm thấy, hoặc nằm ngoài phạm vi quản lý của bạn.") from exc
    except ValidationError as exc:
        error = " ".join(exc.messages)
        if htmx:
            return render(request, "jobs/partials/job_error.html", {"error": error})
        messages.error(request, error)
        return redirect("job_list")
    if htmx:
        return render(request, "jobs/partials/job_progress.html", {"job": job, "compact": True})
    messages.success(request, "Đã bắt đầu xuất dữ liệu. Bạn có thể rời trang này và quay lại sau.")
    return redirect("job_detail", pk=job.pk)


@login_required
def job_list(request):
    jobs = selectors.job_list(actor=request.user)
    return render(request, "jobs/list.html", {"jobs": jobs})


@login_required
def job_detail(request, pk: int):
    job = get_or_404(selectors.job_get, actor=request.user, pk=pk)
    return render(request, "jobs/detail.html", {"job": job})


@login_required
def job_progress(request, pk: int):
    """The HTMX-polled fragment: it stops polling once the job is done or failed."""
    job = get_or_404(selectors.job_get, actor=request.user, pk=pk)
    return render(request, "jobs/partials/job_progress.html", {"job": job, "compact": request.GET.get("compact")})


@login_required
def job_download(request, pk: int):
    path, name = get_or_404(selectors.job_file, actor=request.user, pk=pk)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name)  # noqa: SIM115 - closed by Django

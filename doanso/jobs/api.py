"""API of background jobs: start an export, list my jobs, a job's progress, download its file."""

from __future__ import annotations

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from . import selectors, services
from .models import Job
from .registry import EXPORTS
from .writers import FORMAT_LABELS

JOB_FIELDS = {
    "id": serializers.IntegerField(), "kind": serializers.CharField(), "label": serializers.CharField(),
        "state": serializers.CharField(), "state_label": serializers.CharField(), "unit": serializers.IntegerField(),
        "params": serializers.DictField(), "progress_done": serializers.IntegerField(),
        "progress_total": serializers.IntegerField(allow_null=True), "percent": serializers.IntegerField(),
        "row_count": serializers.IntegerField(allow_null=True), "error": serializers.CharField(),
        "created_at": serializers.DateTimeField(), "started_at": serializers.DateTimeField(allow_null=True),
        "finished_at": serializers.DateTimeField(allow_null=True), "download_url": serializers.CharField(allow_null=True),
}  # fmt: skip
JobOut = inline_serializer("JobOut", JOB_FIELDS)


def job_out(job: Job) -> dict:
    return {
        "id": job.pk, "kind": job.kind, "label": job.label, "state": job.state, "state_label": job.get_state_display(),
        "unit": job.unit_id, "params": job.params, "progress_done": job.progress_done,
        "progress_total": job.progress_total, "percent": job.percent, "row_count": job.row_count, "error": job.error,
        "created_at": job.created_at.isoformat(), "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "download_url": reverse("api_job_download", args=[job.pk]) if job.state == "done" else None,
    }  # fmt: skip


@extend_schema(
    methods=["GET"], operation_id="jobs_list", responses={200: inline_serializer("JobOut", JOB_FIELDS, many=True)},
    summary="Công việc của tôi (mới nhất trước; chỉ công việc do chính tài khoản tạo)",
)  # fmt: skip
@extend_schema(
    methods=["POST"], operation_id="jobs_start",
    request=inline_serializer(
        "JobIn",
        {
            "kind": serializers.CharField(help_text="export.members, export.evaluation_summary, export.grades, …"),
            "params": serializers.DictField(
                help_text='{"unit": 12, "format": "xlsx"|"csv"|"pdf", …bộ lọc: status, sex, q… hoặc year, as_of}'
            ),
        },
    ),
    responses={201: JobOut},
    summary="Bắt đầu một công việc nền (xuất dữ liệu); theo dõi tiến độ ở /api/jobs/{id}/",
)  # fmt: skip
@api_view(["GET", "POST"])
def jobs(request):
    if request.method == "GET":
        return Response([job_out(j) for j in selectors.job_list(actor=request.user)])
    params = request.data.get("params") or {}
    if not isinstance(params, dict):
        from django.core.exceptions import ValidationError

        raise ValidationError({"params": "Tham số phải là một đối tượng JSON."})
    job = services.job_start(actor=request.user, kind=str(request.data.get("kind", "")), params=params)
    job.refresh_from_db()
    return Response(job_out(job), status=201)


@extend_schema(responses={200: JobOut}, summary="Trạng thái và tiến độ của một công việc (chỉ của chính mình)")
@api_view(["GET"])
def job_detail(request, pk: int):
    return Response(job_out(selectors.job_get(actor=request.user, pk=pk)))


@extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY}, summary="Tải tệp kết quả")
@api_view(["GET"])
def job_download(request, pk: int):
    path, name = selectors.job_file(actor=request.user, pk=pk)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name)  # noqa: SIM115 - closed by Django


@extend_schema(
    responses={200: inline_serializer("ExportKind", {"kind": serializers.CharField(), "label": serializers.CharField(),
                                                    "formats": serializers.ListField(), "permission": serializers.CharField(),
                                                    "personal_data": serializers.BooleanField()}, many=True)},
    summary="Các loại xuất dữ liệu có thể yêu cầu",
)  # fmt: skip
@api_view(["GET"])
def export_kinds(request):
    return Response(
        [
            {
                "kind": s.kind,
                "label": s.label,
                "formats": [f for f in s.formats if f in FORMAT_LABELS],
                "permission": s.perm,
                "personal_data": s.personal,
            }
            for s in EXPORTS.values()
        ]  # fmt: skip
    )

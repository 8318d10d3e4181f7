"""API of the import: upload (multipart) → batch with preview counts and the first errors; confirm; error rows."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, parser_classes
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from doanso.organisations.selectors import unit_get

from . import files, selectors, services
from .models import ImportBatch, ImportKind, ImportMode
from .views import XLSX

ERRORS_SHOWN = 50

BATCH_FIELDS = {
    "id": serializers.IntegerField(), "unit": serializers.IntegerField(), "kind": serializers.CharField(),
    "file_name": serializers.CharField(), "file_size": serializers.IntegerField(), "file_type": serializers.CharField(),
    "encoding": serializers.CharField(), "sheet": serializers.CharField(), "sheets": serializers.ListField(child=serializers.CharField()),
    "header_row": serializers.IntegerField(allow_null=True), "state": serializers.CharField(),
    "state_label": serializers.CharField(), "message": serializers.CharField(),
    "unknown_columns": serializers.ListField(child=serializers.CharField()),
    "counts": serializers.DictField(child=serializers.IntegerField()),
    "errors": serializers.ListField(child=serializers.DictField(), help_text="các dòng lỗi đầu tiên: row, outcome, errors[{column, value, reason}]"),
    "mode": serializers.CharField(), "created_count": serializers.IntegerField(), "updated_count": serializers.IntegerField(),
    "job": serializers.IntegerField(allow_null=True), "errors_url": serializers.CharField(),
    "owner": serializers.CharField(), "created_at": serializers.DateTimeField(),
    "confirmed_at": serializers.DateTimeField(allow_null=True),
}  # fmt: skip
BatchOut = inline_serializer("ImportBatchOut", BATCH_FIELDS)


def batch_out(batch: ImportBatch, errors: int = ERRORS_SHOWN) -> dict:
    return {
        "id": batch.pk, "unit": batch.unit_id, "kind": batch.kind, "file_name": batch.file_name,
        "file_size": batch.file_size, "file_type": batch.file_type, "encoding": batch.encoding, "sheet": batch.sheet,
        "sheets": batch.sheets, "header_row": batch.header_row, "state": batch.state,
        "state_label": batch.get_state_display(), "message": batch.message, "unknown_columns": batch.unknown_columns,
        "counts": {"rows": batch.total_rows, "create": batch.create_count, "update": batch.update_count,
                   "same": batch.same_count, "conflict": batch.conflict_count, "error": batch.error_count},
        "errors": [
            {"row": r.number, "outcome": r.outcome,
             "errors": [{"column": c, "value": v, "reason": why} for c, v, why in r.errors]}
            for r in selectors.batch_errors(batch=batch, limit=errors)
        ],
        "mode": batch.mode, "created_count": batch.created_count, "updated_count": batch.updated_count,
        "job": batch.job_id, "errors_url": reverse("api_import_errors", args=[batch.pk]),
        "owner": batch.owner.username, "created_at": batch.created_at.isoformat(),
        "confirmed_at": batch.confirmed_at.isoformat() if batch.confirmed_at else None,
    }  # fmt: skip


@extend_schema(
    methods=["GET"], operation_id="imports_list",
    parameters=[OpenApiParameter("unit", int, description="đơn vị (mặc định: đơn vị của tài khoản); gồm cả đơn vị trực thuộc")],
    responses={200: inline_serializer("ImportBatchOut", BATCH_FIELDS, many=True)},
    summary="Các lần nhập dữ liệu của một đơn vị (mới nhất trước)",
)  # fmt: skip
@extend_schema(
    methods=["POST"], operation_id="imports_upload",
    request={"multipart/form-data": inline_serializer("ImportUpload", {
        "file": serializers.FileField(help_text=".xlsx hoặc .csv (tối đa IMPORT_MAX_MB)"),
        "unit": serializers.IntegerField(help_text="đơn vị nhập vào (trong phạm vi của tài khoản)"),
        "kind": serializers.ChoiceField(choices=ImportKind.choices, required=False),
        "sheet": serializers.CharField(required=False, help_text="tên trang tính khi tệp có nhiều trang"),
    })},
    responses={201: BatchOut},
    summary="Tải lên và kiểm tra một tệp (chưa ghi gì); tệp lớn được kiểm tra trong nền (state=checking, job)",
)  # fmt: skip
@api_view(["GET", "POST"])
@parser_classes([MultiPartParser, FormParser, JSONParser])
def imports(request):
    raw_unit = request.data.get("unit") if request.method == "POST" else request.query_params.get("unit")
    raw_unit = raw_unit or getattr(request.user, "unit_id", None)
    if not str(raw_unit or "").isdigit():
        raise ValidationError({"unit": "Đơn vị không hợp lệ."})
    unit = unit_get(actor=request.user, pk=int(raw_unit))
    if request.method == "GET":
        return Response([batch_out(b, errors=0) for b in selectors.batch_list(actor=request.user, unit=unit)])
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationError({"file": "Hãy gửi tệp trong trường “file” (multipart/form-data)."})
    batch = services.import_upload(
        actor=request.user, unit=unit, kind=str(request.data.get("kind") or ImportKind.MEMBERS), file=upload,
        file_name=upload.name, sheet=str(request.data.get("sheet") or ""),
    )  # fmt: skip
    return Response(batch_out(batch), status=201)


@extend_schema(
    parameters=[OpenApiParameter("errors", int, description=f"số dòng lỗi trả về (mặc định {ERRORS_SHOWN})")],
    responses={200: BatchOut}, summary="Một lần nhập: trạng thái, số dòng mỗi nhóm và các dòng lỗi đầu tiên",
)  # fmt: skip
@api_view(["GET"])
def import_detail(request, pk: int):
    raw = request.query_params.get("errors", "")
    limit = min(int(raw), 10000) if raw.isdigit() else ERRORS_SHOWN
    return Response(batch_out(selectors.batch_get(actor=request.user, pk=pk), errors=limit))


@extend_schema(
    request=inline_serializer("ImportConfirm", {"mode": serializers.ChoiceField(choices=ImportMode.choices, required=False)}),
    responses={200: BatchOut},
    summary="Xác nhận ghi: mode=all (tất cả hoặc không gì cả, mặc định) hoặc valid (chỉ các dòng hợp lệ)",
)  # fmt: skip
@api_view(["POST"])
def import_confirm(request, pk: int):
    batch = selectors.batch_get(actor=request.user, pk=pk)
    batch = services.import_confirm(
        actor=request.user, batch=batch, mode=str(request.data.get("mode") or ImportMode.ALL)
    )
    return Response(batch_out(batch))


@extend_schema(
    responses={(200, XLSX): OpenApiTypes.BINARY},
    summary="Các dòng lỗi (và trùng CCCD ở đơn vị khác) dạng .xlsx, thêm cột “Lỗi”",
)
@api_view(["GET"])
def import_errors(request, pk: int):
    batch = selectors.batch_get(actor=request.user, pk=pk)
    response = HttpResponse(files.errors_xlsx(batch=batch), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="dong-loi-nhap-{batch.pk}.xlsx"'
    return response

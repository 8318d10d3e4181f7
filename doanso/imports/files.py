"""Files the import hands out: the template to fill in, and the rows to fix (with an error column)."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from doanso.core.web import safe_cell
from doanso.organisations.choices import MEMBER_HOLDING_KINDS
from doanso.organisations.models import Unit

from . import headers as H
from .models import ImportBatch, ImportKind
from .selectors import batch_errors

TEMPLATE_MEMBER_FIELDS = [
    "full_name", "date_of_birth", "sex", "citizen_id", "ethnicity", "religion", "phone", "admitted_on", "branch_code",
    "email", "hometown", "current_address", "occupation", "card_number", "admission_decision_number",
]  # fmt: skip
TEMPLATE_UNIT_FIELDS = ["code", "name", "kind", "parent_code", "short_name", "founded_on"]
TEXT_COLUMNS = {
    "citizen_id",
    "phone",
    "date_of_birth",
    "admitted_on",
    "branch_code",
    "founded_on",
    "code",
    "parent_code",
}


def template_xlsx(*, kind: str, unit: Unit | None = None) -> bytes:
    """The recognised headers and one example row (dates and numbers kept as text, so no zero is lost)."""
    wb = Workbook()
    ws = wb.active
    bold = Font(bold=True)
    if kind == ImportKind.UNITS:
        fields = TEMPLATE_UNIT_FIELDS
        parent = unit.code if unit else "T89-C11"
        example = {"code": f"{parent}-9", "name": "Chi đoàn Ấp Mỹ Lợi", "kind": "Chi đoàn", "parent_code": parent,
                   "short_name": "CĐ Mỹ Lợi", "founded_on": "26/03/2025"}  # fmt: skip
        ws.title = "Đơn vị"
    else:
        fields = TEMPLATE_MEMBER_FIELDS
        branch = None
        if unit is not None:
            branch = (
                Unit.objects.filter(path__startswith=unit.path, kind__in=MEMBER_HOLDING_KINDS, closed_on__isnull=True)
                .order_by("path").values_list("code", flat=True).first()
            )  # fmt: skip
        example = {
            "full_name": "Nguyễn Thị Ngọc Ánh", "date_of_birth": "17/05/2005", "sex": "Nữ", "citizen_id": "089305001234",
            "ethnicity": "Kinh", "religion": "Không", "phone": "0912 345 678", "admitted_on": "26/03/2022",
            "branch_code": branch or "MA-CHI-DOAN", "email": "", "hometown": "An Giang",
            "current_address": "Ấp Mỹ Lợi, xã Mỹ Hòa", "occupation": "Sinh viên", "card_number": "",
            "admission_decision_number": "",
        }  # fmt: skip
        ws.title = "Đoàn viên"
    for col, f in enumerate(fields, start=1):
        required = f in H.REQUIRED[kind]
        cell = ws.cell(row=1, column=col, value=H.label(f, kind) + (" *" if required else ""))
        cell.font = bold
        value = ws.cell(row=2, column=col, value=example.get(f, ""))
        if f in TEXT_COLUMNS:
            value.number_format = "@"
            for row in range(3, 1001):
                ws.cell(row=row, column=col).number_format = "@"
        ws.column_dimensions[cell.column_letter].width = max(14, len(cell.value) + 4)
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell(ws, value: Any, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=safe_cell(value))
    if bold:
        cell.font = Font(bold=True)
    return cell


def errors_xlsx(*, batch: ImportBatch) -> bytes:
    """The rows that were not accepted, as in the file, plus "Lỗi" and the original row number.

    Fix them and upload this file again: the two added columns are ignored by the import.
    Text cells beginning with = + - @ are neutralised (read back as typed by the import).
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=(batch.sheet or "Dòng lỗi")[:31])
    width = len(batch.headers)
    ws.append(
        [_cell(ws, h, bold=True) for h in batch.headers] + [_cell(ws, "Lỗi", True), _cell(ws, "Dòng (tệp gốc)", True)]
    )
    for row in batch_errors(batch=batch).iterator(chunk_size=2000):
        cells = list(row.cells)[:width] + [""] * max(0, width - len(row.cells))
        reasons = "; ".join(f"{col}: {reason}" if col else reason for col, _value, reason in row.errors)
        ws.append([_cell(ws, c) for c in cells] + [_cell(ws, reasons), row.number])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

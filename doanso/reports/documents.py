"""The periodic report as a Union document (2013 layout, conventions.md §5): Excel and PDF.

Header: the superior body and the unit on the left with `***`, "ĐOÀN TNCS HỒ CHÍ MINH" and the place and
date on the right; the title "BÁO CÁO THỐNG KÊ ĐOÀN VIÊN — Quý II/2026" and the period's dates; the
table with its total row; then "Nơi nhận" and the signer block (TM. BAN CHẤP HÀNH / BÍ THƯ).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

from django.utils import timezone

from doanso.core import vn
from doanso.core.web import safe_cell
from doanso.organisations.models import Unit

from .selectors import PeriodicReport

TITLE = "BÁO CÁO THỐNG KÊ ĐOÀN VIÊN"


def _place(unit: Unit) -> str:
    if unit.ward_id:
        return unit.ward.name.split(" ", 1)[-1]
    if unit.province_id:
        return unit.province.name
    return "Hà Nội"


@dataclass
class DocumentHead:
    superior: str
    issuer: str
    place_date: str
    title: str
    dates: str
    on_behalf: str
    signer_title: str = "BÍ THƯ"

    @classmethod
    def of(cls, report: PeriodicReport, day: date | None = None) -> DocumentHead:
        unit = report.unit
        day = day or timezone.localdate()
        dates = report.period.dates_text
        if not report.complete:
            dates += f" (số liệu đến ngày {report.as_of:%d/%m/%Y})"
        higher = unit.kind in ("central", "province", "central_direct")
        return cls(
            superior=(unit.parent.name if unit.parent_id else "").upper(),
            issuer=unit.name.upper(),
            place_date=vn.long_date(day, _place(unit)),
            title=f"{TITLE} — {report.period.label}",
            dates=dates,
            on_behalf="TM. BAN THƯỜNG VỤ" if higher else "TM. BAN CHẤP HÀNH",
        )


def table_rows(report: PeriodicReport) -> list[list]:
    """STT, unit, figures… per row, then the total row (as the page, the API and the files show them)."""
    keys = [k for k, _, _ in report.columns]
    out = []
    for n, row in enumerate(report.rows, 1):
        name = row.name + (f" ({row.note})" if row.note else "")
        out.append([n, name, *(row.figures[k] for k in keys)])
    out.append(["", "Tổng cộng", *(report.total[k] for k in keys)])
    return out


# ---------------------------------------------------------------- Excel


def write_xlsx(fh: IO[bytes], report: PeriodicReport) -> int:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    head = DocumentHead.of(report)
    wb = Workbook()
    ws = wb.active
    ws.title = "Báo cáo"
    ncols = 2 + len(report.columns)
    last = get_column_letter(ncols)
    half = max(2, ncols // 2)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)

    def line(row: int, left: str, right: str, *, bold_left=False, bold_right=False, italic_right=False):
        ws.cell(row=row, column=1, value=left).font = Font(bold=bold_left)
        ws.cell(row=row, column=1).alignment = center
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=half)
        c = ws.cell(row=row, column=half + 1, value=right)
        c.font = Font(bold=bold_right, italic=italic_right, underline="single" if bold_right else None)
        c.alignment = center
        ws.merge_cells(start_row=row, start_column=half + 1, end_row=row, end_column=ncols)

    line(1, head.superior, "ĐOÀN TNCS HỒ CHÍ MINH", bold_right=True)
    line(2, head.issuer, head.place_date, bold_left=True, italic_right=True)
    line(3, "***", "")
    for row, text, font in ((5, head.title, Font(bold=True, size=14)), (6, head.dates, Font(italic=True))):
        ws.cell(row=row, column=1, value=text).font = font
        ws.cell(row=row, column=1).alignment = center
        ws.merge_cells(f"A{row}:{last}{row}")
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header = ["STT", "Đơn vị", *(label for _, label, _ in report.columns)]
    for col, text in enumerate(header, 1):
        c = ws.cell(row=8, column=col, value=text)
        c.font, c.alignment, c.border = Font(bold=True), center, border
        ws.column_dimensions[get_column_letter(col)].width = 36 if col == 2 else (5 if col == 1 else 11)
    ws.row_dimensions[8].height = 45
    rows = table_rows(report)
    for i, values in enumerate(rows):
        for col, value in enumerate(values, 1):
            c = ws.cell(row=9 + i, column=col, value=safe_cell(value) if isinstance(value, str) else value)
            c.border = border
            if i == len(rows) - 1:
                c.font = Font(bold=True)
            if isinstance(value, int):
                c.number_format = "#,##0"
    ws.freeze_panes = "C9"
    r = 9 + len(rows) + 1
    ws.cell(row=r, column=1, value="Nơi nhận:").font = Font(bold=True, italic=True)
    ws.cell(row=r + 1, column=1, value=f"- {head.superior.title() or 'Cấp trên'};")
    ws.cell(row=r + 2, column=1, value="- Lưu VP.")
    for k, (text, bold) in enumerate(((head.on_behalf, True), (head.signer_title, True), ("", False), ("", False),
                                      ("(Ký, ghi rõ họ tên và đóng dấu)", False))):  # fmt: skip
        c = ws.cell(row=r + k, column=half + 1, value=text)
        c.font, c.alignment = Font(bold=bold, italic=not bold), center
        ws.merge_cells(start_row=r + k, start_column=half + 1, end_row=r + k, end_column=ncols)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    wb.save(fh)
    return len(report.rows)


# ---------------------------------------------------------------- PDF


def write_pdf(fh: IO[bytes], report: PeriodicReport) -> int:
    import font_roboto
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos
    from fpdf.fonts import FontFace

    head = DocumentHead.of(report)
    fonts = Path(font_roboto.__file__).parent / "files"
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_margins(15, 15, 12)
    pdf.set_auto_page_break(auto=True, margin=15)
    for style, name in (("", "Regular"), ("B", "Bold"), ("I", "Italic")):
        pdf.add_font("Roboto", style, str(fonts / f"Roboto-{name}.ttf"))
    pdf.set_title(head.title)
    pdf.set_creator("Đoàn Số")
    pdf.add_page()
    usable = pdf.w - 27
    half = usable / 2
    top = pdf.get_y()
    pdf.set_font("Roboto", "", 10)
    pdf.multi_cell(half, 5, head.superior, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Roboto", "B", 10)
    pdf.multi_cell(half, 5, head.issuer, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Roboto", "", 10)
    pdf.multi_cell(half, 5, "***", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    bottom = pdf.get_y()
    pdf.set_xy(15 + half, top)
    pdf.set_font("Roboto", "B", 12)
    pdf.multi_cell(half, 6, "ĐOÀN TNCS HỒ CHÍ MINH", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font("Roboto", "I", 10)
    pdf.multi_cell(half, 5, head.place_date, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(bottom, pdf.get_y()) + 4)
    pdf.set_font("Roboto", "B", 13)
    pdf.multi_cell(0, 7, head.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Roboto", "I", 10)
    pdf.multi_cell(0, 5, head.dates, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)

    header = ["STT", "Đơn vị", *(short for _, _, short in report.columns)]
    n = len(report.columns)
    name_w, stt_w = 48.0, 8.0
    fig_w = (usable - name_w - stt_w) / n
    widths = [stt_w, name_w, *([fig_w] * n)]
    pdf.set_font("Roboto", "", 7)
    headings = FontFace(emphasis="BOLD", size_pt=6.5, fill_color=(230, 230, 230))
    with pdf.table(
        col_widths=widths, width=usable, text_align="CENTER", line_height=3.6, first_row_as_headings=True,
        repeat_headings=1, headings_style=headings,
    ) as table:  # fmt: skip
        hrow = table.row()
        for text in header:
            hrow.cell(text)
        for values in table_rows(report):
            row = table.row()
            for col, value in enumerate(values):
                text = f"{value:,}".replace(",", ".") if isinstance(value, int) else str(value)
                row.cell(text, align="LEFT" if col == 1 else "RIGHT")
    pdf.ln(5)
    if pdf.will_page_break(35):
        pdf.add_page()
    y = pdf.get_y()
    pdf.set_font("Roboto", "B", 10)
    pdf.multi_cell(half, 5, "Nơi nhận:", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Roboto", "", 9)
    pdf.multi_cell(half, 5, f"- {head.superior.title() or 'Cấp trên'};\n- Lưu VP.", new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)  # fmt: skip
    pdf.set_xy(15 + half, y)
    pdf.set_font("Roboto", "B", 11)
    pdf.multi_cell(half, 6, f"{head.on_behalf}\n{head.signer_title}", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font("Roboto", "I", 9)
    pdf.multi_cell(half, 5, "\n\n(Ký, ghi rõ họ tên và đóng dấu)", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    fh.write(bytes(pdf.output()))
    return len(report.rows)

"""Streaming table writers: .xlsx (openpyxl write-only), .csv (UTF-8 with BOM), PDF (fpdf2, Roboto).

Each writer takes a binary file opened for writing, the export's heading (`Heading`: title, unit,
date in the Union's dd/mm/yyyy, optional subtitle) and its columns, then receives rows one at a
time with `write(row)` and finishes with `close()`. No writer keeps the rows: openpyxl's write-only
mode spools each row to a temporary file, the CSV writer writes through, and the PDF writer keeps
only the drawn pages, about 0.7 MB per 1,000 rows (which is why PDF exports are capped by
`settings.JOBS_PDF_MAX_ROWS`, 250,000 by default: a 200,000-row grade list takes ~50 s and ~230 MB).

Text cells that begin with =, +, -, @ (and tab, carriage return) are neutralised in .xlsx and .csv
with a leading apostrophe so a spreadsheet never runs them as formulas.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from doanso.core.web import safe_cell


@dataclass(frozen=True)
class Column:
    label: str
    width: int = 16  # characters (xlsx) and relative width (PDF)
    numeric: bool = False


@dataclass(frozen=True)
class Heading:
    title: str  # "DANH SÁCH ĐOÀN VIÊN"
    unit: str  # "Đoàn xã Mỹ Hòa"
    day: date
    subtitle: str = ""  # "Năm 2025", the filters…

    @property
    def day_text(self) -> str:
        return f"Ngày xuất: {self.day.strftime('%d/%m/%Y')}"


def plain(value: Any) -> Any:
    """A cell value as the Union writes it: dates dd/mm/yyyy, None empty, numbers as numbers."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "Có" if value else ""
    if isinstance(value, int | float | str):
        return value
    return str(value)


def number_text(value: Any) -> str:
    """Vietnamese number text for the PDF: 12.345 and 12,5."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")


class XlsxWriter:
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def __init__(self, fh: IO[bytes], *, heading: Heading, columns: list[Column], sheet: str = "Danh sách") -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self.fh = fh
        self.wb = Workbook(write_only=True)
        self.ws = self.wb.create_sheet(sheet[:31])
        for i, col in enumerate(columns, 1):
            self.ws.column_dimensions[get_column_letter(i)].width = col.width
        bold = Font(bold=True)

        def cell(text: str, font=bold):
            c = WriteOnlyCell(self.ws, value=text)
            c.font = font
            return c

        self.ws.append([cell(heading.title, Font(bold=True, size=13))])
        self.ws.append([cell(heading.unit)])
        self.ws.append([heading.subtitle or "", heading.day_text] if heading.subtitle else [heading.day_text])
        self.ws.append([])
        self.ws.append([cell(col.label) for col in columns])

    def write(self, row: tuple | list) -> None:
        self.ws.append([safe_cell(plain(v)) for v in row])

    def close(self) -> None:
        self.wb.save(self.fh)

    def abort(self) -> None:
        """Give up: end openpyxl's row stream and delete its spool file."""
        try:
            self.ws.close()
            self.ws._writer.cleanup()
        except Exception:  # noqa: S110 - best effort on a file being thrown away
            pass


class CsvWriter:
    """UTF-8 with a byte-order mark so Excel opens Vietnamese text correctly; header row, then data."""

    content_type = "text/csv; charset=utf-8"

    def __init__(self, fh: IO[bytes], *, heading: Heading, columns: list[Column]) -> None:
        self.text = io.TextIOWrapper(fh, encoding="utf-8", newline="", write_through=False)
        self.text.write("\ufeff")
        self.csv = csv.writer(self.text)
        self.csv.writerow([col.label for col in columns])

    def write(self, row: tuple | list) -> None:
        self.csv.writerow([safe_cell(plain(v)) for v in row])

    def close(self) -> None:
        self.text.flush()
        self.text.detach()

    def abort(self) -> None:
        self.text.detach()


PAGES = "{pages}"  # replaced by the page count; as wide as a five-digit count (a 200,000-row list)


class PdfWriter:
    """A4 landscape table: heading on page 1, the header row repeated on every page, page numbers."""

    content_type = "application/pdf"
    ROW_H = 5.5
    FONT_SIZE = 8

    def __init__(self, fh: IO[bytes], *, heading: Heading, columns: list[Column]) -> None:
        import font_roboto
        from fpdf import FPDF

        self.fh = fh
        self.columns = columns
        fonts = Path(font_roboto.__file__).parent / "files"
        writer = self

        class _Pdf(FPDF):
            def header(self) -> None:
                writer._table_header()

            def footer(self) -> None:
                self.set_y(-12)
                self.set_font("Roboto", "", 7)
                self.cell(0, 5, f"{heading.unit} · {heading.day_text} · Trang {self.page_no()}/{PAGES}", align="R")

        self.pdf = _Pdf(orientation="L", format="A4")
        self.pdf.alias_nb_pages(PAGES)
        self.pdf.set_margins(10, 10, 10)
        self.pdf.set_auto_page_break(auto=True, margin=14)
        self.pdf.add_font("Roboto", "", str(fonts / "Roboto-Regular.ttf"))
        self.pdf.add_font("Roboto", "B", str(fonts / "Roboto-Bold.ttf"))
        self.pdf.add_font("Roboto", "I", str(fonts / "Roboto-Italic.ttf"))
        self.pdf.set_title(heading.title)
        self.pdf.set_creator("Đoàn Số")
        total = sum(c.width for c in columns) or 1
        usable = self.pdf.w - 20
        self.widths = [usable * c.width / total for c in columns]
        self.heading = heading
        self._first = True
        self.pdf.add_page()

    def _table_header(self) -> None:
        pdf = self.pdf
        if self._first:
            self._first = False
            pdf.set_font("Roboto", "", 10)
            pdf.cell(0, 5, "ĐOÀN TNCS HỒ CHÍ MINH", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Roboto", "B", 10)
            pdf.cell(0, 5, self.heading.unit.upper(), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
            pdf.set_font("Roboto", "B", 13)
            pdf.cell(0, 7, self.heading.title, align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Roboto", "I", 9)
            line = " · ".join(x for x in (self.heading.subtitle, self.heading.day_text) if x)
            pdf.cell(0, 5, line, align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        pdf.set_font("Roboto", "B", self.FONT_SIZE)
        pdf.set_fill_color(230, 230, 230)
        for col, w in zip(self.columns, self.widths, strict=True):
            pdf.cell(w, self.ROW_H + 1, self._fit(col.label, w), border=1, align="C", fill=True)
        pdf.ln(self.ROW_H + 1)
        pdf.set_font("Roboto", "", self.FONT_SIZE)

    def _fit(self, text: str, width: float) -> str:
        """Cut a text to its column (with …): a table row keeps one line."""
        room = width - 1.5
        if self.pdf.get_string_width(text) <= room:
            return text
        while text and self.pdf.get_string_width(text + "…") > room:
            text = text[: max(1, int(len(text) * 0.9))] if len(text) > 12 else text[:-1]
        return text + "…"

    def write(self, row: tuple | list) -> None:
        pdf = self.pdf
        if pdf.will_page_break(self.ROW_H):
            pdf.add_page()  # header() draws the column titles again
        for value, col, w in zip(row, self.columns, self.widths, strict=True):
            v = plain(value)
            text = number_text(v) if col.numeric else str(v)
            pdf.cell(w, self.ROW_H, self._fit(text, w), border=1, align="R" if col.numeric else "L")
        pdf.ln(self.ROW_H)

    def close(self) -> None:
        self.fh.write(self.pdf.output())

    def abort(self) -> None:
        self.pdf = None


WRITERS: dict[str, type] = {"xlsx": XlsxWriter, "csv": CsvWriter, "pdf": PdfWriter}
FORMAT_LABELS = {"xlsx": "Excel", "csv": "CSV", "pdf": "PDF"}

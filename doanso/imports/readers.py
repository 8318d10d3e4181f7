"""Read an uploaded .xlsx or .csv into a header row and data rows, or refuse it with a clear message.

The type is decided by the content, not the file name: an .xlsx is a zip holding `xl/workbook.xml`;
an old .xls (OLE2), a Word file, a PDF or any other binary is refused; a text file is a CSV (its
encoding found by `encodings.decode_text`). Excel cells keep their types (dates, numbers) for the
row checker; formulas are never evaluated: the value Excel cached when it saved the file is used, and
a formula without one is reported. A CSV cell that begins with "=" is plain text.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries

from .encodings import decode_text
from .headers import HeaderMap, find_header_row, map_headers

HEAD_ROWS = 10  # the header row is looked for among the first rows
FORMULA_NO_VALUE = object()  # a formula cell without a cached value


class FileRefused(ValidationError):
    """The file cannot be read as a table. `sheets` is set when the official must choose a sheet."""

    def __init__(self, message: str, *, sheets: list[str] | None = None):
        super().__init__({"file": message})
        self.sheets = sheets or []


@dataclass
class Table:
    file_type: str  # "xlsx" | "csv"
    encoding: str
    sheet: str
    sheets: list[str]
    header_row: int  # 1-based row number of the header
    headers: list[str]  # header cells as written (NFC), in column order
    mapping: HeaderMap
    rows: Iterator[tuple[int, list[Any]]] = field(repr=False)  # (1-based row number, cells) of non-empty rows
    total_hint: int | None = None  # about how many data rows (for the progress bar)


def _text(value: Any) -> Any:
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value).strip()
        # our own error file neutralises "=…", "+…" as "'=…": read it back as it was typed
        if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
            value = value[1:]
    return value


def _empty(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def sniff_type(head: bytes, name: str) -> str:
    """'xlsx' or 'csv' from the first bytes, or FileRefused with what the file really is."""
    lower = name.lower()
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused(
            f"Tệp “{name}” là tệp Excel đời cũ (.xls) hoặc tệp Excel có mật khẩu: hãy mở bằng Excel, "
            "bỏ mật khẩu nếu có, rồi “Lưu thành” dạng .xlsx (Excel Workbook) và tải lên lại."
        )
    if head.startswith(b"%PDF"):
        raise FileRefused(f"Tệp “{name}” là tệp PDF: chỉ nhận .xlsx hoặc .csv.")
    is_utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if b"\x00" in head and not is_utf16:
        raise FileRefused(f"Tệp “{name}” không phải bảng tính (.xlsx) hay văn bản (.csv): không đọc được.")
    if lower.endswith((".xlsx", ".xlsm", ".xls")):
        raise FileRefused(
            f"Tệp “{name}” mang đuôi Excel nhưng nội dung là văn bản thường, không phải tệp Excel thật. "
            "Hãy mở danh sách bằng Excel rồi “Lưu thành” .xlsx, hoặc đổi đuôi thành .csv nếu đó là tệp CSV."
        )
    return "csv"


def read_table(
    path: Path, *, name: str, kind: str = "members", sheet: str = "", required: list[str] | None = None
) -> Table:
    """Open the stored upload. Raises FileRefused (Vietnamese) when it cannot be imported as it is."""
    size = path.stat().st_size
    if size == 0:
        raise FileRefused(f"Tệp “{name}” rỗng (0 byte): hãy kiểm tra lại tệp đã lưu.")
    with open(path, "rb") as fh:
        head = fh.read(4096)
    kind_of_file = sniff_type(head, name)
    if kind_of_file == "zip":
        return _read_xlsx(path, name=name, kind=kind, sheet=sheet, required=required)
    return _read_csv(path, name=name, kind=kind, required=required)


# ---------------------------------------------------------------- CSV


def _read_csv(path: Path, *, name: str, kind: str, required: list[str] | None) -> Table:
    text, encoding = decode_text(path.read_bytes())
    if not text.strip():
        raise FileRefused(f"Tệp “{name}” không có dữ liệu (chỉ có khoảng trắng).")
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    # Everything in a CSV is text: "=1+1" stays the string "=1+1" (never a formula).
    numbered = ((n, [_text(c) for c in row]) for n, row in enumerate(reader, start=1))
    table = _table(
        numbered, name=name, kind=kind, file_type="csv", encoding=encoding, sheet="", sheets=[], merged=[],
        required=required,
    )  # fmt: skip
    table.total_hint = max(0, text.count("\n") - table.header_row + 1)
    return table


# ---------------------------------------------------------------- XLSX


def _sheet_xml_name(zf: zipfile.ZipFile, sheet_index: int) -> str | None:
    """The part holding the n-th sheet (read from the workbook relations, like Excel does)."""
    try:
        workbook = zf.read("xl/workbook.xml").decode("utf-8", errors="replace")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", errors="replace")
    except KeyError:
        return None
    ids = re.findall(r"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"", workbook) or re.findall(
        r"<(?:\w+:)?sheet\b[^>]*?\bid=\"([^\"]+)\"", workbook
    )
    if sheet_index >= len(ids):
        return None
    for rel in re.findall(r"<Relationship\b[^>]*>", rels):
        if f'Id="{ids[sheet_index]}"' in rel:
            target = re.search(r'Target="([^"]+)"', rel)
            if target:
                t = target[1].lstrip("/")
                return t if t.startswith("xl/") else f"xl/{t}"
    return None


def _sheet_scan(zf: zipfile.ZipFile, part: str | None) -> tuple[list[str], bool]:
    """(merged ranges, has formulas) of one sheet, read from its XML without loading it."""
    if part is None or part not in zf.namelist():
        return [], True
    merged: list[str] = []
    formulas = False
    tail = b""
    with zf.open(part) as fh:
        while chunk := fh.read(1 << 20):
            block = tail + chunk
            if not formulas and (b"<f>" in block or b"<f " in block or b"<x:f" in block):
                formulas = True
            merged.extend(m.decode() for m in re.findall(rb"<(?:\w+:)?mergeCell ref=\"([A-Z]+\d+:[A-Z]+\d+)\"", block))
            tail = block[-200:]
    return sorted(set(merged)), formulas


def _read_xlsx(path: Path, *, name: str, kind: str, sheet: str, required: list[str] | None) -> Table:
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise FileRefused(f"Tệp “{name}” bị hỏng (không mở được như tệp Excel).")
    with zf:
        names = set(zf.namelist())
        if "xl/workbook.xml" not in names:
            what = "Word (.docx)" if "word/document.xml" in names else "nén (.zip)"
            raise FileRefused(f"Tệp “{name}” là tệp {what}, không phải bảng tính Excel (.xlsx).")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:
        raise FileRefused(f"Tệp “{name}” bị hỏng hoặc không phải tệp Excel (.xlsx) hợp lệ.")
    visible = [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]
    sheets = [unicodedata.normalize("NFC", t) for t in visible]
    if sheet:
        if unicodedata.normalize("NFC", sheet) not in sheets:
            raise FileRefused(f"Tệp không có trang tính “{sheet}”.", sheets=sheets)
        chosen = visible[sheets.index(unicodedata.normalize("NFC", sheet))]
    elif len(sheets) == 1:
        chosen = visible[0]
    elif not sheets:
        raise FileRefused(f"Tệp “{name}” không có trang tính nào.")
    else:
        listed = ", ".join(f"“{s}”" for s in sheets)
        raise FileRefused(
            f"Tệp “{name}” có {len(sheets)} trang tính: {listed}. Hãy chọn trang cần nhập "
            "(hoặc xóa các trang còn lại rồi tải lên lại).",
            sheets=sheets,
        )
    index = wb.sheetnames.index(chosen)
    with zipfile.ZipFile(path) as zf:
        merged, formulas = _sheet_scan(zf, _sheet_xml_name(zf, index))
    ws = wb[chosen]
    values = ws.iter_rows(values_only=True)
    if formulas:
        # The same sheet read for its formulas, in step: a formula cell whose cached value is empty was
        # never calculated (a file written by a program, not saved by Excel).
        formula_wb = load_workbook(path, read_only=True, data_only=False)
        texts = formula_wb[chosen].iter_rows(values_only=True)

        def rows() -> Iterator[tuple[int, list[Any]]]:
            for n, (row, frow) in enumerate(zip(values, texts, strict=False), start=1):
                cells = list(row)
                for i, f in enumerate(frow):
                    if i < len(cells) and cells[i] is None and isinstance(f, str) and f.startswith("="):
                        cells[i] = FORMULA_NO_VALUE
                yield n, [_text(c) for c in cells]
            formula_wb.close()
            wb.close()

        numbered = rows()
    else:

        def rows() -> Iterator[tuple[int, list[Any]]]:
            for n, row in enumerate(values, start=1):
                yield n, [_text(c) for c in row]
            wb.close()

        numbered = rows()
    table = _table(
        numbered, name=name, kind=kind, file_type="xlsx", encoding="xlsx", sheet=sheets[visible.index(chosen)],
        sheets=sheets, merged=merged, required=required,
    )  # fmt: skip
    if ws.max_row:
        table.total_hint = max(0, ws.max_row - table.header_row)
    return table


# ---------------------------------------------------------------- header and rows


def _fill_merged(head: list[list[Any]], merged: list[str]) -> list[tuple[int, int, int, int]]:
    """Copy each merged range's value into all its cells within the head rows; return the ranges."""
    boxes = []
    for ref in merged:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        if min_row > len(head):
            continue
        boxes.append((min_col, min_row, max_col, max_row))
        top = head[min_row - 1]
        value = top[min_col - 1] if min_col - 1 < len(top) else None
        for r in range(min_row, min(max_row, len(head)) + 1):
            row = head[r - 1]
            while len(row) < max_col:
                row.append(None)
            for c in range(min_col, max_col + 1):
                row[c - 1] = value
    return boxes


def _table(
    numbered: Iterator[tuple[int, list[Any]]], *, name: str, kind: str, file_type: str, encoding: str, sheet: str,
    sheets: list[str], merged: list[str], required: list[str] | None = None,
) -> Table:  # fmt: skip
    head: list[list[Any]] = []
    for _n, cells in numbered:
        head.append(list(cells))
        if len(head) >= HEAD_ROWS:
            break
    if not head or all(_empty(r) for r in head):
        raise FileRefused(f"Tệp “{name}” không có dữ liệu: không có dòng nào.")
    raw_head = [list(r) for r in head]
    boxes = _fill_merged(head, merged)
    index = find_header_row(head, kind, required)
    if index is None:
        raise FileRefused(
            f"Không tìm thấy dòng tiêu đề trong {HEAD_ROWS} dòng đầu của tệp “{name}”"
            + (f" (trang “{sheet}”)" if sheet else "")
            + ". Dòng tiêu đề cần có các cột như “Họ và tên”, “Ngày sinh”, “Số CCCD”… — hãy dùng tệp mẫu."
        )
    header_no = index + 1
    for min_col, min_row, max_col, max_row in boxes:
        # A header merged across columns names several columns at once: we cannot tell them apart.
        if min_row <= header_no <= max_row and max_col > min_col:
            text = head[index][min_col - 1]
            if text not in (None, "") and map_headers([text], kind, required=[]).recognised:
                ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}"
                raise FileRefused(
                    f"Ô tiêu đề “{text}” được gộp qua nhiều cột ({ref}). Hãy bỏ gộp ô (Merge & Center) "
                    "và đặt mỗi cột một tiêu đề riêng, rồi tải lên lại."
                )
    headers = ["" if c is None else str(c) for c in head[index]]
    mapping = map_headers(headers, kind, required)
    problems = mapping.problems(kind)
    if problems:
        raise FileRefused(" ".join(problems))

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for n, cells in enumerate(raw_head[index + 1 :], start=header_no + 1):
            if not _empty(cells):
                yield n, cells
        for n, cells in numbered:
            if not _empty(cells):
                yield n, cells

    return Table(
        file_type=file_type, encoding=encoding, sheet=sheet, sheets=sheets, header_row=header_no, headers=headers,
        mapping=mapping, rows=rows(),
    )  # fmt: skip

"""Make the real-looking broken import files kept beside this script (run it again to rebuild them).

    .venv/bin/python tests/data/make_files.py

The rows fit the test cast of conftest.py: commune C11 (Đoàn xã Mỹ Hòa) with branches T89-C11-1 and
T89-C11-2; T96-C21-1 is a branch of the other province (outside C11's subtree).
"""

from __future__ import annotations

import re
import sys
import unicodedata
import zipfile
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from doanso.imports.encodings import encode_cp1258, encode_tcvn3  # noqa: E402

HEADER = [
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Số CCCD",
    "Dân tộc",
    "Tôn giáo",
    "Số điện thoại",
    "Ngày vào Đoàn",
    "Mã chi đoàn",
]
ROWS = [
    [
        "Nguyễn Thị Ngọc Ánh",
        "17/05/2003",
        "Nữ",
        "089303000101",
        "Kinh",
        "Không",
        "0912345601",
        "26/03/2020",
        "T89-C11-1",
    ],
    [
        "Đặng Quốc Hùng",
        "02/09/2004",
        "Nam",
        "089204000102",
        "Khơ-me",
        "Phật giáo Hoà Hảo",
        "0912345602",
        "26/03/2021",
        "T89-C11-1",
    ],
    ["Trương Thị Thu Hường", "1/1/05", "Nữ", "089305000103", "Chăm", "Hồi giáo", "", "15/05/2021", "T89-C11-2"],
]


def csv_text(rows: list[list[str]], header: list[str] = HEADER) -> str:
    return "\r\n".join(",".join(r) for r in [header, *rows]) + "\r\n"


def xlsx(path: Path, sheets: dict[str, list[list]], merged: list[str] | None = None) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        for ref in merged or []:
            ws.merge_cells(ref)
    wb.save(path)


def with_cached_values(path: Path, values: dict[str, str]) -> None:
    """openpyxl writes formulas without the value Excel caches on save: add it, as Excel would."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                for ref, value in values.items():
                    xml = re.sub(
                        rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?</c>',
                        lambda m, v=value, r=ref: f'<c r="{r}"{m[1]} t="str"><f>{m[2]}</f><v>{v}</v></c>',
                        xml,
                    )
                data = xml.encode()
            dst.writestr(item, data)
    tmp.replace(path)


def main() -> None:
    # Windows-1258 (Vietnamese Windows, tone marks as combining characters), semicolons as Excel-vi writes.
    (HERE / "members_windows1258.csv").write_bytes(encode_cp1258(csv_text(ROWS).replace(",", ";")))
    # TCVN3 (ABC, .VnTime fonts): how sheets of the 2000s were typed.
    (HERE / "members_tcvn3.csv").write_bytes(encode_tcvn3(csv_text(ROWS)))
    # UTF-8 with BOM, headers without diacritics, some names decomposed (NFD, as macOS writes them).
    mixed = [[unicodedata.normalize("NFD", c) if i % 2 == 0 else c for c in r] for i, r in enumerate(ROWS)]
    plain = ["Ho ten", "NS", "GIOI TINH", "CCCD", "Dan toc", "Ton giao", "SDT", "Ngay vao Doan", "Ma chi doan"]
    (HERE / "members_nfd_mix.csv").write_bytes(b"\xef\xbb\xbf" + csv_text(mixed, plain).encode("utf-8"))
    # Two sheets: the official must choose one.
    xlsx(HERE / "two_sheets.xlsx", {"Đoàn viên": [HEADER, *ROWS], "Ghi chú": [["Danh sách gửi Tỉnh đoàn"]]})
    # Merged header cells: a title over the table, and "Ngày sinh" merged over two columns.
    merged_rows = [
        ["DANH SÁCH ĐOÀN VIÊN XÃ MỸ HÒA", None, None, None, None, None, None, None, None, None],
        ["Họ và tên", "Ngày sinh", None, "Giới tính", "Số CCCD", "Dân tộc", "Tôn giáo", "Số điện thoại", "Ngày vào Đoàn", "Mã chi đoàn"],
        ["Nguyễn Thị Ngọc Ánh", "17/05/2003", "", "Nữ", "089303000101", "Kinh", "Không", "0912345601", "26/03/2020", "T89-C11-1"],
    ]  # fmt: skip
    xlsx(HERE / "merged_header.xlsx", {"Đoàn viên": merged_rows}, merged=["A1:J1", "B2:C2"])
    # Formulas: the name and the branch code computed by formulas (cached values present, as Excel saves),
    # and one CCCD cell whose formula has no cached value (a file written by a program).
    rows = [HEADER, *[list(r) for r in ROWS]]
    rows[1][0] = '=CONCATENATE("Nguyễn Thị ","Ngọc Ánh")'
    rows[2][8] = '="T89-C11-"&"1"'
    rows[3][3] = '=TEXT(89305000103,"000000000000")'
    xlsx(HERE / "formulas.xlsx", {"Đoàn viên": rows})
    with_cached_values(HERE / "formulas.xlsx", {"A2": "Nguyễn Thị Ngọc Ánh", "I3": "T89-C11-1"})
    # Empty: a CSV of blank lines, an Excel file with an empty sheet, a 0-byte file.
    (HERE / "empty.csv").write_bytes(b"\r\n\r\n  \r\n")
    xlsx(HERE / "empty.xlsx", {"Sheet1": []})
    (HERE / "zero_bytes.csv").write_bytes(b"")
    # A text file renamed .xlsx.
    (HERE / "renamed_text.xlsx").write_bytes(csv_text(ROWS).encode("utf-8"))
    # A good file with one row for a branch of another province (outside C11's subtree).
    outside = [list(r) for r in ROWS]
    outside[2][8] = "T96-C21-1"
    xlsx(HERE / "out_of_scope.xlsx", {"Đoàn viên": [HEADER, *outside]})
    # A good file (the header on row 3, under a title and the unit) with all three date forms.
    good = [
        ["DANH SÁCH ĐOÀN VIÊN"], ["Đoàn xã Mỹ Hòa"],
        ["STT", "HỌ TÊN", "Ngày sinh", "Giới tính", "Số định danh cá nhân", "Dân tộc", "Tôn giáo", "Số điện thoại", "Ngày vào Đoàn", "Mã chi đoàn"],
        [1, "Nguyễn Thị Ngọc Ánh", "17/05/2003", "Nữ", "089303000101", "Kinh", "Không", "0912345601", "26/03/2020", "T89-C11-1"],
        [2, "Đặng Quốc Hùng", "2/9/04", "Nam", "089204000102", "Khơ-me", "Phật giáo Hoà Hảo", "0912345602", 44281, "T89-C11-1"],
        [3, "Trương Thị Thu Hường", 38353, "Nữ", "089305000103", "Chăm", "Hồi giáo", "", "15/05/2021", "T89-C11-2"],
    ]  # fmt: skip
    xlsx(HERE / "members_good.xlsx", {"Đoàn viên": good})
    # Units: two branches under C11, one under a branch of the file, one under a unit outside scope.
    units = [
        ["Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Mã đơn vị cấp trên", "Ngày thành lập"],
        ["T89-C11-LCD", "Liên chi đoàn Ấp Mỹ Lợi", "Liên chi đoàn", "T89-C11", "01/07/2025"],
        ["T89-C11-LCD-1", "Chi đoàn 1 Ấp Mỹ Lợi", "Chi đoàn", "T89-C11-LCD", "01/07/2025"],
        ["T89-C11-3", "Chi đoàn 3 Mỹ Hòa", "chi doan", "T89-C11", ""],
        ["T96-C21-9", "Chi đoàn 9 Tân Thành", "Chi đoàn", "T96-C21", ""],
    ]
    xlsx(HERE / "units.xlsx", {"Đơn vị": units})


if __name__ == "__main__":
    main()

"""Shared bits of the browser/API import tests: the kept test files and a quick way to upload."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook

DATA = Path(__file__).resolve().parents[3] / "tests" / "data"
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


def good_row(n: int, branch: str = "T89-C11-1", **extra) -> list:
    """A valid new member: born 2004, female, CCCD with the An Giang prefix and sequence n."""
    row = {
        "Họ và tên": f"Lê Thị Mới {chr(65 + n % 26)}", "Ngày sinh": "10/10/2004", "Giới tính": "Nữ",
        "Số CCCD": f"089304{n:06d}", "Dân tộc": "Kinh", "Tôn giáo": "Không", "Số điện thoại": "",
        "Ngày vào Đoàn": "26/03/2021", "Mã chi đoàn": branch,
    }  # fmt: skip
    row.update(extra)
    return [row[h] for h in HEADER]


def xlsx_bytes(rows: list[list], header: list[str] = HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(actor, unit, content: bytes | Path, name: str = "", kind: str = "members", sheet: str = ""):
    from doanso.imports import services

    if isinstance(content, Path):
        name = name or content.name
        content = content.read_bytes()
    return services.import_upload(
        actor=actor, unit=unit, kind=kind, file=io.BytesIO(content), file_name=name or "ds.xlsx", sheet=sheet
    )

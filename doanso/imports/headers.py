"""Column headers as officials write them: with or without diacritics, upper or lower case, in variants.

"Họ và tên", "Ho ten", "HỌ TÊN", "Họ tên đoàn viên" are all `full_name`. A header is folded
(`vn.fold`: no diacritics, lower case, punctuation as spaces) after dropping what is in brackets
and the required-field star ("Ngày sinh (dd/mm/yyyy) *" → "ngay sinh"), then looked up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from doanso.core import vn

IGNORE = "__ignore__"

# field → (label written in the template and in messages, variants as folded text)
MEMBER_COLUMNS: dict[str, tuple[str, list[str]]] = {
    "full_name": ("Họ và tên", ["ho va ten", "ho ten", "ho va ten doan vien", "ho ten doan vien", "ten doan vien",
                                "ho va ten khai sinh", "full name"]),
    "date_of_birth": ("Ngày sinh", ["ngay sinh", "ns", "ngay thang nam sinh", "sinh ngay", "ngay thang sinh",
                                    "nam sinh", "dob", "date of birth"]),
    "sex": ("Giới tính", ["gioi tinh", "gt", "phai", "nam nu", "nam hay nu", "sex", "gender"]),
    "citizen_id": ("Số CCCD", ["so cccd", "cccd", "so can cuoc", "so can cuoc cong dan", "can cuoc cong dan",
                               "so dinh danh", "so dinh danh ca nhan", "ma dinh danh", "so cccd cmnd",
                               "cccd cmnd", "so the can cuoc", "citizen id"]),
    "citizen_id_issued_on": ("Ngày cấp CCCD", ["ngay cap cccd", "ngay cap", "ngay cap can cuoc"]),
    "citizen_id_issued_place": ("Nơi cấp CCCD", ["noi cap cccd", "noi cap"]),
    "ethnicity": ("Dân tộc", ["dan toc", "dt", "ma dan toc", "ethnicity"]),
    "religion": ("Tôn giáo", ["ton giao", "tg", "ma ton giao", "religion"]),
    "phone": ("Số điện thoại", ["so dien thoai", "dien thoai", "sdt", "so dt", "dt di dong", "di dong",
                                "dien thoai di dong", "phone"]),
    "email": ("Thư điện tử", ["thu dien tu", "email", "e mail", "dia chi email"]),
    "hometown": ("Quê quán", ["que quan", "que"]),
    "permanent_address": ("Địa chỉ thường trú", ["dia chi thuong tru", "thuong tru", "noi thuong tru",
                                                 "ho khau thuong tru"]),
    "current_address": ("Nơi ở hiện nay", ["noi o hien nay", "cho o hien nay", "dia chi hien nay", "noi o",
                                           "dia chi"]),
    "occupation": ("Nghề nghiệp", ["nghe nghiep", "cong viec", "nghe nghiep hien nay"]),
    "admitted_on": ("Ngày vào Đoàn", ["ngay vao doan", "ngay ket nap", "ngay ket nap doan", "ngay vao doan tncs",
                                      "ngay vao doan tncs ho chi minh", "vao doan"]),
    "admission_decision_number": ("Số quyết định kết nạp", ["so quyet dinh ket nap", "so qd ket nap", "so qd"]),
    "admission_place": ("Nơi kết nạp", ["noi ket nap", "noi vao doan"]),
    "card_number": ("Số thẻ đoàn viên", ["so the doan vien", "so the doan", "so the"]),
    "party_joined_on": ("Ngày vào Đảng", ["ngay vao dang", "ngay ket nap dang"]),
    "branch_code": ("Mã chi đoàn", ["ma chi doan", "ma don vi", "chi doan ma", "ma cd", "ma chi doan sinh hoat"]),
}  # fmt: skip

UNIT_COLUMNS: dict[str, tuple[str, list[str]]] = {
    "code": ("Mã đơn vị", ["ma don vi", "ma", "ma so", "ma to chuc"]),
    "name": ("Tên đơn vị", ["ten don vi", "ten", "ten to chuc", "don vi"]),
    "kind": ("Loại đơn vị", ["loai don vi", "loai", "cap", "cap don vi", "cap loai don vi"]),
    "parent_code": ("Mã đơn vị cấp trên", ["ma don vi cap tren", "ma cap tren", "don vi cap tren", "cap tren",
                                           "ma don vi truc thuoc", "truc thuoc"]),
    "short_name": ("Tên viết tắt", ["ten viet tat", "viet tat", "ky hieu"]),
    "founded_on": ("Ngày thành lập", ["ngay thanh lap", "thanh lap"]),
}  # fmt: skip

# Columns an official adds that carry nothing to import (and the error column of our own error file).
IGNORED = {"stt", "tt", "so thu tu", "so tt", "loi", "ly do loi", "dong", "dong trong tep goc", "ghi chu loi"}

MEMBER_REQUIRED = ["full_name", "date_of_birth", "sex", "citizen_id", "admitted_on", "branch_code"]
UNIT_REQUIRED = ["code", "name", "kind", "parent_code"]

COLUMNS = {"members": MEMBER_COLUMNS, "units": UNIT_COLUMNS}
REQUIRED = {"members": MEMBER_REQUIRED, "units": UNIT_REQUIRED}


def _lookup(columns: dict[str, tuple[str, list[str]]]) -> dict[str, str]:
    table = {}
    for name, (label, variants) in columns.items():
        table[vn.fold(label)] = name
        for v in variants:
            table[v] = name
    return table


_LOOKUP = {kind: _lookup(cols) for kind, cols in COLUMNS.items()}


def header_key(text: Any) -> str:
    """Folded form of a header cell: brackets, stars and colons dropped."""
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]|[*:]", " ", vn.nfc(str(text or "")))
    return vn.fold(text)


def match_header(text: Any, kind: str = "members") -> str | None:
    """The field a header names, IGNORE for columns to skip, or None if unknown."""
    key = header_key(text)
    if not key:
        return None
    if key in IGNORED:
        return IGNORE
    return _LOOKUP[kind].get(key)


def label(field_name: str, kind: str = "members") -> str:
    return COLUMNS[kind].get(field_name, (field_name, []))[0]


@dataclass
class HeaderMap:
    columns: dict[int, str] = field(default_factory=dict)  # column index → field
    labels: dict[str, str] = field(default_factory=dict)  # field → header text as written in the file
    unknown: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    @property
    def recognised(self) -> int:
        return len(self.columns)

    def problems(self, kind: str) -> list[str]:
        """Vietnamese messages that refuse the file (unknown columns are only reported)."""
        out = []
        if self.missing:
            names = ", ".join(f"“{label(f, kind)}”" for f in self.missing)
            out.append(f"Thiếu cột bắt buộc: {names}. Hãy dùng tệp mẫu hoặc đặt lại tên cột.")
        for text in self.duplicates:
            out.append(f"Cột “{text}” xuất hiện hai lần: mỗi thông tin chỉ một cột.")
        return out


def map_headers(cells: list[Any], kind: str = "members", required: list[str] | None = None) -> HeaderMap:
    required = REQUIRED[kind] if required is None else required
    out = HeaderMap()
    for index, cell in enumerate(cells):
        text = vn.nfc(str(cell)) if cell not in (None, "") else ""
        if not text:
            continue
        name = match_header(text, kind)
        if name == IGNORE:
            continue
        if name is None:
            out.unknown.append(text)
        elif name in out.labels:
            out.duplicates.append(text)
        else:
            out.columns[index] = name
            out.labels[name] = text
    out.missing = [f for f in required if f not in out.labels]
    return out


def find_header_row(rows: list[list[Any]], kind: str = "members", required: list[str] | None = None) -> int | None:
    """Index of the header row among the first rows (a title, the unit or a date may come first)."""
    best, best_score = None, 1
    for index, cells in enumerate(rows[:10]):
        mapped = map_headers(cells, kind, required)
        if mapped.recognised > best_score:
            best, best_score = index, mapped.recognised
    return best

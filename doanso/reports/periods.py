"""Reporting periods: quarters, half-years and years, written "2026-Q2", "2026-H1", "2026-Y".

The Union's cadence (operations.md): branches and grassroots units report quarterly; higher levels
half-yearly and yearly (and may still ask for a quarter).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError

from doanso.organisations.choices import UnitKind

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
# Units that report quarterly only: grassroots units and everything below them.
QUARTERLY_KINDS = {UnitKind.GRASSROOTS, UnitKind.GRASSROOTS_BRANCH, UnitKind.FACULTY_UNION, UnitKind.BRANCH}
PERIOD_RE = re.compile(r"^(\d{4})-(Q[1-4]|H[12]|Y)$")


@dataclass(frozen=True)
class Period:
    year: int
    part: str  # "Q1".."Q4", "H1", "H2", "Y"

    @property
    def code(self) -> str:
        return f"{self.year}-{self.part}"

    @property
    def kind(self) -> str:
        return self.part[0]  # Q, H or Y

    @property
    def is_yearly(self) -> bool:
        return self.part == "Y"

    @property
    def start(self) -> date:
        if self.kind == "Q":
            return date(self.year, 3 * int(self.part[1]) - 2, 1)
        if self.kind == "H":
            return date(self.year, 1 if self.part == "H1" else 7, 1)
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        if self.kind == "Q":
            month = 3 * int(self.part[1])
        elif self.kind == "H":
            month = 6 if self.part == "H1" else 12
        else:
            month = 12
        nxt = date(self.year + (month == 12), month % 12 + 1, 1)
        return nxt - timedelta(days=1)

    @property
    def label(self) -> str:
        if self.kind == "Q":
            return f"Quý {ROMAN[int(self.part[1])]}/{self.year}"
        if self.kind == "H":
            return f"6 tháng {'đầu' if self.part == 'H1' else 'cuối'} năm {self.year}"
        return f"Năm {self.year}"

    @property
    def dates_text(self) -> str:
        return f"Từ ngày {self.start:%d/%m/%Y} đến ngày {self.end:%d/%m/%Y}"


PART_LABELS = {
    "Q1": "Quý I", "Q2": "Quý II", "Q3": "Quý III", "Q4": "Quý IV",
    "H1": "6 tháng đầu năm", "H2": "6 tháng cuối năm", "Y": "Cả năm",
}  # fmt: skip


def parts_for(kind: str) -> list[str]:
    """The period parts a unit of this kind may report on."""
    quarters = ["Q1", "Q2", "Q3", "Q4"]
    return quarters if kind in QUARTERLY_KINDS else quarters + ["H1", "H2", "Y"]


def period_parse(text: str | None, *, unit_kind: str | None = None, today: date) -> Period:
    """Read "2026-Q2" (also "2026-q2", "2026-H1", "2026-Y"); refuse a period not yet begun, and a
    half-year or year for a unit that reports quarterly. Vietnamese messages, on the field `period`."""
    raw = (text or "").strip().upper()
    if raw.endswith("-N"):
        raw = raw[:-2] + "-Y"
    match = PERIOD_RE.match(raw)
    if not match:
        raise ValidationError(
            {"period": "Kỳ báo cáo không hợp lệ: viết theo dạng 2026-Q2 (quý), 2026-H1 (6 tháng) hoặc 2026-Y (năm)."}
        )
    period = Period(int(match.group(1)), match.group(2))
    if period.year < 2000:
        raise ValidationError({"period": "Kỳ báo cáo phải từ năm 2000 trở đi."})
    if period.start > today:
        raise ValidationError(
            {"period": f"Kỳ báo cáo {period.label} chưa bắt đầu: không thể lập báo cáo cho kỳ trong tương lai."}
        )
    if unit_kind is not None and period.part not in parts_for(unit_kind):
        raise ValidationError({"period": "Đoàn cơ sở và chi đoàn báo cáo theo quý: hãy chọn một quý (ví dụ 2026-Q2)."})
    return period


def default_period(*, unit_kind: str, today: date) -> Period:
    """The last period of the unit's cadence that has ended (a quarter; a half-year for higher levels)."""
    if unit_kind in QUARTERLY_KINDS:
        q = (today.month - 1) // 3  # the quarter before the current one (0 = last year's Q4)
        return Period(today.year, f"Q{q}") if q else Period(today.year - 1, "Q4")
    return Period(today.year, "H1") if today.month > 6 else Period(today.year - 1, "H2")

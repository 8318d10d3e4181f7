"""Month arithmetic and parsing (a month is the date of its first day)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError


def month_of(day: date) -> date:
    return day.replace(day=1)


def month_add(month: date, n: int) -> date:
    total = month.year * 12 + month.month - 1 + n
    return date(total // 12, total % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Every month from `first` to `last`, both included (empty if last < first)."""
    out, m = [], month_of(first)
    while m <= last:
        out.append(m)
        m = month_add(m, 1)
    return out


def quarter_of(month: date) -> date:
    return month.replace(month=(month.month - 1) // 3 * 3 + 1, day=1)


def parse_month(value: Any, field: str, label: str) -> date:
    """A month from a date, "mm/yyyy", "yyyy-mm" or "yyyy-mm-dd". Raises a Vietnamese ValidationError."""
    if isinstance(value, datetime):
        return month_of(value.date())
    if isinstance(value, date):
        return month_of(value)
    text = str(value or "").strip()
    for fmt in ("%m/%Y", "%Y-%m", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return month_of(datetime.strptime(text, fmt).date())
        except ValueError:
            continue
    raise ValidationError({field: f"{label}: tháng không hợp lệ, hãy nhập theo dạng mm/yyyy."})


def parse_day(value: Any, field: str, label: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationError({field: f"{label}: ngày không hợp lệ, hãy nhập theo dạng dd/mm/yyyy."})

"""The periodic report as a background export ("periodic_report", registered in doanso/jobs/exports.py).

`parse` validates the period (and, when the unit is given, that its level reports on that kind of
period); `write` builds the whole document (Excel or PDF) in the Union's layout.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from doanso.jobs.writers import Column
from doanso.organisations.models import Unit

from . import documents
from .periods import Period, period_parse
from .selectors import figure_columns, periodic_report


def parse(raw: Mapping[str, Any]) -> dict:
    unit_kind = None
    unit_raw = str(raw.get("unit") or "")
    if unit_raw.isdigit():
        unit_kind = Unit.objects.filter(pk=int(unit_raw)).values_list("kind", flat=True).first()
    period = period_parse(raw.get("period"), unit_kind=unit_kind, today=timezone.localdate())
    return {"period": period.code}


def _period(params: Mapping[str, Any], unit: Unit | None = None) -> Period:
    return period_parse(params.get("period"), unit_kind=unit.kind if unit else None, today=timezone.localdate())


def describe(params: dict) -> str:
    period = _period(params)
    return f"{period.label} ({period.start:%d/%m/%Y}–{period.end:%d/%m/%Y})"


def columns(params: dict) -> list[Column]:
    return [Column("STT", 5, numeric=True), Column("Đơn vị", 34)] + [
        Column(label, 10, numeric=True) for _, label, _ in figure_columns(_period(params))
    ]


def rows(*, actor: Any, unit: Unit, params: dict) -> Iterator[tuple]:
    report = periodic_report(actor=actor, unit=unit, period=_period(params, unit))
    for row in documents.table_rows(report):
        yield tuple(row)


def write(fh: IO[bytes], *, fmt: str, actor: Any, unit: Unit, params: dict) -> int:
    report = periodic_report(actor=actor, unit=unit, period=_period(params, unit))
    if fmt == "xlsx":
        return documents.write_xlsx(fh, report)
    if fmt == "pdf":
        return documents.write_pdf(fh, report)
    raise ValidationError({"format": "Báo cáo định kỳ chỉ xuất ra Excel hoặc PDF."})

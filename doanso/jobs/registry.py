"""The export registry: what can be exported, who may, and where its rows come from.

An area registers an export once, in `doanso/jobs/exports.py`::

    register_export(
        "members",                              # the job kind becomes "export.members"
        label="Danh sách đoàn viên",            # shown in "my jobs" and as the file's title
        perm="member.export",                   # checked when the job starts AND when it runs
        columns=[Column("Họ và tên", 28), …],   # or a callable(params) -> columns
        rows=member_rows,                       # rows(*, actor, unit, params) -> iterator of tuples
        count=member_count,                     # optional: count(*, actor, unit, params) -> int, for the progress bar
        parse=parse_member_filters,             # optional: parse(raw: Mapping) -> dict, raises ValidationError (Vietnamese)
        describe=describe_filters,              # optional: describe(params) -> "Năm 2025 · Nữ", the subtitle
        formats=("xlsx", "csv", "pdf"),
        personal=True,                          # personal data: every export is logged (ExportLog)
    )

`rows` must read through the area's scoped selector with the given actor (never a bare
queryset), and must stream (`.iterator()`), so a province of 200,000 members stays in bounded
memory. Values may be str, int, float, date or None; writers format and neutralise them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .writers import Column

RowsFn = Callable[..., Iterator[tuple]]


@dataclass(frozen=True)
class ExportSpec:
    code: str
    label: str
    perm: str
    columns: list[Column] | Callable[[dict], list[Column]]
    rows: RowsFn
    count: Callable[..., int] | None = None
    parse: Callable[[Mapping[str, Any]], dict] | None = None
    describe: Callable[[dict], str] | None = None
    formats: tuple[str, ...] = ("xlsx", "csv", "pdf")
    personal: bool = True
    # A document rather than a list: write(fh, fmt=, actor=, unit=, params=) writes the whole file in its
    # own layout (a report with header and signature) and returns the number of table rows.
    write: Callable[..., int] | None = None

    @property
    def kind(self) -> str:
        return f"export.{self.code}"

    def columns_for(self, params: dict) -> list[Column]:
        return self.columns(params) if callable(self.columns) else list(self.columns)

    def parse_params(self, raw: Mapping[str, Any]) -> dict:
        return self.parse(raw) if self.parse else {}


EXPORTS: dict[str, ExportSpec] = {}


def register_export(code: str, **options: Any) -> ExportSpec:
    spec = ExportSpec(code=code, **options)
    EXPORTS[spec.kind] = spec
    return spec


def export_for_kind(kind: str) -> ExportSpec | None:
    return EXPORTS.get(kind)


def export_for_code(code: str) -> ExportSpec | None:
    return EXPORTS.get(f"export.{code}")


# ---------------------------------------------------------------- generic tasks (imports, later reports)


@dataclass(frozen=True)
class TaskSpec:
    """Background work that is not an export: `run(*, job, actor, unit, params)` does it.

    The job kind is the code itself ("import.check"). A task is started only by its area's
    service (`services.task_start`), never from the generic jobs API, so its params are trusted.
    `run` may call `services.job_progress` and returns an optional page URL shown as the result
    ("Xem kết quả"); a ValidationError or ScopeError it raises ends the job as failed with its
    (Vietnamese) message. `on_fail(job)`, if given, puts the area's own records right when the job
    ends failed without `run` having said so itself (a worker that died, found by `job_cleanup`).
    """

    code: str
    label: str
    perm: str
    run: Callable[..., str | None]
    on_fail: Callable[..., None] | None = None

    @property
    def kind(self) -> str:
        return self.code


TASKS: dict[str, TaskSpec] = {}


def register_task(
    code: str, *, label: str, perm: str, run: Callable[..., str | None], on_fail: Callable[..., None] | None = None
) -> TaskSpec:
    spec = TaskSpec(code=code, label=label, perm=perm, run=run, on_fail=on_fail)
    TASKS[spec.kind] = spec
    return spec


def task_for_kind(kind: str) -> TaskSpec | None:
    return TASKS.get(kind)

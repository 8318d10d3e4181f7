"""Writes of background jobs: start one, run it (inside the worker), record progress, finish or fail.

`job_start` checks everything a person can get wrong (kind, format, unit in scope, filters) and
queues the job after commit. `job_run` is the task body: it re-checks the owner's permission at
run time (a role may have changed while the job waited), streams the rows into a file under
`settings.JOBS_ROOT`, updates the progress row every second or so (each update commits on its
own, so the page polling it sees it), then records the export in `ExportLog` and in the unit's
history. Any failure ends the job as "failed" with a Vietnamese message; nothing half-written stays.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, transaction
from django.utils import timezone

from doanso.core import audit, scope
from doanso.organisations.models import Unit

from .models import ExportLog, Job, JobState
from .registry import ExportSpec, TaskSpec, export_for_kind, task_for_kind
from .writers import FORMAT_LABELS, WRITERS, Heading, number_text

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 1.0
PROGRESS_EVERY_ROWS = 5000
GENERIC_ERROR = "Có lỗi khi tạo tệp. Hãy thử lại; nếu vẫn lỗi, báo cho quản trị hệ thống (mã công việc {pk})."


def jobs_root() -> Path:
    return Path(settings.JOBS_ROOT)


def _unit_for(actor: Any, raw: Any) -> Unit:
    """The unit named in the params, if the actor may see it; otherwise Unit.DoesNotExist (a 404)."""
    from doanso.organisations.selectors import unit_get

    if raw in (None, ""):
        raw = getattr(actor, "unit_id", None)
    if not str(raw).isdigit():
        raise ValidationError({"unit": "Đơn vị không hợp lệ."})
    return unit_get(actor=actor, pk=int(raw))


def _spec_and_format(kind: str, params: Mapping[str, Any]) -> tuple[ExportSpec, str]:
    spec = export_for_kind(kind or "")
    if spec is None:
        raise ValidationError({"kind": "Loại công việc không hợp lệ."})
    fmt = str(params.get("format") or "")
    if fmt not in spec.formats:
        allowed = ", ".join(FORMAT_LABELS[f] for f in spec.formats)
        raise ValidationError({"format": f"Định dạng không hợp lệ: chọn một trong {allowed}."})
    return spec, fmt


def job_start(*, actor: Any, kind: str, params: Mapping[str, Any]) -> Job:
    """Queue an export of `params["unit"]` (default: the actor's unit) in `params["format"]`.

    Raises ValidationError (Vietnamese, per field), ScopeError when the role lacks the export's
    permission, Unit.DoesNotExist when the unit is outside the actor's subtree.
    """
    if not scope.is_official(actor):
        raise scope.ScopeError("Tài khoản của bạn không có quyền thực hiện thao tác này.")
    spec, fmt = _spec_and_format(kind, params)
    unit = _unit_for(actor, params.get("unit"))
    scope.require(actor, spec.perm, unit)
    clean = spec.parse_params(params)
    subtitle = spec.describe(clean) if spec.describe else ""
    label = f"{spec.label} — {unit.name}" + (f" ({subtitle})" if subtitle else "") + f" · {FORMAT_LABELS[fmt]}"
    with transaction.atomic():
        job = Job.objects.create(
            owner=actor, kind=spec.kind, label=label[:300], unit=unit,
            params={"format": fmt, "unit": unit.pk, **clean},
        )  # fmt: skip
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def task_start(*, actor: Any, code: str, unit: Unit, params: Mapping[str, Any], label: str = "") -> Job:
    """Queue a registered task (an import check, …) for `unit`, after commit. Called by the task's own
    area service, which has validated `params`; the permission is checked here and again at run time."""
    spec = task_for_kind(code)
    if spec is None:
        raise ValueError(f"unknown task {code!r}")
    scope.require(actor, spec.perm, unit)
    job = Job.objects.create(
        owner=actor,
        kind=spec.kind,
        label=(label or f"{spec.label} — {unit.name}")[:300],
        unit=unit,
        params=dict(params),
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from . import tasks

    tasks.enqueue(job_id)


def job_progress(*, job_id: int, done: int, total: int | None = None) -> None:
    """Record progress from inside a running job (its own tiny write, committed at once)."""
    fields: dict[str, Any] = {"progress_done": done}
    if total is not None:
        fields["progress_total"] = total
    try:
        Job.objects.filter(pk=job_id, state=JobState.RUNNING).update(**fields)
    except OperationalError:
        # SQLite refuses a write from a connection whose open read cursor (the rows being exported)
        # sees an older snapshot than another writer's commit. Progress is advisory: carry on.
        log.info("progress of job %s not recorded this time", job_id)


def _claim(job_id: int) -> Job | None:
    """Queued → running, once: a job delivered twice by the queue runs only the first time."""
    with transaction.atomic():
        job = Job.objects.select_for_update(of=("self",)).select_related("owner", "unit").filter(pk=job_id).first()
        if job is None or job.state != JobState.QUEUED:
            return None
        job.state = JobState.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["state", "started_at"])
    return job


def job_fail(*, job: Job, message: str) -> None:
    Job.objects.filter(pk=job.pk).update(state=JobState.FAILED, error=message, finished_at=timezone.now())


def job_run(*, job_id: int) -> Job | None:
    """The task body: run one queued job to the end. Returns the job (or None if it was not queued)."""
    job = _claim(job_id)
    if job is None:
        return None
    task = task_for_kind(job.kind)
    if task is not None:
        return _run_task(job, task)
    spec = export_for_kind(job.kind)
    tmp: Path | None = None
    try:
        if spec is None:
            raise ValidationError("Loại công việc này không còn được hỗ trợ.")
        owner = job.owner
        if job.unit is None:
            raise ValidationError("Đơn vị của công việc không còn tồn tại.")
        owner.refresh_from_db()
        # Permission again, at run time: the owner's role or unit may have changed since the start.
        scope.require(owner, spec.perm, job.unit)
        params = dict(job.params)
        fmt = params.pop("format")
        params.pop("unit", None)
        clean = spec.parse_params(params)
        total = spec.count(actor=owner, unit=job.unit, params=clean) if spec.count else None
        if fmt == "pdf" and total is not None and total > settings.JOBS_PDF_MAX_ROWS:
            limit, size = number_text(settings.JOBS_PDF_MAX_ROWS), number_text(total)
            raise ValidationError(
                f"Tệp PDF chỉ in được tối đa {limit} dòng (danh sách này có {size} dòng). "
                "Hãy xuất Excel hoặc CSV, hoặc lọc bớt."
            )
        if total is not None:
            job_progress(job_id=job.pk, done=0, total=total)
        root = jobs_root()
        (root / "tmp").mkdir(parents=True, exist_ok=True)
        tmp = root / "tmp" / f"{job.pk}-{uuid.uuid4().hex}.{fmt}"
        if spec.write is not None:  # a document in its own layout (a report), not a streamed list
            with open(tmp, "wb") as fh:
                n = spec.write(fh, fmt=fmt, actor=owner, unit=job.unit, params=clean)
            _finish(job=job, spec=spec, fmt=fmt, tmp=tmp, rows=n, params=clean)
            tmp = None
            job.refresh_from_db()
            return job
        heading = Heading(
            title=spec.label.upper(), unit=job.unit.name, day=timezone.localdate(),
            subtitle=spec.describe(clean) if spec.describe else "",
        )  # fmt: skip
        n = 0
        with open(tmp, "wb") as fh:
            writer = WRITERS[fmt](fh, heading=heading, columns=spec.columns_for(clean))
            last = time.monotonic()
            try:
                for row in spec.rows(actor=owner, unit=job.unit, params=clean):
                    writer.write(row)
                    n += 1
                    if n % PROGRESS_EVERY_ROWS == 0 or (n % 200 == 0 and time.monotonic() - last > PROGRESS_EVERY_S):
                        job_progress(job_id=job.pk, done=n)
                        last = time.monotonic()
            except BaseException:
                writer.abort()
                raise
            writer.close()
        _finish(job=job, spec=spec, fmt=fmt, tmp=tmp, rows=n, params=clean)
        tmp = None
    except (ValidationError, PermissionDenied) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        job_fail(job=job, message=" ".join(str(m) for m in messages))
    except Exception:
        log.exception("job %s failed", job.pk)
        job_fail(job=job, message=GENERIC_ERROR.format(pk=job.pk))
    finally:
        if tmp is not None and tmp.exists():
            tmp.unlink()
    job.refresh_from_db()
    return job


def _run_task(job: Job, spec: TaskSpec) -> Job:
    try:
        if job.unit is None:
            raise ValidationError("Đơn vị của công việc không còn tồn tại.")
        owner = job.owner
        owner.refresh_from_db()
        scope.require(owner, spec.perm, job.unit)
        result_url = spec.run(job=job, actor=owner, unit=job.unit, params=dict(job.params))
        params = dict(job.params)
        if result_url:
            params["result_url"] = result_url
        Job.objects.filter(pk=job.pk).update(state=JobState.DONE, params=params, finished_at=timezone.now())
    except (ValidationError, PermissionDenied) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        job_fail(job=job, message=" ".join(str(m) for m in messages))
    except Exception:
        log.exception("job %s failed", job.pk)
        job_fail(job=job, message=GENERIC_ERROR.format(pk=job.pk))
    job.refresh_from_db()
    return job


def _finish(*, job: Job, spec: ExportSpec, fmt: str, tmp: Path, rows: int, params: dict) -> None:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    rel = Path(timezone.localdate().strftime("%Y/%m")) / f"{job.pk}-{uuid.uuid4().hex[:12]}.{fmt}"
    final = jobs_root() / rel
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, final)
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(
            state=JobState.DONE, progress_done=rows, progress_total=rows, row_count=rows, result_path=str(rel),
            result_name=f"{spec.code.replace('_', '-')}-{job.unit.code}-{stamp}.{fmt}", finished_at=timezone.now(),
        )  # fmt: skip
        ExportLog.objects.create(
            actor=job.owner, export=spec.code, unit=job.unit, format=fmt, params=params, row_count=rows,
            personal_data=spec.personal, job=job,
        )  # fmt: skip
        audit.record(
            actor=job.owner, obj=job.unit, action="export",
            summary=f"Xuất {spec.label.lower()} ({FORMAT_LABELS[fmt]}, {rows} dòng)", note=str(params or ""),
        )  # fmt: skip


def job_cleanup(*, keep_days: int | None = None, stale_after_s: int | None = None) -> tuple[int, int]:
    """Delete result files older than `keep_days`; fail jobs stuck "running" past the worker timeout.

    Returns (files deleted, jobs marked failed). Run daily: `manage.py jobs_cleanup`.
    """
    keep_days = settings.JOBS_KEEP_DAYS if keep_days is None else keep_days
    stale_after_s = stale_after_s or settings.Q_CLUSTER["retry"]
    now = timezone.now()
    deleted = 0
    old = Job.objects.filter(finished_at__lt=now - timezone.timedelta(days=keep_days)).exclude(result_path="")
    for job in old.only("pk", "result_path").iterator():
        path = jobs_root() / job.result_path
        if path.exists():
            path.unlink()
            deleted += 1
        Job.objects.filter(pk=job.pk).update(result_path="")
    stale = Job.objects.filter(state=JobState.RUNNING, started_at__lt=now - timezone.timedelta(seconds=stale_after_s))
    failed = 0
    for job in stale.iterator():
        job_fail(job=job, message="Công việc bị dừng giữa chừng (quá thời gian). Hãy chạy lại.")
        task = task_for_kind(job.kind)
        if task is not None and task.on_fail is not None:
            task.on_fail(job)
        failed += 1
    return deleted, failed

"""The job framework: start, run, progress, failure, owner-only reads, scope at start and at run time."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from doanso.accounts.models import Role
from doanso.core.models import AuditEvent
from doanso.core.scope import ScopeError
from doanso.jobs import registry, selectors, services, tasks
from doanso.jobs.models import ExportLog, Job, JobState
from doanso.members.models import Member
from doanso.organisations.models import Unit

pytestmark = pytest.mark.django_db


def csv_rows(job):
    path = Path(services.jobs_root()) / job.result_path
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return [line.split(",") for line in raw.decode("utf-8-sig").splitlines()]


def test_job_lifecycle_queued_running_done(cast, run_now):
    c11 = cast.users["c11"]
    job = run_now(c11, "export.members", unit=cast.c11.pk, format="csv")
    assert job.state == JobState.DONE
    assert job.owner == c11 and job.unit == cast.c11
    assert job.row_count == job.progress_total == job.progress_done == 6
    assert job.percent == 100
    assert job.started_at <= job.finished_at
    assert job.result_name.startswith("members-") and job.result_name.endswith(".csv")
    rows = csv_rows(job)
    assert rows[0][:3] == ["STT", "Họ và tên", "Ngày sinh"]
    assert len(rows) == 1 + 6
    assert "Đoàn xã Mỹ Hòa" in job.label and "CSV" in job.label
    # the export is logged: who, what, unit, format, rows
    entry = ExportLog.objects.get(job=job)
    assert (entry.actor, entry.export, entry.unit, entry.format, entry.row_count) == (
        c11,
        "members",
        cast.c11,
        "csv",
        6,
    )
    assert entry.personal_data is True
    assert AuditEvent.objects.filter(action="export", target_id=cast.c11.pk, actor=c11).exists()


def test_job_start_queues_after_commit_and_sync_backend_runs_it(cast, settings, django_capture_on_commit_callbacks):
    settings.JOBS_BACKEND = "sync"
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_start(actor=cast.users["c11"], kind="export.members", params={"format": "xlsx"})
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.unit == cast.c11  # default unit: the actor's own
    assert job.params == {"format": "xlsx", "unit": cast.c11.pk}


def test_database_backend_puts_the_job_on_the_queue(cast, django_capture_on_commit_callbacks):
    from django_q.models import OrmQ

    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_start(actor=cast.users["c11"], kind="export.members", params={"format": "csv"})
    assert OrmQ.objects.count() == 1
    assert Job.objects.get(pk=job.pk).state == JobState.QUEUED
    assert tasks.run_queued() == 1  # what a worker does, called directly
    assert Job.objects.get(pk=job.pk).state == JobState.DONE
    assert tasks.run_job(job.pk) == "skipped"  # a second delivery does nothing


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("export.nothing", {"format": "xlsx"}, "kind"),
        ("export.members", {"format": "docx"}, "format"),
        ("export.members", {"format": "xlsx", "status": "sleeping"}, "status"),
        ("export.members", {"format": "xlsx", "unit": "abc"}, "unit"),
        ("export.evaluation_summary", {"format": "xlsx", "year": "1999"}, "year"),
        ("export.grades", {"format": "pdf", "year": "2025", "stage": "maybe"}, "stage"),
    ],
)
def test_bad_input_is_refused_in_vietnamese_and_creates_nothing(cast, kind, params, field):
    with pytest.raises(ValidationError) as exc:
        services.job_start(actor=cast.users["c11"], kind=kind, params=params)
    assert field in exc.value.message_dict
    assert any(ch in " ".join(exc.value.messages) for ch in "ạảãáàâăđêôơư")
    assert Job.objects.count() == 0


def test_sibling_unit_cannot_be_exported(cast):
    with pytest.raises(Unit.DoesNotExist):
        services.job_start(
            actor=cast.users["c12"], kind="export.members", params={"format": "csv", "unit": cast.c11.pk}
        )
    with pytest.raises(Unit.DoesNotExist):
        services.job_start(actor=cast.users["c11"], kind="export.members", params={"format": "csv", "unit": cast.p1.pk})
    assert Job.objects.count() == 0


def test_role_without_export_permission_is_refused(cast):
    with pytest.raises(ScopeError):
        services.job_start(actor=cast.users["c11_clerk"], kind="export.members", params={"format": "csv"})
    with pytest.raises(ScopeError):
        services.job_start(actor=cast.users["member_b111"], kind="export.members", params={"format": "csv"})
    assert Job.objects.count() == 0


def test_permission_is_checked_again_when_the_job_runs(cast, django_capture_on_commit_callbacks):
    owner = cast.users["c11"]
    job = services.job_start(actor=owner, kind="export.members", params={"format": "csv"})
    owner.role = Role.objects.get(code="clerk")  # lost member.export while the job waited
    owner.save(update_fields=["role"])
    job = services.job_run(job_id=job.pk)
    assert job.state == JobState.FAILED
    assert "không có quyền" in job.error
    assert job.result_path == "" and ExportLog.objects.count() == 0
    assert not list(Path(services.jobs_root()).rglob("*.csv"))


def test_a_crash_is_recorded_in_vietnamese_and_leaves_no_file(cast, monkeypatch):
    spec = registry.export_for_kind("export.members")

    def broken(**kwargs):
        yield (1, "Nguyễn Văn An")
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(registry.EXPORTS, "export.members", registry.ExportSpec(**{**spec.__dict__, "rows": broken}))
    job = services.job_start(actor=cast.users["c11"], kind="export.members", params={"format": "xlsx"})
    job = services.job_run(job_id=job.pk)
    assert job.state == JobState.FAILED
    assert job.error.startswith("Có lỗi khi tạo tệp") and str(job.pk) in job.error
    assert "disk" not in job.error
    assert not [p for p in Path(services.jobs_root()).rglob("*") if p.is_file()]
    assert ExportLog.objects.count() == 0


def test_progress_is_written_while_the_job_runs(cast, monkeypatch):
    seen = []
    real = services.job_progress

    def spy(*, job_id, done, total=None):
        real(job_id=job_id, done=done, total=total)
        seen.append((done, total, Job.objects.get(pk=job_id).progress_done))

    monkeypatch.setattr(services, "job_progress", spy)
    monkeypatch.setattr(services, "PROGRESS_EVERY_ROWS", 2)
    job = services.job_start(actor=cast.users["p1"], kind="export.members", params={"format": "csv"})
    services.job_run(job_id=job.pk)
    assert seen[0] == (0, 12, 0)  # the total first (from the rollup), then every 2 rows
    assert [s[0] for s in seen[1:]] == [2, 4, 6, 8, 10, 12]
    assert all(s[0] == s[2] for s in seen)  # written to the row, not only counted


def test_pdf_is_capped_with_a_clear_message(cast, settings):
    settings.JOBS_PDF_MAX_ROWS = 5
    job = services.job_start(actor=cast.users["c11"], kind="export.members", params={"format": "pdf"})
    job = services.job_run(job_id=job.pk)
    assert job.state == JobState.FAILED
    assert "PDF" in job.error and "5" in job.error and "Excel" in job.error


def test_jobs_are_seen_and_downloaded_only_by_their_owner(cast, run_now):
    mine = run_now(cast.users["c11"], "export.members", format="xlsx")
    other = run_now(cast.users["c11_deputy"], "export.members", format="csv")
    assert list(selectors.job_list(actor=cast.users["c11"])) == [mine]
    assert list(selectors.job_list(actor=cast.users["p1"])) == []  # not even the province above
    with pytest.raises(Job.DoesNotExist):
        selectors.job_get(actor=cast.users["c11"], pk=other.pk)
    with pytest.raises(Job.DoesNotExist):
        selectors.job_file(actor=cast.users["p1"], pk=mine.pk)
    path, name = selectors.job_file(actor=cast.users["c11"], pk=mine.pk)
    wb = load_workbook(io.BytesIO(path.read_bytes()))
    assert len(list(wb.active.iter_rows(values_only=True))) == 5 + 6
    assert name.endswith(".xlsx")


def test_unfinished_job_has_no_file(cast):
    job = services.job_start(actor=cast.users["c11"], kind="export.members", params={"format": "csv"})
    with pytest.raises(Job.DoesNotExist):
        selectors.job_file(actor=cast.users["c11"], pk=job.pk)


def test_cleanup_deletes_old_files_and_fails_stuck_jobs(cast, run_now):
    old = run_now(cast.users["c11"], "export.members", format="csv")
    fresh = run_now(cast.users["c11"], "export.members", format="csv")
    Job.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=30))
    stuck = services.job_start(actor=cast.users["c11"], kind="export.members", params={"format": "csv"})
    Job.objects.filter(pk=stuck.pk).update(state=JobState.RUNNING, started_at=timezone.now() - timedelta(days=1))
    old_path = Path(services.jobs_root()) / old.result_path
    assert services.job_cleanup(keep_days=7) == (1, 1)
    assert not old_path.exists()
    assert (Path(services.jobs_root()) / fresh.result_path).exists()
    stuck.refresh_from_db()
    assert stuck.state == JobState.FAILED and "Hãy chạy lại" in stuck.error
    with pytest.raises(Job.DoesNotExist):
        selectors.job_file(actor=cast.users["c11"], pk=old.pk)


def test_member_count_matches_rows(cast):
    assert Member.objects.filter(scope1=cast.p1.pk).count() == 12


def test_cleanup_command(cast, run_now):
    from io import StringIO

    from django.core.management import call_command

    run_now(cast.users["c11"], "export.members", format="csv")
    out = StringIO()
    call_command("jobs_cleanup", "--days", "0", stdout=out)
    assert "Đã xóa" in out.getvalue()
    assert not list(Path(services.jobs_root()).rglob("*.csv"))


def test_a_refused_progress_write_does_not_stop_the_job(cast, monkeypatch):
    from django.db import OperationalError
    from django.db.models import QuerySet

    real = QuerySet.update

    def flaky(self, **kwargs):
        if self.model is Job and set(kwargs) == {"progress_done"}:
            raise OperationalError("database is locked")
        return real(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", flaky)
    monkeypatch.setattr(services, "PROGRESS_EVERY_ROWS", 1)
    job = services.job_start(actor=cast.users["c11"], kind="export.members", params={"format": "csv"})
    assert services.job_run(job_id=job.pk).state == JobState.DONE

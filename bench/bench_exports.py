"""Export benchmark: the evaluation summary + grade list (.xlsx) of the largest province.

Runs against the database in DATABASE_URL (the national data set: `manage.py seed_demo --members N`).
It gives every current member of the province an approved grade for a year that has no round
there yet (`evaluation.bulk.grades_bulk_write`, committed, because the export runs in another
process), then runs the two export jobs exactly as a worker does (`jobs.services.job_run`) in a
child process, and, as the baseline, a raw SQL SELECT (COPY on PostgreSQL) of the same grade rows
to a CSV file in another child process. Time is the child's wall time; memory is the child's peak
RSS (the child's own VmHWM, read at its end: wait4's ru_maxrss would also count the parent's pages
at fork time). Everything it created is deleted at the end. Prints:
    BENCH name=grade_export_province_s  value=<s>  unit=s  baseline=<raw SQL to CSV, s>  ratio=<value/baseline>
    BENCH name=grade_export_province_mb value=<MB> unit=MB baseline=<raw SQL to CSV, MB> ratio=<value/baseline>
A row count that differs from the raw SQL's exits non-zero. Targets: ≤ 60 s and ≤ 300 MB.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret-" + "x" * 40)
os.environ.setdefault("JOBS_ROOT", tempfile.mkdtemp(prefix="bench-jobs-"))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from doanso.accounts.models import Role, User  # noqa: E402
from doanso.core.models import AuditEvent  # noqa: E402
from doanso.evaluation.bulk import grades_bulk_write  # noqa: E402
from doanso.evaluation.models import Evaluation, EvaluationRound, EvaluationSheet  # noqa: E402
from doanso.evaluation.services import stats_recount  # noqa: E402
from doanso.jobs import services  # noqa: E402
from doanso.jobs.models import ExportLog, Job  # noqa: E402
from doanso.members.choices import CURRENT_STATUSES  # noqa: E402
from doanso.members.models import Member  # noqa: E402
from doanso.organisations.models import Unit  # noqa: E402

TARGET_S, TARGET_MB = 60, 300


def line(name: str, value: float, unit: str, baseline: float) -> None:
    ratio = value / baseline if baseline else 0
    print(f"BENCH name={name} value={value:.2f} unit={unit} baseline={baseline:.2f} ratio={ratio:.1f}", flush=True)


def largest_province() -> Unit:
    provinces = set(Unit.objects.filter(depth=1).values_list("pk", flat=True))
    for row in (
        Member.objects.filter(status__in=CURRENT_STATUSES).values("scope1").annotate(n=Count("id")).order_by("-n")
    ):
        if row["scope1"] in provinces:
            return Unit.objects.get(pk=row["scope1"])
    raise SystemExit("No province with members: run manage.py seed_demo first.")


def free_year(province: Unit) -> int:
    """A year with no round anywhere in the province, so that everything written can be deleted."""
    year = timezone.localdate().year - 1
    while EvaluationRound.objects.filter(year=year, unit__path__startswith=province.path).exists():
        year -= 1
    return year


def run_child(args: list[str]) -> tuple[float, float, dict]:
    """(wall seconds, peak RSS in MB, the JSON the child printed)."""
    begin = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter() - begin
    if proc.returncode:
        raise SystemExit(f"child {args} failed ({proc.returncode})")
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    return wall, got.pop("peak_mb"), got


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    with open("/proc/self/status") as status:
        for entry in status:
            if entry.startswith("VmHWM:"):
                return int(entry.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def raw_sql(path: str, year: int) -> tuple[str, list]:
    e, m, u = Evaluation._meta.db_table, Member._meta.db_table, Unit._meta.db_table
    sql = (
        f"SELECT m.full_name, m.date_of_birth, m.sex, m.citizen_id, u.name, e.grade, e.self_grade, e.justification, "
        f"e.approved_at FROM {e} e JOIN {m} m ON m.id = e.member_id JOIN {u} u ON u.id = e.branch_id "
        f"WHERE e.year = %s AND e.stage = 'approved' AND e.unit_path LIKE %s ORDER BY e.unit_path, m.sort_key, e.id"
    )
    return sql, [year, path + "%"]


def child_baseline(unit_id: int, year: int) -> None:
    unit = Unit.objects.get(pk=unit_id)
    sql, params = raw_sql(unit.path, year)
    rows = 0
    with tempfile.NamedTemporaryFile("wb", suffix=".csv") as fh, connection.cursor() as cur:
        if connection.vendor == "postgresql":
            inner = cur.cursor.mogrify(sql, params)
            with cur.cursor.copy(f"COPY ({inner}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
                for data in copy:
                    fh.write(data)
            rows = cur.cursor.rowcount
        else:
            cur.execute(sql, params)
            text = io.TextIOWrapper(fh, encoding="utf-8", newline="")
            writer = csv.writer(text)
            while chunk := cur.fetchmany(5000):
                writer.writerows(chunk)
                rows += len(chunk)
            text.flush()
            text.detach()
    print(json.dumps({"rows": rows, "peak_mb": peak_mb()}))


def child_export(job_ids: list[int]) -> None:
    out = {}
    for pk in job_ids:
        job = services.job_run(job_id=pk)
        if job.state != "done":
            raise SystemExit(f"job {pk} failed: {job.error}")
        out[job.kind] = job.row_count
    print(json.dumps({**out, "peak_mb": peak_mb()}))


def main() -> None:
    province = largest_province()
    year = free_year(province)
    actor, _ = User.objects.get_or_create(
        username=f"bench-export-{province.pk}",
        defaults={"unit": province, "role": Role.objects.get(code="secretary"), "full_name": "Bench export"},
    )
    before = set(EvaluationRound.objects.filter(year=year).values_list("pk", flat=True))
    try:
        begin = time.perf_counter()
        written = grades_bulk_write(unit=province, year=year, actor=actor)
        print(f"# {connection.vendor}: {province.name}, {written} approved grades for {year} written in "
              f"{time.perf_counter() - begin:.1f}s", flush=True)  # fmt: skip
        services._enqueue = lambda job_id: None  # this benchmark runs the jobs itself, in a child process
        jobs = [
            services.job_start(actor=actor, kind=kind, params={"unit": province.pk, "format": "xlsx", "year": year})
            for kind in ("export.evaluation_summary", "export.grades")
        ]
        base_s, base_mb, base = run_child(["--baseline", str(province.pk), str(year)])
        export_s, export_mb, got = run_child(["--export", *[str(j.pk) for j in jobs]])
        print(f"# rows: export {got.get('export.grades')}, raw SQL {base['rows']}", flush=True)
        line("grade_export_province_s", export_s, "s", base_s)
        line("grade_export_province_mb", export_mb, "MB", base_mb)
        if got.get("export.grades") != base["rows"]:
            print("# MISMATCH: the export and the raw SQL give different row counts", file=sys.stderr)
            sys.exit(1)
        if export_s > TARGET_S or export_mb > TARGET_MB:
            print(f"# over target ({TARGET_S} s, {TARGET_MB} MB)", flush=True)
    finally:
        for job in Job.objects.filter(owner=actor):
            if job.result_path:
                (services.jobs_root() / job.result_path).unlink(missing_ok=True)
        new_rounds = EvaluationRound.objects.filter(year=year).exclude(pk__in=before)
        Evaluation.objects.filter(round__in=new_rounds).delete()
        EvaluationSheet.objects.filter(round__in=new_rounds).delete()
        AuditEvent.objects.filter(actor=actor).delete()
        ExportLog.objects.filter(actor=actor).delete()
        new_rounds.delete()
        stats_recount(year=year, unit=province)
        Job.objects.filter(owner=actor).delete()
        actor.delete()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--baseline"]:
        child_baseline(int(sys.argv[2]), int(sys.argv[3]))
    elif sys.argv[1:2] == ["--export"]:
        child_export([int(x) for x in sys.argv[2:]])
    else:
        main()

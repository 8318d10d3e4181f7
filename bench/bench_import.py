"""Command-line import benchmark: `manage.py import_members` on a generated national-shaped CSV.

Runs against the database in DATABASE_URL (after `manage.py seed_demo`). It writes a CSV of
BENCH_IMPORT_N rows (default 1,000,000) of valid, unique people placed in the open branches of
the province with the most branches (`doanso.members.bulk.PersonFactory`, with CCCD counters
started far above anything the seed used, then checked against the database), runs the real
import in a child process (wall time; peak memory = the child's own VmHWM), checks that every row
was imported and the rollups equal a recount, then measures the raw COPY of the same file into a
bare temporary table of text columns (the baseline). Everything imported is deleted at the end
(members, status records, audit entries; rollups recounted). Prints:
    BENCH name=import_members_rows_per_s value=<rows/s> unit=rows/s baseline=<raw COPY rows/s> ratio=…
    BENCH name=import_copy_baseline_rows_per_s value=<raw COPY rows/s> unit=rows/s baseline=… ratio=1
    BENCH name=import_members_mb value=<child VmHWM MB> unit=MB baseline=<child's MB before the import> ratio=…
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret-" + "x" * 40)

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count, Max  # noqa: E402

from doanso.core.models import AuditEvent  # noqa: E402
from doanso.members import rollups  # noqa: E402
from doanso.members.bulk import PROFILES, BranchPlan, PersonFactory, vi_int  # noqa: E402
from doanso.members.models import Member, MemberStat, MemberStatusRecord  # noqa: E402
from doanso.members.services import stats_recount  # noqa: E402
from doanso.organisations.choices import MEMBER_HOLDING_KINDS  # noqa: E402
from doanso.organisations.models import Unit  # noqa: E402

N = int(os.environ.get("BENCH_IMPORT_N", "1000000"))
BATCH = int(os.environ.get("BENCH_IMPORT_BATCH", "20000"))
HEADER = [
    "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Dân tộc", "Tôn giáo", "Số điện thoại", "Nghề nghiệp",
    "hưởng lương", "Ngày vào Đoàn", "Số quyết định kết nạp", "education_general", "education_professional",
    "Số thẻ đoàn viên", "Mã chi đoàn",
]  # fmt: skip


class FarCounters(dict):
    """PersonFactory's per-prefix CCCD counters, started where no seed of this size reaches."""

    def get(self, key, default=None):
        return super().get(key, 700_000)


def vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child(path: str, code: str) -> None:
    """Run the real command in this process and report its own peak memory."""
    from django.core.management import call_command

    before = vm_hwm_mb()
    started = time.monotonic()
    call_command("import_members", path, "--unit", code, "--batch", str(BATCH))
    print(f"CHILD seconds={time.monotonic() - started:.3f} hwm_mb={vm_hwm_mb():.1f} start_mb={before:.1f}", flush=True)


def province() -> Unit:
    top = (
        Unit.objects.filter(kind__in=MEMBER_HOLDING_KINDS, closed_on__isnull=True, depth__gte=2)
        .extra(select={"p": "split_part(path, '/', 3)"})  # /root/province/…
        .values("p")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if top is None:
        sys.exit("no branches: seed data first (manage.py seed_demo --members N)")
    return Unit.objects.get(pk=int(top["p"]))


def write_csv(path: Path, prov: Unit) -> int:
    branches = list(
        Unit.objects.filter(path__startswith=prov.path, kind__in=MEMBER_HOLDING_KINDS, closed_on__isnull=True)
        .only("pk", "code", "path", "kind", "depth", "name")
        .order_by("pk")
    )
    factory = PersonFactory(seed=int(time.time()) % 100_000)
    factory._cccd_next = FarCounters()
    cohort = factory.cohort(prov.province_id or 1)
    per = N // len(branches) + 1
    written = 0
    sexes = {"M": "Nam", "F": "Nữ"}
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for branch in branches:
            plan = BranchPlan(unit=branch, count=min(per, N - written), cohort=cohort, profile=PROFILES["locality"])
            if plan.count <= 0:
                break
            for row, _ in factory.members(plan, 1):
                # MEMBER_COLUMNS: id unit_id unit_path s1 s2 s3 | full family given sort search search_given |
                # dob sex eth rel cccd phone pw cw edu_g edu_p occupation salaried position card admitted decision …
                phone = row[17]
                out.writerow([
                    row[6], row[12].strftime("%d/%m/%Y"), sexes[row[13]], row[16], row[14], row[15],
                    "0" + phone[3:] if phone else "", row[22], "x" if row[23] else "", row[26].strftime("%d/%m/%Y"),
                    row[27], row[20], row[21], row[25], branch.code,
                ])  # fmt: skip
            written += plan.count
    return written


def clashes(path: Path) -> int:
    """CCCDs of the file already on record (must be none)."""
    found = 0
    with path.open(encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        chunk: list[str] = []
        for row in reader:
            chunk.append(row[3])
            if len(chunk) == 20_000:
                found += Member.objects.filter(citizen_id__in=chunk).count()
                chunk = []
        if chunk:
            found += Member.objects.filter(citizen_id__in=chunk).count()
    return found


def copy_baseline(path: Path) -> float:
    cols = ", ".join(f"c{i} text" for i in range(len(HEADER)))
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(f"CREATE TEMP TABLE bench_import_baseline ({cols})")
        started = time.monotonic()
        with raw.copy("COPY bench_import_baseline FROM STDIN (FORMAT csv, HEADER true)") as copy, path.open("rb") as fh:
            while block := fh.read(1 << 20):
                copy.write(block)
        seconds = time.monotonic() - started
        raw.execute("SELECT count(*) FROM bench_import_baseline")
        rows = raw.fetchone()[0]
        raw.execute("DROP TABLE bench_import_baseline")
    return rows / seconds


def stats_exact(units: list[Unit]) -> bool:
    want = {
        (r["unit_id"], r["status"]): r["n"]
        for r in Member.objects.filter(unit__in=units).values("unit_id", "status").annotate(n=Count("id")).order_by()
    }
    got = {(s.unit_id, s.status): s.count for s in MemberStat.objects.filter(unit__in=units)}
    return want == got


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench_import needs PostgreSQL (DATABASE_URL)")
    prov = province()
    before_id = Member.objects.aggregate(m=Max("id"))["m"] or 0
    before_audit = AuditEvent.objects.aggregate(m=Max("id"))["m"] or 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "members.csv"
        started = time.monotonic()
        rows = write_csv(path, prov)
        print(f"# {vi_int(rows)} rows for {prov.name} written in {time.monotonic() - started:.1f}s "
              f"({path.stat().st_size / 1e6:.0f} MB)", flush=True)  # fmt: skip
        if clashes(path):
            sys.exit("generated CCCDs clash with the database: change the counters' start")
        failed = False
        try:
            started = time.monotonic()
            proc = subprocess.run(
                [sys.executable, __file__, "--child", str(path), prov.code],
                capture_output=True, text=True, env=os.environ.copy(),
            )  # fmt: skip
            wall = time.monotonic() - started
            sys.stdout.write("".join(f"# {line}\n" for line in proc.stdout.splitlines()[-4:]))
            if proc.returncode:
                sys.stderr.write(proc.stderr[-3000:])
                sys.exit("import failed")
            info = dict(kv.split("=") for kv in proc.stdout.strip().splitlines()[-1].split()[1:])
            imported = Member.objects.filter(id__gt=before_id).count()
            touched = list(Unit.objects.filter(pk__in=Member.objects.filter(id__gt=before_id).values("unit_id")))
            if imported != rows:
                print(f"# WRONG: {imported} imported of {rows}", flush=True)
                failed = True
            if not stats_exact(touched):
                print("# WRONG: MemberStat differs from a recount", flush=True)
                failed = True
            baseline = copy_baseline(path)
            rate = rows / float(info["seconds"])
            print(f"# child wall {wall:.1f}s (with Django start-up), import {info['seconds']}s", flush=True)
            print(f"BENCH name=import_members_rows_per_s value={rate:.0f} unit=rows/s baseline={baseline:.0f} "
                  f"ratio={rate / baseline:.3f}", flush=True)  # fmt: skip
            print(f"BENCH name=import_copy_baseline_rows_per_s value={baseline:.0f} unit=rows/s "
                  f"baseline={baseline:.0f} ratio=1", flush=True)  # fmt: skip
            hwm, start = float(info["hwm_mb"]), float(info["start_mb"])
            print(f"BENCH name=import_members_mb value={hwm:.1f} unit=MB baseline={start:.1f} "
                  f"ratio={hwm / start:.2f}", flush=True)  # fmt: skip
        finally:
            cleanup(before_id, before_audit)
    if failed:
        sys.exit(1)


def cleanup(before_id: int, before_audit: int) -> None:
    started = time.monotonic()
    units = list(Unit.objects.filter(pk__in=Member.objects.filter(id__gt=before_id).values("unit_id")))
    MemberStatusRecord.objects.filter(member_id__gt=before_id).delete()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Member._meta.db_table} WHERE id > %s", [before_id])
    AuditEvent.objects.filter(id__gt=before_audit, action="import_members").delete()
    stats_recount(units)
    rollups.dashboards_recount()
    print(f"# cleaned up {len(units)} branches in {time.monotonic() - started:.1f}s", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()

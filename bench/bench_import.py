"""Command-line import benchmark: the national migration, `manage.py import_members --first-load`.

The scenario the command is for: a register with its organisation tree and (almost) no members
receives the country's members from one CSV. So this benchmark leaves the data set in
DATABASE_URL alone and works in a scratch database on the same server (`<name>_importbench`,
dropped at the end): migrate, `seed_demo --members 10000` (the national tree: 34 provinces,
100,000 branches), then a CSV of BENCH_IMPORT_N rows (default 6,500,000: the national register) of
valid, unique people spread over every branch of the country (`doanso.members.bulk.PersonFactory`), imported into the
Central Committee with `--first-load` in a child process, workers and all. It checks that every
row was imported and that MemberStat equals a recount, then measures the raw COPY of the same
file into a bare temporary table of text columns (the baseline). Memory is the whole import's:
the peak of the summed proportional set sizes (Pss) of the command and its worker processes,
sampled every 0.1 s. Prints:
    BENCH name=import_members_rows_per_s value=<rows/s> unit=rows/s baseline=<raw COPY rows/s> ratio=…
    BENCH name=import_copy_baseline_rows_per_s value=<raw COPY rows/s> unit=rows/s baseline=… ratio=1
    BENCH name=import_members_mb value=<peak MB> unit=MB baseline=<the command's MB before the import> ratio=…
    BENCH name=import_members_load_rows_per_s value=<rows/s of the load phase alone> unit=rows/s baseline=… ratio=…
and, as comments, the time of the load, of the dashboards (added once at the end of a first load)
and of the index rebuild.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret-" + "x" * 40)

N = int(os.environ.get("BENCH_IMPORT_N", "6500000"))  # BENCH_IMPORT_WORKERS: --workers (default: the command's)
BATCH = int(os.environ.get("BENCH_IMPORT_BATCH", "10000"))
HEADER = [
    "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Dân tộc", "Tôn giáo", "Số điện thoại", "Nghề nghiệp",
    "hưởng lương", "Ngày vào Đoàn", "Số quyết định kết nạp", "education_general", "education_professional",
    "Số thẻ đoàn viên", "Mã chi đoàn",
]  # fmt: skip


class FarCounters(dict):
    """PersonFactory's per-prefix CCCD counters, started where the scratch seed's members are not."""

    def get(self, key, default=None):
        return super().get(key, 500_000)


def pss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree_pss_mb() -> float:
    """This process and its children (the checking workers), proportional set sizes summed."""
    me = os.getpid()
    pids = [me]
    for task in Path(f"/proc/{me}/task").iterdir():
        with contextlib.suppress(OSError):
            pids += [int(p) for p in (task / "children").read_text().split()]
    return sum(pss_mb(p) for p in pids)


def child(path: str, code: str) -> None:
    """Run the real command in this process; report the time and the peak memory of the whole import."""
    import django

    django.setup()
    from django.core.management import call_command

    before = tree_pss_mb()
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], tree_pss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    workers = ["--workers", os.environ["BENCH_IMPORT_WORKERS"]] if os.environ.get("BENCH_IMPORT_WORKERS") else []
    call_command("import_members", path, "--unit", code, "--batch", str(BATCH), "--first-load", *workers)
    seconds = time.monotonic() - started
    done.set()
    sampler.join()
    print(f"CHILD seconds={seconds:.3f} peak_mb={peak[0]:.1f} start_mb={before:.1f}", flush=True)


def write_csv(path: Path) -> int:
    from doanso.members.bulk import PROFILES, BranchPlan, PersonFactory
    from doanso.organisations.choices import MEMBER_HOLDING_KINDS
    from doanso.organisations.models import Unit

    branches = list(
        Unit.objects.filter(kind__in=MEMBER_HOLDING_KINDS, closed_on__isnull=True)
        .only("pk", "code", "path", "kind", "depth", "name", "province_id")
        .order_by("path")
    )
    factory = PersonFactory(seed=int(time.time()) % 100_000)
    factory._cccd_next = FarCounters()
    per, extra = divmod(N, len(branches))
    written = 0
    sexes = {"M": "Nam", "F": "Nữ"}
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for k, branch in enumerate(branches):
            count = per + (1 if k < extra else 0)
            if count <= 0:
                continue
            plan = BranchPlan(
                unit=branch, count=count, cohort=factory.cohort(branch.province_id or 1), profile=PROFILES["locality"]
            )
            for row, _ in factory.members(plan, 1):
                # MEMBER_COLUMNS: id unit_id unit_path s1 s2 s3 | full family given sort search search_given |
                # dob sex eth rel cccd phone pw cw edu_g edu_p occupation salaried position card admitted decision …
                phone = row[17]
                out.writerow([
                    row[6], row[12].strftime("%d/%m/%Y"), sexes[row[13]], row[16], row[14], row[15],
                    "0" + phone[3:] if phone else "", row[22], "x" if row[23] else "", row[26].strftime("%d/%m/%Y"),
                    row[27], row[20], row[21], row[25], branch.code,
                ])  # fmt: skip
            written += count
    return written


def copy_baseline(path: Path) -> float:
    from django.db import connection

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


def check(before_id: int, rows: int) -> bool:
    from django.db.models import Count

    from doanso.members.models import Member, MemberStat

    imported = Member.objects.filter(id__gt=before_id).count()
    if imported != rows:
        print(f"# WRONG: {imported} imported of {rows}", flush=True)
        return False
    want = {
        (r["unit_id"], r["status"]): r["n"]
        for r in Member.objects.values("unit_id", "status").annotate(n=Count("id")).order_by()
    }
    got = {(s.unit_id, s.status): s.count for s in MemberStat.objects.exclude(count=0)}
    if want != got:
        print("# WRONG: MemberStat differs from a recount", flush=True)
        return False
    return True


def admin(sql: str, url: str) -> None:
    import psycopg

    base = re.sub(r"/[^/]*$", "/postgres", url)
    with psycopg.connect(base.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench_import needs PostgreSQL (DATABASE_URL)")
    scratch = re.sub(r"[^a-z0-9_]", "_", url.rsplit("/", 1)[1].lower())[:40] + "_importbench"
    scratch_url = url.rsplit("/", 1)[0] + "/" + scratch
    admin(f"DROP DATABASE IF EXISTS {scratch}", url)
    admin(f"CREATE DATABASE {scratch}", url)
    env = {**os.environ, "DATABASE_URL": scratch_url}
    try:
        started = time.monotonic()
        for args in (["migrate", "--noinput"], ["seed_demo", "--members", "10000"]):
            done = subprocess.run(
                [sys.executable, str(ROOT / "manage.py"), *args], env=env, capture_output=True, text=True
            )
            if done.returncode:
                sys.stderr.write(done.stderr[-3000:])
                sys.exit(f"scratch database: {' '.join(args)} failed")
        print(f"# scratch database {scratch}: national tree in {time.monotonic() - started:.0f}s", flush=True)
        os.environ["DATABASE_URL"] = scratch_url
        import django

        django.setup()
        from django.db.models import Max

        from doanso.members.bulk import vi_int
        from doanso.members.models import Member
        from doanso.organisations.models import Unit

        root = Unit.objects.get(depth=0)
        before_id = Member.objects.aggregate(m=Max("id"))["m"] or 0
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "members.csv"
            started = time.monotonic()
            rows = write_csv(path)
            print(f"# {vi_int(rows)} rows over the country's branches written in {time.monotonic() - started:.0f}s "
                  f"({path.stat().st_size / 1e6:.0f} MB)", flush=True)  # fmt: skip
            started = time.monotonic()
            proc = subprocess.run(
                [sys.executable, __file__, "--child", str(path), root.code], capture_output=True, text=True, env=env
            )
            wall = time.monotonic() - started
            lines = proc.stdout.splitlines()
            progress = [line for line in lines if "dòng/s" in line and not line.startswith("Nhập xong")]
            for line in lines:
                if any(k in line for k in ("xong chỉ mục", "xong số liệu", "Lần nạp đầu")) or line.startswith(
                    ("Nhập xong", "CHILD")
                ):
                    print(f"# {line.strip()}", flush=True)
            if progress:
                print(f"# end of the load phase: {progress[-1].strip()}", flush=True)
            if proc.returncode:
                sys.stderr.write(proc.stderr[-3000:])
                sys.exit("import failed")
            info = dict(kv.split("=") for kv in lines[-1].split()[1:])
            ok = check(before_id, rows)
            baseline = copy_baseline(path)
        rate = rows / float(info["seconds"])
        print(f"# child wall {wall:.1f}s (with Django start-up), import {info['seconds']}s", flush=True)
        print(f"BENCH name=import_members_rows_per_s value={rate:.0f} unit=rows/s baseline={baseline:.0f} "
              f"ratio={rate / baseline:.3f}", flush=True)  # fmt: skip
        if progress:  # the load phase alone (checking + COPY), before the dashboards and the index rebuild
            load_s = float(re.search(r"([0-9.]+)s", progress[-1].split("dòng", 1)[1]).group(1))
            load = rows / load_s
            print(f"BENCH name=import_members_load_rows_per_s value={load:.0f} unit=rows/s baseline={baseline:.0f} "
                  f"ratio={load / baseline:.3f}", flush=True)  # fmt: skip
        print(f"BENCH name=import_copy_baseline_rows_per_s value={baseline:.0f} unit=rows/s "
              f"baseline={baseline:.0f} ratio=1", flush=True)  # fmt: skip
        peak, start = float(info["peak_mb"]), float(info["start_mb"])
        print(f"BENCH name=import_members_mb value={peak:.1f} unit=MB baseline={start:.1f} "
              f"ratio={peak / start:.2f}", flush=True)  # fmt: skip
    finally:
        from django.db import connections

        connections.close_all()
        admin(f"DROP DATABASE IF EXISTS {scratch}", url)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()

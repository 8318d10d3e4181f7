"""Evaluation benchmarks: a grassroots unit approving its whole round at once, and a province's
live grade counts per child unit.

Runs against the database in DATABASE_URL (a national-shaped data set from `manage.py seed_demo`).
Everything it writes is rolled back at the end. Prints one line per figure:
    BENCH name=<id> value=<v> unit=<s|ms> baseline=<raw SQL, same unit> ratio=<value/baseline>

- round_bulk_approve_2000_s: the largest grassroots unit (topped up to >= 2,000 members when the data
  set is smaller), a round opened by the real service, every member proposed in bulk, then the real
  `round_approve` (all branches at once) is timed. Baseline: a raw SQL UPDATE of the same rows.
  Target <= 3 s.
- grade_counts_province_ms: the largest province gets an approved grade for every member
  (`doanso.evaluation.bulk.grades_bulk_write`), then `selectors.grade_counts` (median of BENCH_RUNS)
  against a raw SQL GROUP BY over the grade rows joined to their units. The answers must be equal
  (exit 1 otherwise). Target <= 50 ms.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret-" + "x" * 40)

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from doanso.accounts.models import Role, User  # noqa: E402
from doanso.evaluation import selectors, services  # noqa: E402
from doanso.evaluation.bulk import grades_bulk_write  # noqa: E402
from doanso.evaluation.choices import GRADES, Stage  # noqa: E402
from doanso.evaluation.models import Evaluation  # noqa: E402
from doanso.members.bulk import TableWriter  # noqa: E402
from doanso.members.choices import CURRENT_STATUSES, MemberStatus  # noqa: E402
from doanso.members.models import Member  # noqa: E402
from doanso.members.services import stats_recount as member_stats_recount  # noqa: E402
from doanso.organisations.choices import MEMBER_HOLDING_KINDS  # noqa: E402
from doanso.organisations.models import Unit  # noqa: E402

N = int(os.environ.get("BENCH_EVALUATION_N", "2000"))
RUNS = int(os.environ.get("BENCH_RUNS", "15"))
FAILED = False


class Rollback(Exception):
    pass


def official(unit: Unit) -> User:
    user = User(username=f"bench-eval-{unit.pk}", unit=unit, role=Role.objects.get(code="secretary"), full_name="Bench")
    user.set_unusable_password()
    user.save()
    return user


def line(name: str, value: float, unit: str, baseline: float) -> None:
    ratio = value / baseline if baseline else 0
    print(f"BENCH name={name} value={value:.3f} unit={unit} baseline={baseline:.4f} ratio={ratio:.1f}", flush=True)


def largest(kind_filter: dict, level: int) -> Unit:
    """The unit at `level` (scope column) holding most current members, among units matching the filter."""
    candidates = set(Unit.objects.filter(**kind_filter).values_list("pk", flat=True))
    for row in (
        Member.objects.filter(status__in=CURRENT_STATUSES)
        .values(f"scope{level}")
        .annotate(n=Count("id"))
        .order_by("-n")
    ):
        if row[f"scope{level}"] in candidates:
            return Unit.objects.get(pk=row[f"scope{level}"])
    return Unit.objects.get(pk=min(candidates))


def top_up(grassroots: Unit, need: int) -> None:
    """Add members (bulk) spread over the unit's branches until it holds `need` current members."""
    have = Member.objects.filter(unit_path__startswith=grassroots.path, status__in=CURRENT_STATUSES).count()
    branches = list(Unit.objects.filter(path__startswith=grassroots.path, kind__in=MEMBER_HOLDING_KINDS))
    if have >= need or not branches:
        return
    rnd = random.Random(7)
    rows = []
    for i in range(need - have):
        branch = branches[i % len(branches)]
        dob = date(2000 + i % 8, 1 + i % 12, 1 + i % 28)
        m = Member(
            full_name=f"{rnd.choice(['Nguyễn', 'Trần', 'Lê'])} {rnd.choice(['Văn', 'Thị'])} {rnd.choice(['An', 'Bình', 'Chi'])}",
            date_of_birth=dob, sex="F", citizen_id=f"0961{i:08d}"[:12], admitted_on=date(2020, 3, 26),
            status=MemberStatus.ACTIVE, status_since=date(2020, 3, 26),
        )  # fmt: skip
        m.set_derived_name_fields()
        m.set_placement(branch)
        rows.append(m)
    existing = set(
        Member.objects.filter(citizen_id__in=[m.citizen_id for m in rows]).values_list("citizen_id", flat=True)
    )
    Member.objects.bulk_create([m for m in rows if m.citizen_id not in existing], batch_size=2000)
    member_stats_recount(units=branches)


def bench_approve(year: int) -> None:
    grassroots = largest({"kind__in": selectors.GRASSROOTS_KINDS}, 2)
    top_up(grassroots, N)
    actor = official(grassroots)
    rnd = services.round_open(actor=actor, unit=grassroots, year=year)
    now = timezone.now()
    members = Member.objects.filter(unit_path__startswith=grassroots.path, status__in=CURRENT_STATUSES).values_list(
        "id", "unit_id", "unit_path"
    )
    gen = random.Random(3)
    empty = []
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        empty = Jsonb([])
    columns = ["round_id", "member_id", "year", "branch_id", "unit_path", "stage", "proposed_grade", "unmet_conditions",
               "proposed_by_id", "proposed_at"]  # fmt: skip
    members = list(members)  # not a cursor: the connection is busy with COPY below
    with TableWriter(Evaluation, columns) as out:
        for mid, bid, path in members:
            out.write((rnd.pk, mid, year, bid, path, Stage.PROPOSED, gen.choice(GRADES[1:3]), empty, actor.pk, now))
        count = out.rows
    services.stats_recount(year=year, unit=grassroots)
    start = time.perf_counter()
    result = services.round_approve(actor=actor, rnd=rnd)
    value = time.perf_counter() - start
    assert result.locked and result.approved == count, (result.approved, count)
    with connection.cursor() as cur:
        table = connection.ops.quote_name(Evaluation._meta.db_table)
        begin = time.perf_counter()
        cur.execute(
            f"UPDATE {table} SET stage = %s, grade = proposed_grade, approved_at = %s WHERE round_id = %s",
            [Stage.APPROVED, now, rnd.pk],
        )
        baseline = time.perf_counter() - begin
    print(f"# round of {grassroots.name}: {count} grades in {len(result.branches)} branches", flush=True)
    line("round_bulk_approve_2000_s", value, "s", baseline)


def raw_counts(province: Unit, year: int) -> dict[int, dict[str, int]]:
    """A raw SQL GROUP BY over the grade rows joined to their branch units, mapped to the child units."""
    e, u = (connection.ops.quote_name(m._meta.db_table) for m in (Evaluation, Unit))
    sql = (
        f"SELECT b.path, e.grade, COUNT(*) FROM {e} e JOIN {u} b ON b.id = e.branch_id "
        f"WHERE e.year = %s AND e.stage = %s AND b.path LIKE %s GROUP BY b.path, e.grade"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [year, Stage.APPROVED, province.path + "%"])
        rows = cur.fetchall()
    children = {c.path: c.pk for c in Unit.objects.filter(parent=province)}
    out: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(GRADES, 0))
    width = len(province.path)
    for path, grade, n in rows:
        cut = path.find("/", width)
        child = children.get(path[: cut + 1]) if cut >= 0 else None
        if child is not None:
            out[child][grade] += n
    return out


def bench_counts(year: int) -> None:
    global FAILED
    province = largest({"kind__in": ["province", "central_direct"]}, 1)
    actor = official(province)
    start = time.perf_counter()
    written = grades_bulk_write(unit=province, year=year, actor=actor)
    print(f"# {written} approved grades written for {province.name} in {time.perf_counter() - start:.1f}s", flush=True)
    timings, answer = [], None
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as ctx:
            begin = time.perf_counter()
            answer = selectors.grade_counts(actor=actor, unit=province, year=year)
            timings.append(time.perf_counter() - begin)
    queries = len(ctx.captured_queries)
    base = []
    expected = None
    for _ in range(RUNS):
        begin = time.perf_counter()
        expected = raw_counts(province, year)
        base.append(time.perf_counter() - begin)
    got = {child.pk: counts for child, counts in answer["children"] if any(counts.values())}
    if got != dict(expected) or sum(answer["total"].values()) != sum(sum(c.values()) for c in expected.values()):
        FAILED = True
        print("# MISMATCH: selector and raw GROUP BY differ", file=sys.stderr, flush=True)
    print(f"# {sum(answer['total'].values())} grades in {len(got)} child units, {queries} queries", flush=True)
    line("grade_counts_province_ms", 1000 * statistics.median(timings), "ms", 1000 * statistics.median(base))


def main() -> None:
    year = timezone.localdate().year
    for bench in (bench_approve, bench_counts):
        try:
            with transaction.atomic():
                bench(year)
                raise Rollback
        except Rollback:
            pass
    if FAILED:
        sys.exit(1)


if __name__ == "__main__":
    main()

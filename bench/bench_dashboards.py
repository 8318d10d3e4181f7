"""Dashboard benchmarks: the national dashboard, the largest province's and that of the unit with the
most members in branches directly under it (branches keep no rollup rows: their figures are
counted from their members), live.

Runs against the database in DATABASE_URL (after `manage.py seed_demo`). Read-only. For each, the
real selector (`dashboard_figures` + `dashboard_tables`: every figure of the page, per child unit)
is timed (median of 15) beside a raw SQL recount of the same figures from members_member, its
status records and unit changes (GROUP BYs by the child's path prefix); the two must be equal.
Prints one line per figure:
    BENCH name=<id> value=<ms> unit=ms baseline=<raw SQL recount, ms> ratio=<value/baseline>
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret-" + "x" * 40)

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from doanso.accounts.models import Role, User  # noqa: E402
from doanso.dashboards import selectors  # noqa: E402
from doanso.members.models import Member, MemberFacet, MemberStat, MemberStatusRecord, MemberUnitChange  # noqa: E402
from doanso.organisations.choices import MEMBER_HOLDING_KINDS  # noqa: E402
from doanso.organisations.models import Unit  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
FAILED = False


class Rollback(Exception):
    pass


def line(name: str, value: float, unit: str, baseline: float) -> None:
    ratio = value / baseline if baseline else 0
    print(f"BENCH name={name} value={value:.1f} unit={unit} baseline={baseline:.1f} ratio={ratio:.3f}", flush=True)


def official(unit: Unit) -> User:
    user = User(username=f"bench-dash-{unit.pk}", unit=unit, role=Role.objects.get(code="secretary"), full_name="Bench")
    user.set_unusable_password()
    user.save()
    return user


def raw_figures(unit: Unit, year: int) -> tuple[dict, dict]:
    """({child path: {dim: Counter}}, {child path: Counter of events}) by raw SQL over the member table."""
    q = connection.ops.quote_name
    m_t, r_t, t_t, u_t = (q(x._meta.db_table) for x in (Member, MemberStatusRecord, MemberUnitChange, Unit))
    width = len(unit.path)
    prefix = f"substr(m.unit_path, 1, {width} + strpos(substr(m.unit_path, {width + 1}), '/'))"
    current = "m.status IN ('active', 'in_transit')"
    dims = [
        ("status", "m.status", "TRUE"),
        ("sex", "m.sex", current),
        ("eth", "m.ethnicity_id", current),
        ("rel", "m.religion_id", current),
        ("born", "CAST(EXTRACT(YEAR FROM m.date_of_birth) AS integer)::text", current),
        (
            "party",
            "CASE WHEN m.party_joined_on IS NOT NULL THEN '1' ELSE '0' END",
            f"{current} AND m.party_joined_on IS NOT NULL",
        ),
    ]
    facets: dict = defaultdict(lambda: defaultdict(Counter))
    events: dict = defaultdict(Counter)
    scope = "m.unit_path LIKE %s"
    with connection.cursor() as cur:
        # one scan of the subtree for every dimension: GROUPING SETS
        sets = ", ".join(f"({prefix}, {expr})" for _, expr, _ in dims)
        cols = ", ".join(
            f"COUNT(*) FILTER (WHERE {cond})" for _, _, cond in dims
        )  # each set's rows carry all filters; the grouping() bits tell them apart
        grouping = ", ".join(f"GROUPING({expr})" for _, expr, _ in dims)
        exprs = ", ".join(expr for _, expr, _ in dims)
        cur.execute(
            f"SELECT {prefix}, {exprs}, {grouping}, {cols} FROM {m_t} m WHERE {scope} GROUP BY GROUPING SETS ({sets})",
            [unit.path + "%"],
        )
        n = len(dims)
        for row in cur.fetchall():
            path, values, flags, counts = row[0], row[1 : 1 + n], row[1 + n : 1 + 2 * n], row[1 + 2 * n :]
            for i, (dim, _, _) in enumerate(dims):
                if flags[i] == 0 and counts[i]:
                    facets[path][dim][str(values[i])] += counts[i]
        cur.execute(
            f"""SELECT {prefix}, CASE WHEN r.status = 'active' THEN 'admitted' ELSE r.status END, COUNT(*)
                FROM {r_t} r JOIN {m_t} m ON m.id = r.member_id
                WHERE {scope} AND r.effective_on >= %s AND r.effective_on < %s
                  AND ((r.status = 'active' AND r.previous_status = '')
                       OR r.status IN ('aged_out', 'removed', 'expelled', 'deceased', 'left'))
                GROUP BY 1, 2""",
            [unit.path + "%", f"{year}-01-01", f"{year + 1}-01-01"],
        )
        for path, kind, count in cur.fetchall():
            events[path][kind] += count
        cur.execute(
            f"""SELECT a.path, b.path FROM {t_t} t JOIN {u_t} a ON a.id = t.from_unit_id JOIN {u_t} b ON b.id = t.to_unit_id
                WHERE t.unit_change_id IS NULL AND t.effective_on >= %s AND t.effective_on < %s
                  AND (a.path LIKE %s OR b.path LIKE %s)""",
            [f"{year}-01-01", f"{year + 1}-01-01", unit.path + "%", unit.path + "%"],
        )
        for src, dst in cur.fetchall():
            cut_src = src[: src.find("/", width) + 1] if src.startswith(unit.path) else None
            cut_dst = dst[: dst.find("/", width) + 1] if dst.startswith(unit.path) else None
            if cut_src != cut_dst:
                if cut_dst:
                    events[cut_dst]["transfer_in"] += 1
                if cut_src:
                    events[cut_src]["transfer_out"] += 1
    return facets, events


def compare(figures: selectors.Figures, raw: tuple[dict, dict]) -> bool:
    facets, events = raw
    ok = True
    for child in figures.children:
        got = {d: {k: n for k, n in c.items() if n} for d, c in figures.facets.get(child.pk, {}).items()}
        got = {d: c for d, c in got.items() if c}
        want = {d: dict(c) for d, c in facets.get(child.path, {}).items()}
        got_events = {k: n for k, n in figures.events.get(child.pk, Counter()).items() if n}
        if got != want or got_events != dict(events.get(child.path, {})):
            print(f"# MISMATCH at {child.name} ({child.pk})", file=sys.stderr, flush=True)
            ok = False
    return ok


def bench(name: str, unit: Unit, year: int) -> None:
    global FAILED
    actor = official(unit)
    timings, figures = [], None
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as ctx:
            begin = time.perf_counter()
            figures = selectors.dashboard_figures(actor=actor, unit=unit, year=year)
            selectors.dashboard_tables(figures)
            timings.append(time.perf_counter() - begin)
    queries = len(ctx.captured_queries)
    base, raw = [], None
    for _ in range(max(3, RUNS // 5)):
        begin = time.perf_counter()
        raw = raw_figures(unit, year)
        base.append(time.perf_counter() - begin)
    if not compare(figures, raw):
        FAILED = True
    on_rolls = sum(figures.facets[None].get("sex", Counter()).values())
    print(f"# {unit.name}: {on_rolls} members on the rolls, {len(figures.children)} child units, {queries} queries",
          flush=True)  # fmt: skip
    line(name, 1000 * statistics.median(timings), "ms", 1000 * statistics.median(base))


def main() -> None:
    if connection.vendor != "postgresql":
        print("# bench_dashboards needs PostgreSQL", flush=True)
        return
    year = timezone.localdate().year
    root = Unit.objects.get(depth=0, parent__isnull=True)
    province_id = (
        MemberFacet.objects.filter(unit__depth=1, dim="status")
        .values("unit_id")
        .annotate(n=Sum("count"))
        .order_by("-n")
        .values_list("unit_id", flat=True)
        .first()
    )
    # The unit with the most members in branches directly under it: every child figure counted live.
    grassroots_id = (
        MemberStat.objects.filter(unit__kind__in=MEMBER_HOLDING_KINDS)
        .values("unit__parent_id")
        .annotate(n=Sum("count"))
        .order_by("-n")
        .values_list("unit__parent_id", flat=True)
        .first()
    )
    try:
        with transaction.atomic():
            bench("dashboard_national_ms", root, year)
            bench("dashboard_province_ms", Unit.objects.get(pk=province_id), year)
            bench("dashboard_grassroots_ms", Unit.objects.get(pk=grassroots_id), year)
            raise Rollback
    except Rollback:
        pass
    if FAILED:
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Member-list benchmarks against the database in DATABASE_URL (see bench/README.md).

For the largest province and the largest commune in the data it times the real selector
(`members.selectors.member_list`: first page in Vietnamese name order plus the total,
descendants included) and a diacritics-free name search, each beside the plain SQL a
developer would write for the same answer, measured in the same process. It checks that both
return the same rows in the same order and the same total, and that a page costs at most 10
queries; a wrong answer exits non-zero. Then it runs every other benchmark in this folder
(bench/bench_*.py: procedures, evaluation, exports, …), each in its own process, in name order;
`--only NAME` (e.g. `--only bench_procedures`) runs just that one, `--no-others` only the member lists.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret-" + "x" * 40)

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from doanso.accounts.models import Role, User  # noqa: E402
from doanso.members.models import Member, MemberStat  # noqa: E402
from doanso.members.selectors import MemberFilters, member_list  # noqa: E402
from doanso.organisations.models import Unit  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
STATUSES = ("active", "in_transit")


def largest(depth: int) -> Unit:
    """The unit at `depth` with the most members (scope1 = provinces, scope2 = communes)."""
    top = (
        Member.objects.filter(status__in=STATUSES, **{f"scope{depth}__isnull": False})
        .values(f"scope{depth}")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if top is None:
        sys.exit(f"no unit at depth {depth}: seed data first (manage.py seed_demo --members N)")
    return Unit.objects.get(pk=top[f"scope{depth}"])


def actor_for(unit: Unit) -> User:
    return User(username="bench", unit=unit, role=Role.objects.get(code="secretary"), is_active=True)


def median_ms(fn) -> float:
    fn()
    fn()
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def raw_page(unit: Unit, q: str = "") -> tuple[list[int], int]:
    """The straightforward SQL: join to the unit tree by path, sort, limit; count the same way."""
    where = "u.path LIKE %s AND m.status IN ('active', 'in_transit')"
    params: list = [unit.path + "%"]
    if q:
        where += " AND (m.search_name LIKE %s OR m.search_given LIKE %s)"
        params += [q + "%", q + "%"]
    sql = f"FROM members_member m JOIN organisations_unit u ON u.id = m.unit_id WHERE {where}"
    with connection.cursor() as cur:
        cur.execute(f"SELECT m.id {sql} ORDER BY m.sort_key, m.id LIMIT 20", params)
        ids = [r[0] for r in cur.fetchall()]
        cur.execute(f"SELECT count(*) {sql}", params)
        return ids, cur.fetchone()[0]


def selector_page(actor: User, unit: Unit, q: str = "") -> tuple[list[int], int]:
    page = member_list(actor=actor, unit=unit, filters=MemberFilters(q=q), page=1, page_size=20)
    return [m.pk for m in page.rows], page.total


def measure(name: str, unit: Unit, q: str = "") -> None:
    actor = actor_for(unit)
    expected = raw_page(unit, q)
    got = selector_page(actor, unit, q)
    if got != expected:
        sys.exit(
            f"{name}: selector answer differs from raw SQL: {got[1]} vs {expected[1]} rows, first ids {got[0][:3]} vs {expected[0][:3]}"
        )
    with CaptureQueriesContext(connection) as ctx:
        selector_page(actor, unit, q)
    if len(ctx.captured_queries) > 10:
        sys.exit(f"{name}: {len(ctx.captured_queries)} queries for one page (limit 10)")
    value = median_ms(lambda: selector_page(actor, unit, q))
    baseline = median_ms(lambda: raw_page(unit, q))
    print(f"# {name}: {unit.name}, total {got[1]}, {len(ctx.captured_queries)} queries per page", flush=True)
    print(
        f"BENCH name={name} value={value:.1f} unit=ms baseline={baseline:.1f} ratio={value / baseline:.2f}", flush=True
    )


def main() -> None:
    print(f"# database: {connection.vendor}, members: {MemberStat.objects.aggregate(n=Sum('count'))['n']}", flush=True)
    others = sorted((ROOT / "bench").glob("bench_*.py"))
    if "--only" in sys.argv:
        wanted = sys.argv[sys.argv.index("--only") + 1].removesuffix(".py")
        others = [p for p in others if p.stem == wanted]
    else:
        province, commune = largest(1), largest(2)
        measure("member_list_province_ms", province)
        measure("member_search_province_ms", province, "nguyen van an")
        measure("member_list_commune_ms", commune)
    if "--no-others" in sys.argv or "--no-procedures" in sys.argv:
        others = []
    for script in others:
        subprocess.run([sys.executable, str(script)], check=True)


if __name__ == "__main__":
    main()

"""Periodic report benchmark: the largest province's yearly report (báo cáo thống kê đoàn viên).

Runs against the database in DATABASE_URL (a national-shaped data set from `manage.py seed_demo`).
Writes nothing but a throw-away official account (rolled back). Prints:
    BENCH name=<id> value=<v> unit=s baseline=<raw SQL, s> ratio=<value/baseline>

- report_province_year_s: `reports.selectors.periodic_report` for last year ("Y") of the province
  holding most members (median of BENCH_RUNS): the tree as of 31/12 from the dated parentage, every
  member attributed by the dated moves, statuses from the dated records, events, transfers, grades,
  Party referrals and dues. Baseline: a raw SQL count of the province's current members per child unit
  (the cheapest query that touches the same rows). Target: seconds, not minutes.
- report_province_quarter_s: the same province, last ended quarter.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret-" + "x" * 40)

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from doanso.accounts.models import Role, User  # noqa: E402
from doanso.members.models import Member  # noqa: E402
from doanso.organisations.models import Unit  # noqa: E402
from doanso.reports.periods import Period, default_period  # noqa: E402
from doanso.reports.selectors import periodic_report  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "3"))


class Rollback(Exception):
    pass


def line(name: str, value: float, baseline: float) -> None:
    ratio = value / baseline if baseline else 0
    print(f"BENCH name={name} value={value:.3f} unit=s baseline={baseline:.4f} ratio={ratio:.1f}", flush=True)


def largest_province() -> Unit:
    row = Member.objects.values("scope1").annotate(n=Count("id")).order_by("-n").first()
    return Unit.objects.get(pk=row["scope1"])


def raw_baseline(province: Unit) -> float:
    depth = province.depth + 1
    sql = f"SELECT scope{depth}, COUNT(*) FROM members_member WHERE scope1 = %s AND status IN ('active', 'in_transit') GROUP BY 1"
    if depth > 3:
        sql = "SELECT unit_id, COUNT(*) FROM members_member WHERE unit_path LIKE %s GROUP BY 1"
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, [province.pk])
            cursor.fetchall()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def timed(actor, province: Unit, period: Period) -> tuple[float, int]:
    times, members = [], 0
    for _ in range(RUNS):
        t0 = time.perf_counter()
        report = periodic_report(actor=actor, unit=province, period=period)
        times.append(time.perf_counter() - t0)
        members = report.total["end"]
    return statistics.median(times), members


def main() -> None:
    province = largest_province()
    today = timezone.localdate()
    try:
        with transaction.atomic():
            actor = User(username="bench-reports", unit=province, role=Role.objects.get(code="secretary"))
            actor.set_unusable_password()
            actor.save()
            baseline = raw_baseline(province)
            year = Period(today.year - 1, "Y")
            value, members = timed(actor, province, year)
            print(f"# {province.name}: {members} members at the end of {year.label}", flush=True)
            line("report_province_year_s", value, baseline)
            quarter = default_period(unit_kind="grassroots", today=today)
            value, members = timed(actor, province, quarter)
            print(f"# {province.name}: {members} members at the end of {quarter.label}", flush=True)
            line("report_province_quarter_s", value, baseline)
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()

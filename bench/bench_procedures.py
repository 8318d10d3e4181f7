"""Procedure benchmarks: bulk approval of 1,000 admission cases and a batch transfer of 1,000 members.

Runs against the database in DATABASE_URL (any data set with at least one province, grassroots
unit and branch, e.g. after `manage.py seed_demo`). Everything it creates is rolled back at the end.
Prints one line per figure:
    BENCH name=<id> value=<s> unit=s baseline=<raw SQL update of the same rows, s> ratio=<value/baseline>
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret-" + "x" * 40)

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from doanso.accounts.models import Role, User  # noqa: E402
from doanso.members.choices import MemberStatus  # noqa: E402
from doanso.members.models import Member, MemberStatusRecord  # noqa: E402
from doanso.members.services import stats_recount  # noqa: E402
from doanso.organisations.models import Unit  # noqa: E402
from doanso.procedures import services  # noqa: E402
from doanso.procedures.models import Case, Youth  # noqa: E402

N = int(os.environ.get("BENCH_PROCEDURES_N", "1000"))


class Rollback(Exception):
    pass


class Generator:
    """Real-looking names and fresh citizen IDs (checked against the database)."""

    FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi"]
    MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Hoàng", "Thanh"]
    GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Khoa", "Lan", "Minh", "Ngân", "Phúc", "Tâm", "Yến"]

    def __init__(self, seed: int):
        import random

        self.rnd = random.Random(seed)
        self.used: set[str] = set()

    def name(self) -> str:
        return " ".join(self.rnd.choice(part) for part in (self.FAMILY, self.MIDDLE, self.GIVEN))

    def cccd(self, dob: date, sex: str) -> str:
        d4 = ((dob.year - 1900) // 100) * 2 + (1 if sex == "F" else 0)
        while True:
            number = f"096{d4}{dob.year % 100:02d}{self.rnd.randint(0, 999999):06d}"
            if (
                number not in self.used
                and not Member.objects.filter(citizen_id=number).exists()
                and not Youth.objects.filter(citizen_id=number).exists()
            ):
                self.used.add(number)
                return number


def official(unit: Unit) -> User:
    user = User(username=f"bench-{unit.pk}", unit=unit, role=Role.objects.get(code="secretary"), full_name="Bench")
    user.set_unusable_password()
    user.save()
    return user


def raw_update_seconds(table: str, column: str, value: str, ids: list[int]) -> float:
    with connection.cursor() as cur:
        start = time.perf_counter()
        cur.execute(f"UPDATE {table} SET {column} = %s WHERE id IN ({','.join(str(i) for i in ids)})", [value])
        return time.perf_counter() - start


def line(name: str, value: float, baseline: float) -> None:
    ratio = value / baseline if baseline else 0
    print(f"BENCH name={name} value={value:.3f} unit=s baseline={baseline:.4f} ratio={ratio:.1f}", flush=True)


def bench_admission(gen: Generator) -> None:
    branch = (
        Unit.objects.filter(kind="branch", closed_on__isnull=True, parent__kind="grassroots").order_by("pk").first()
    )
    commune = branch.parent
    clerk, approver = official(branch), official(commune)
    today = timezone.localdate()
    sponsor = Member.objects.filter(unit=branch, status="active", admitted_on__lt=today - timedelta(days=120)).first()
    cases = []
    for i in range(N):
        dob = date(today.year - 17, 1 + i % 12, 1 + i % 28)
        sex = "MF"[i % 2]
        youth = Youth(
            unit=branch, full_name=gen.name(), date_of_birth=dob, sex=sex, citizen_id=gen.cccd(dob, sex),
            applied_on=today - timedelta(days=60), course_passed_on=today - timedelta(days=30), sponsor_kind="member",
            sponsor_member=sponsor, created_by=clerk,
        )  # fmt: skip
        youth.set_derived()
        youth.save()
        case = services.admission_open(actor=clerk, unit=branch, youths=[youth])
        services.case_act(
            actor=clerk, case=case, action="vote",
            data={"meeting_on": today, "present": 20, "votes": {str(youth.pk): {"for": 15, "against": 1}}},
        )  # fmt: skip
        cases.append(case)
    start = time.perf_counter()
    results = services.cases_bulk_act(
        actor=approver, cases=cases, action="approve",
        data={"decision_number": "1-QĐ/BENCH", "decision_on": today, "signer": "Bench"},
    )  # fmt: skip
    value = time.perf_counter() - start
    assert all(r["ok"] for r in results), [r for r in results if not r["ok"]][:3]
    assert Case.objects.filter(pk__in=[c.pk for c in cases], state="approved").count() == N
    baseline = raw_update_seconds("procedures_case", "state", "approved", [c.pk for c in cases])
    line("bulk_admission_1000_s", value, baseline)


def bench_transfer(gen: Generator) -> None:
    branch = (
        Unit.objects.filter(kind="branch", closed_on__isnull=True, parent__kind="grassroots").order_by("-pk").first()
    )
    sender = branch.parent
    receiver = (
        Unit.objects.filter(kind="grassroots", closed_on__isnull=True).exclude(pk=sender.pk).order_by("pk").first()
    )
    target = Unit.objects.filter(parent=receiver, kind="branch", closed_on__isnull=True).first()
    out_official, in_official = official(sender), official(receiver)
    today = timezone.localdate()
    people = []
    for i in range(N):
        dob = date(today.year - 22, 1 + i % 12, 1 + i % 28)
        m = Member(full_name=gen.name(), date_of_birth=dob, sex="F", citizen_id=gen.cccd(dob, "F"),
                   admitted_on=date(today.year - 5, 3, 26), status=MemberStatus.ACTIVE, status_since=date(today.year - 5, 3, 26))  # fmt: skip
        m.set_derived_name_fields()
        m.set_placement(branch)
        people.append(m)
    Member.objects.bulk_create(people, batch_size=1000)
    MemberStatusRecord.objects.bulk_create(
        [MemberStatusRecord(member=m, status="active", effective_on=m.admitted_on, reason="bench") for m in people]
    )
    stats_recount(units=[branch])
    start = time.perf_counter()
    cases = services.transfers_open(actor=out_official, members=people, to_unit=receiver, reason="Tốt nghiệp")
    assert all(isinstance(c, Case) for c in cases), [c for c in cases if not isinstance(c, Case)][:3]
    released = services.cases_bulk_act(
        actor=out_official,
        cases=cases,
        action="release",
        data={"remarks": "Tốt", "dues_paid_to": today.strftime("%m/%Y")},
    )
    accepted = services.cases_bulk_act(actor=in_official, cases=cases, action="accept", data={"branch": target.pk})
    value = time.perf_counter() - start
    assert all(r["ok"] for r in released + accepted)
    assert Member.objects.filter(pk__in=[m.pk for m in people], unit=target, status="active").count() == N
    baseline = raw_update_seconds("members_member", "unit_id", str(branch.pk), [m.pk for m in people])
    line("batch_transfer_1000_s", value, baseline)


def main() -> None:
    gen = Generator(seed=int(time.time()))
    for bench in (bench_admission, bench_transfer):
        try:
            with transaction.atomic():
                bench(gen)
                raise Rollback
        except Rollback:
            pass


if __name__ == "__main__":
    main()

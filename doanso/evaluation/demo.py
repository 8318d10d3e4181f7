"""Demo evaluation for An Giang: last year graded and locked everywhere; this year a round in
flight at the demo commune (login `xa`) and a few communes already approved.

Called by `seed_demo` after the demo tree, members and accounts exist:

    from doanso.evaluation import demo as evaluation_demo
    evaluation_demo.seed(today=timezone.localdate(), rnd=random.Random(2026))

This year, at the demo commune: the member login has self-assessed, every branch but the
`chidoan` login's has proposed its grades (so `chidoan` can try the bulk sheet), one branch is
approved (so `xa` can approve the rest at once, or see the refusal while `chidoan`'s is missing).
"""

from __future__ import annotations

import contextlib
import random
from datetime import date

from django.core.exceptions import ValidationError

from doanso.accounts.models import User
from doanso.members.choices import CURRENT_STATUSES
from doanso.members.models import Member
from doanso.organisations.choices import MEMBER_HOLDING_KINDS
from doanso.organisations.models import Unit

from . import services
from .bulk import grades_bulk_write
from .choices import Grade
from .selectors import GRASSROOTS_KINDS

JUSTIFICATION = "Chi đoàn thống nhất đề xuất: gương mẫu, tích cực trong các phong trào của Đoàn."


def _grade(rnd: random.Random) -> str:
    return rnd.choices([Grade.EXCELLENT, Grade.GOOD, Grade.DONE, Grade.FAILED], weights=[12, 58, 26, 4])[0]


def _propose_branch(actor, rnd_obj, branch: Unit, rnd: random.Random) -> int:
    rows = [
        {"member": m.pk, "grade": _grade(rnd), "justification": JUSTIFICATION}
        for m in Member.objects.filter(unit=branch, status__in=CURRENT_STATUSES).order_by("pk")
    ]
    if rows:
        services.sheet_submit(actor=actor, rnd=rnd_obj, branch=branch, rows=rows)
    return len(rows)


def seed(
    *, today: date, rnd: random.Random, province_username: str = "tinhdoan", commune_username: str = "xa",
    branch_username: str = "chidoan", other_communes: int = 3,
) -> dict[str, int]:  # fmt: skip
    """Add evaluation rounds and grades to the demo. Returns counts. Uses the services for this year."""
    province_actor = User.objects.select_related("unit", "role").get(username=province_username)
    commune_actor = User.objects.select_related("unit", "role").get(username=commune_username)
    branch_unit = User.objects.get(username=branch_username).unit
    province, commune = province_actor.unit, commune_actor.unit
    counts = {
        "last_year": grades_bulk_write(
            unit=province, year=today.year - 1, actor=province_actor, seed=rnd.randint(1, 10**6)
        )
    }

    # This year, the demo commune: a round in flight.
    current = services.round_open(actor=commune_actor, unit=commune, year=today.year)
    member = Member.objects.filter(account__isnull=False, unit__path__startswith=commune.path).first()
    if member is not None:
        services.self_assess(
            actor=member.account, grade=Grade.GOOD,
            text="Tham gia đầy đủ sinh hoạt chi đoàn, hoàn thành tốt nhiệm vụ học tập và công việc.",
        )  # fmt: skip
    branches = list(Unit.objects.filter(path__startswith=commune.path, kind__in=MEMBER_HOLDING_KINDS).order_by("code"))
    proposed = [b for b in branches if b.pk != branch_unit.pk]
    counts["proposed"] = sum(_propose_branch(commune_actor, current, b, rnd) for b in proposed)
    if proposed:
        services.round_approve(actor=commune_actor, rnd=current, branch=proposed[0])

    # A few other grassroots units of the province have finished: approved and locked.
    others = (
        Unit.objects.filter(path__startswith=province.path, kind__in=GRASSROOTS_KINDS, closed_on__isnull=True)
        .exclude(pk=commune.pk)
        .order_by("code")[:other_communes]
    )
    counts["approved"] = 0
    for unit in others:
        round_obj = services.round_open(actor=province_actor, unit=unit, year=today.year)
        for b in Unit.objects.filter(path__startswith=unit.path, kind__in=MEMBER_HOLDING_KINDS).order_by("code"):
            _propose_branch(province_actor, round_obj, b, rnd)
        # a branch without members keeps the round open: still a realistic demo
        with contextlib.suppress(ValidationError):
            counts["approved"] += services.round_approve(actor=province_actor, rnd=round_obj).approved
    return counts

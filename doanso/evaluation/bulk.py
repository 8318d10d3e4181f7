"""Write a whole subtree's approved grades in bulk (benchmarks, demo, export tests).

`grades_bulk_write(unit=…, year=…)` opens (and locks) a round for every grassroots unit under
`unit` that has none for the year, gives every current member without a grade that year an
approved grade (a realistic random mix), marks the sheets approved, and rebuilds the GradeStat
rollup of the subtree. COPY on PostgreSQL, bulk_create elsewhere. It runs inside the caller's
transaction: a benchmark wraps it in one and rolls back.
"""

from __future__ import annotations

import random
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from doanso.members.bulk import TableWriter
from doanso.members.choices import CURRENT_STATUSES
from doanso.members.models import Member, subtree_filter
from doanso.organisations.choices import MEMBER_HOLDING_KINDS
from doanso.organisations.models import Unit

from .choices import Grade, RoundState, SheetState, Stage
from .models import Evaluation, EvaluationRound, EvaluationSheet
from .selectors import GRASSROOTS_KINDS
from .services import stats_recount

# A usual year-end mix: HTXS, HTT, HT, KHT.
GRADE_WEIGHTS = ((Grade.EXCELLENT, 12), (Grade.GOOD, 58), (Grade.DONE, 26), (Grade.FAILED, 4))


def _actor(actor: Any, unit: Unit) -> Any:
    if actor is not None:
        return actor
    from doanso.accounts.models import User

    user = User.objects.filter(unit__isnull=False).order_by("pk").first()
    if user is None:
        raise ValueError("Cần ít nhất một tài khoản cán bộ để ghi người phê duyệt.")
    return user


def _pages(qs, size: int = 20000):
    """An id-ordered values_list (id first) in pages, each fetched whole: bounded memory."""
    last = 0
    while True:
        page = list(qs.filter(pk__gt=last).order_by("pk")[:size])
        if not page:
            return
        yield page
        last = page[-1][0]


@transaction.atomic
def grades_bulk_write(*, unit: Unit, year: int, actor: Any = None, seed: int = 1) -> int:
    """Approved grades for every ungraded current member of `unit`'s subtree for `year`. Returns rows written."""
    actor = _actor(actor, unit)
    rnd_gen = random.Random(seed)
    grades = [g for g, w in GRADE_WEIGHTS for _ in range(w)]
    now = timezone.now()
    grassroots = {
        u.pk: u
        for u in Unit.objects.filter(kind__in=GRASSROOTS_KINDS).filter(
            path__startswith=unit.path if unit.depth else "/"
        )
    }
    # a grassroots unit above `unit` (when `unit` is a branch or under one) holds its round too
    for u in Unit.objects.filter(pk__in=unit.ancestor_ids(), kind__in=GRASSROOTS_KINDS):
        grassroots[u.pk] = u
    have = set(
        EvaluationRound.objects.filter(year=year, unit_id__in=list(grassroots)).values_list("unit_id", flat=True)
    )
    EvaluationRound.objects.bulk_create(
        [
            EvaluationRound(
                unit_id=g, year=year, state=RoundState.LOCKED, opened_by=actor, locked_by=actor, locked_at=now
            )
            for g in grassroots
            if g not in have
        ],
        batch_size=2000,
    )
    round_of = dict(
        EvaluationRound.objects.filter(year=year, unit_id__in=list(grassroots)).values_list("unit_id", "id")
    )
    branches = Unit.objects.filter(kind__in=MEMBER_HOLDING_KINDS, path__startswith=unit.path).values_list("id", "path")
    branch_round: dict[int, int] = {}
    for bid, path in branches.iterator(chunk_size=5000):
        ids = [int(p) for p in path.strip("/").split("/")]
        holder = next((i for i in reversed(ids) if i in round_of), None)
        if holder is not None:
            branch_round[bid] = round_of[holder]
    EvaluationSheet.objects.bulk_create(
        [
            EvaluationSheet(round_id=r, branch_id=b, state=SheetState.APPROVED, approved_by=actor, approved_at=now)
            for b, r in branch_round.items()
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    graded = Evaluation.objects.filter(year=year).values("member_id")
    members = (
        Member.objects.filter(subtree_filter(unit), status__in=CURRENT_STATUSES)
        .exclude(pk__in=graded)
        .values_list("id", "unit_id", "unit_path")
    )
    empty: Any = []
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        empty = Jsonb([])
    columns = [
        "round_id", "member_id", "year", "branch_id", "unit_path", "stage", "proposed_grade", "grade", "unmet_conditions",
        "proposed_by_id", "proposed_at", "approved_by_id", "approved_at",
    ]  # fmt: skip
    written = 0
    # one page of members at a time, each written by its own COPY (the connection cannot read during COPY)
    for page in _pages(members):
        with TableWriter(Evaluation, columns, batch_size=5000) as out:
            for mid, bid, path in page:
                rid = branch_round.get(bid)
                if rid is not None:
                    g = rnd_gen.choice(grades)
                    out.write((rid, mid, year, bid, path, Stage.APPROVED, g, g, empty, actor.pk, now, actor.pk, now))
        written += out.rows
    stats_recount(year=year, unit=unit)
    return written

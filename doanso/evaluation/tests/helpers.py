"""Shared steps for the evaluation tests."""

from __future__ import annotations

from django.db.models import Count
from django.utils import timezone

from doanso.evaluation import services
from doanso.evaluation.choices import Stage
from doanso.evaluation.models import Evaluation, GradeStat
from doanso.members.models import Member


def year() -> int:
    return timezone.localdate().year


def open_round(cast, unit_key: str = "c11"):
    return services.round_open(actor=cast.users[unit_key], unit=cast.units[unit_key], year=year())


def branch_members(branch) -> list[Member]:
    return list(Member.objects.filter(unit=branch).order_by("sort_key", "id"))


def propose_all(cast, rnd, branch, grade: str = "good", actor=None):
    rows = [{"member": m.pk, "grade": grade} for m in branch_members(branch)]
    return services.sheet_submit(actor=actor or cast.users["c11"], rnd=rnd, branch=branch, rows=rows)


def recount() -> dict:
    """A fresh GROUP BY over the grade rows, keyed like the rollup."""
    fresh: dict = {}
    for stage, column in ((Stage.APPROVED, "grade"), (Stage.PROPOSED, "proposed_grade")):
        for r in (
            Evaluation.objects.filter(stage=stage)
            .values("branch_id", "year", column)
            .annotate(n=Count("id"))
            .order_by()
        ):
            fresh[(r["branch_id"], r["year"], stage, r[column])] = r["n"]
    return fresh


def rollup() -> dict:
    return {(s.branch_id, s.year, s.stage, s.grade): s.count for s in GradeStat.objects.all() if s.count}

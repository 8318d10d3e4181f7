"""Property: after any sequence of self-assess / propose / approve / correct operations (valid or
refused), the GradeStat rollup equals a fresh GROUP BY recount, and grade_counts agrees with it."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doanso.core.scope import ScopeError
from doanso.evaluation import selectors, services
from doanso.evaluation.choices import GRADES, Stage
from doanso.evaluation.models import Evaluation

from .helpers import branch_members, recount, rollup, year

pytestmark = pytest.mark.django_db

BRANCHES = ["b111", "b112", "b121"]
grade = st.sampled_from([*GRADES, "bogus"])
operation = st.one_of(
    st.tuples(st.just("self"), grade),
    st.tuples(st.just("propose"), st.sampled_from(BRANCHES), st.integers(0, 2), grade, st.booleans()),
    st.tuples(st.just("propose_all"), st.sampled_from(BRANCHES), grade),
    st.tuples(st.just("approve"), st.sampled_from([*BRANCHES, None])),
    st.tuples(st.just("correct"), st.integers(0, 8), grade),
)


class Rollback(Exception):
    pass


def run(cast, rounds, op) -> None:
    kind = op[0]
    grassroots = {"b111": "c11", "b112": "c11", "b121": "c12"}
    if kind == "self":
        services.self_assess(actor=cast.users["member_b111"], grade=op[1], text="Tự đánh giá")
    elif kind == "propose":
        _, b, i, g, justified = op
        m = branch_members(cast.units[b])[i]
        row = {"member": m.pk, "grade": g, "justification": "Chi đoàn thống nhất đề xuất." if justified else ""}
        services.sheet_submit(
            actor=cast.users[grassroots[b]], rnd=rounds[grassroots[b]], branch=cast.units[b], rows=[row]
        )
    elif kind == "propose_all":
        _, b, g = op
        rows = [{"member": m.pk, "grade": g, "justification": "Đồng ý"} for m in branch_members(cast.units[b])]
        services.sheet_submit(
            actor=cast.users[grassroots[b]], rnd=rounds[grassroots[b]], branch=cast.units[b], rows=rows
        )
    elif kind == "approve":
        b = op[1]
        key = grassroots[b] if b else "c11"
        services.round_approve(actor=cast.users[key], rnd=rounds[key], branch=cast.units[b] if b else None)
    elif kind == "correct":
        approved = list(Evaluation.objects.filter(stage=Stage.APPROVED).order_by("pk"))
        if approved:
            ev = approved[op[1] % len(approved)]
            services.grade_correct(
                actor=cast.users["c11"] if ev.unit_path.startswith(cast.c11.path) else cast.users["c12"],
                evaluation=ev, grade=op[2], reason="Đính chính theo biên bản", justification="Có giải trình đầy đủ",
            )  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=12))
def test_rollup_equals_a_fresh_recount(cast, ops):
    try:
        with transaction.atomic():
            rounds = {
                key: services.round_open(actor=cast.users[key], unit=cast.units[key], year=year())
                for key in ("c11", "c12")
            }
            for op in ops:
                try:
                    with transaction.atomic():
                        run(cast, rounds, op)
                except (ValidationError, ScopeError):
                    pass  # a refused operation must leave everything as it was
                assert rollup() == recount(), op
            for stage in ("approved", "proposed"):
                counts = selectors.grade_counts(actor=cast.users["p1"], unit=cast.p1, year=year(), stage=stage)
                column = "grade" if stage == "approved" else "proposed_grade"
                fresh = {g: Evaluation.objects.filter(stage=stage, **{column: g}).count() for g in GRADES}
                assert counts["total"] == fresh
                assert sum(sum(c.values()) for _, c in counts["children"]) == sum(fresh.values())
            raise Rollback
    except Rollback:
        pass

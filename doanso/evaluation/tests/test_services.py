"""The evaluation services, directly: open, self-assess, propose in bulk, approve and lock, correct."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from doanso.core.models import AuditEvent
from doanso.core.scope import ScopeError
from doanso.evaluation import selectors, services
from doanso.evaluation.choices import RoundState, SheetState, Stage
from doanso.evaluation.models import Evaluation, EvaluationRound, EvaluationSheet, GradeCorrection
from doanso.procedures.models import ActivityMonth, Distinction

from .helpers import branch_members, open_round, propose_all, recount, rollup, year

pytestmark = pytest.mark.django_db


def test_open_round_creates_a_sheet_per_branch(cast):
    rnd = open_round(cast)
    assert rnd.state == RoundState.OPEN and rnd.year == year()
    assert set(EvaluationSheet.objects.filter(round=rnd).values_list("branch_id", flat=True)) == {
        cast.b111.pk,
        cast.b112.pk,
    }
    assert AuditEvent.objects.filter(target_type="evaluation.evaluationround", target_id=rnd.pk).count() == 1


def test_open_round_refusals(cast):
    open_round(cast)
    with pytest.raises(ValidationError) as exc:
        open_round(cast)  # one round per unit and year
    assert "đã có đợt đánh giá" in exc.value.message_dict["year"][0]
    with pytest.raises(ValidationError) as exc:
        services.round_open(actor=cast.users["p1"], unit=cast.p1, year=year())  # not a grassroots unit
    assert "Đoàn cơ sở" in exc.value.message_dict["unit"][0]
    with pytest.raises(ValidationError) as exc:
        services.round_open(actor=cast.users["c12"], unit=cast.c12, year=year() + 1)
    assert "Năm đánh giá" in exc.value.message_dict["year"][0]
    with pytest.raises(ScopeError):
        services.round_open(actor=cast.users["c21"], unit=cast.c12, year=year())  # another province
    with pytest.raises(ScopeError):
        services.round_open(actor=cast.users["b111"], unit=cast.c11, year=year())  # a branch, upwards
    assert EvaluationRound.objects.count() == 1


def test_self_assessment_by_the_member(cast):
    rnd = open_round(cast)
    ev = services.self_assess(actor=cast.users["member_b111"], grade="HTT", text="Hoàn thành tốt công việc được giao.")
    assert (ev.round, ev.stage, ev.self_grade, ev.branch) == (rnd, Stage.SELF_ASSESSED, "good", cast.b111)
    # the rollup counts proposals and approvals, not self-assessments
    assert rollup() == {}
    with pytest.raises(ValidationError) as exc:
        services.self_assess(actor=cast.users["member_b111"], grade="A+", text="x")
    assert "HTXS, HTT, HT hoặc KHT" in exc.value.message_dict["grade"][0]
    with pytest.raises(ScopeError):
        services.self_assess(actor=cast.users["c11"], grade="good", text="Không phải đoàn viên")
    ev.refresh_from_db()
    assert ev.self_grade == "good"


def test_self_assessment_needs_an_open_round(cast):
    with pytest.raises(ValidationError) as exc:
        services.self_assess(actor=cast.users["member_b111"], grade="good", text="Tốt")
    assert "Chưa có đợt đánh giá" in exc.value.messages[0]
    assert Evaluation.objects.count() == 0


def test_sheet_defaults_come_from_self_assessment_then_last_year(cast):
    rnd = open_round(cast)
    services.self_assess(actor=cast.users["member_b111"], grade="excellent", text="Xuất sắc")
    other = branch_members(cast.b111)[1]
    last = services.round_open(actor=cast.users["c11"], unit=cast.c11, year=year() - 1)
    propose_all(cast, last, cast.b111, "done")
    propose_all(cast, last, cast.b112, "done")
    services.round_approve(actor=cast.users["c11"], rnd=last)
    sheet = selectors.sheet_get(actor=cast.users["b111"], rnd=rnd, branch=cast.b111)
    rows = {r.member.pk: r for r in sheet.rows}
    assert (
        rows[cast.members["member_b111"].pk].default_grade,
        rows[cast.members["member_b111"].pk].default_source,
    ) == ("excellent", "self")
    assert (rows[other.pk].default_grade, rows[other.pk].default_source) == ("done", "last_year")
    assert sheet.missing == 3


def test_bulk_propose_is_atomic_and_reports_per_row(cast):
    rnd = open_round(cast)
    members = branch_members(cast.b111)
    outsider = branch_members(cast.b211)[0]
    rows = [
        {"member": members[0].pk, "grade": "good"},
        {"member": members[1].pk, "grade": "brilliant"},
        {"member": outsider.pk, "grade": "good"},
    ]
    with pytest.raises(ValidationError) as exc:
        services.sheet_submit(actor=cast.users["b111"], rnd=rnd, branch=cast.b111, rows=rows)
    errors = exc.value.message_dict
    assert "HTXS, HTT, HT hoặc KHT" in errors[f"member_{members[1].pk}"][0]
    assert "không thuộc danh sách" in errors[f"member_{outsider.pk}"][0]
    assert Evaluation.objects.count() == 0 and rollup() == {}
    result = services.sheet_submit(
        actor=cast.users["b111"], rnd=rnd, branch=cast.b111,
        rows=[{"member": m.pk, "grade": g} for m, g in zip(members, ["HTT", "done", "failed"], strict=True)],
    )  # fmt: skip
    assert result.saved == 3 and result.counts == {"excellent": 0, "good": 1, "done": 1, "failed": 1}
    assert rollup() == recount() and sum(rollup().values()) == 3


def test_htxs_failing_a_condition_needs_a_justification(cast):
    rnd = open_round(cast)
    m = branch_members(cast.b111)[0]
    row = {"member": m.pk, "grade": "excellent"}
    with pytest.raises(ValidationError) as exc:
        services.sheet_submit(actor=cast.users["b111"], rnd=rnd, branch=cast.b111, rows=[row])
    message = exc.value.message_dict[f"member_{m.pk}"][0]
    assert "Chưa có số liệu sinh hoạt" in message and "giải trình" in message
    assert not Evaluation.objects.exists()
    row["justification"] = "Đạt giải nhất hội thi cấp tỉnh, được chi đoàn thống nhất."
    services.sheet_submit(actor=cast.users["b111"], rnd=rnd, branch=cast.b111, rows=[row])
    ev = Evaluation.objects.get(member=m)
    assert ev.proposed_grade == "excellent" and ev.unmet_conditions


def test_htxs_conditions_read_attendance_programme_and_discipline(cast):
    m = branch_members(cast.b111)[0]
    y = year()
    rules = selectors.round_rules(y)
    for month in range(1, 11):
        ActivityMonth.objects.create(
            member=m, month=date(y, month, 1), attended=month != 5, recorded_by=cast.users["b111"]
        )
    inputs = selectors.member_inputs(year=y, member_ids=[m.pk])[m.pk]
    assert inputs.attendance_percent == 90
    unmet = selectors.htxs_unmet_conditions(inputs, rules)
    assert len(unmet) == 1 and "rèn luyện" in unmet[0]  # attendance passes, the programme is missing
    inputs.programme = "excellent"
    assert selectors.htxs_unmet_conditions(inputs, rules) == []
    Distinction.objects.create(
        member=m, kind="discipline", form="reprimand", decision_number="1/KL", decided_on=date(y, 1, 5),
        issuing_unit=cast.c11, reason="Vắng sinh hoạt", recorded_by=cast.users["c11"],
    )  # fmt: skip
    inputs = selectors.member_inputs(year=y, member_ids=[m.pk])[m.pk]
    inputs.programme = "excellent"
    assert "kỷ luật" in selectors.htxs_unmet_conditions(inputs, rules)[0]


def test_cap_warning_is_a_warning_not_a_block(cast):
    rnd = open_round(cast)
    rows = [
        {"member": m.pk, "grade": "excellent", "justification": "Chi đoàn thống nhất đề xuất."}
        for m in branch_members(cast.b111)
    ]
    result = services.sheet_submit(actor=cast.users["b111"], rnd=rnd, branch=cast.b111, rows=rows)
    assert result.saved == 3 and "vượt quá 20%" in result.warning


def test_approve_unfinished_branch_is_refused_with_the_count(cast):
    rnd = open_round(cast)
    members = branch_members(cast.b111)
    services.sheet_submit(
        actor=cast.users["b111"], rnd=rnd, branch=cast.b111, rows=[{"member": members[0].pk, "grade": "good"}]
    )
    with pytest.raises(ValidationError) as exc:
        services.round_approve(actor=cast.users["c11"], rnd=rnd, branch=cast.b111)
    assert "còn 2 đoàn viên chưa được chi đoàn đề xuất" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        services.round_approve(actor=cast.users["c11"], rnd=rnd)
    assert "còn 5 đoàn viên" in exc.value.messages[0]
    assert Evaluation.objects.filter(stage=Stage.APPROVED).count() == 0
    assert not EvaluationSheet.objects.filter(state=SheetState.APPROVED).exists()


def test_approve_one_branch_then_all_locks_the_round(cast):
    rnd = open_round(cast)
    propose_all(cast, rnd, cast.b111, "good")
    result = services.round_approve(actor=cast.users["c11"], rnd=rnd, branch=cast.b111)
    assert result.approved == 3 and not result.locked
    assert rollup() == recount()
    with pytest.raises(ValidationError):  # an approved branch is immutable
        propose_all(cast, rnd, cast.b111, "done")
    with pytest.raises(ScopeError):  # the branch cannot approve itself
        services.round_approve(actor=cast.users["b111"], rnd=rnd, branch=cast.b112)
    propose_all(cast, rnd, cast.b112, "done")
    result = services.round_approve(actor=cast.users["c11"], rnd=rnd)
    rnd.refresh_from_db()
    assert result.approved == 3 and result.locked and rnd.state == RoundState.LOCKED
    assert set(Evaluation.objects.values_list("grade", flat=True)) == {"good", "done"}
    assert rollup() == recount()
    counts = selectors.grade_counts(actor=cast.users["p1"], unit=cast.p1, year=year())
    assert counts["total"] == {"excellent": 0, "good": 3, "done": 3, "failed": 0}
    assert {u.code: c["good"] for u, c in counts["children"]} == {cast.c11.code: 3, cast.c12.code: 0}


def test_a_locked_round_is_immutable(cast):
    rnd = open_round(cast)
    propose_all(cast, rnd, cast.b111)
    propose_all(cast, rnd, cast.b112)
    services.round_approve(actor=cast.users["c11"], rnd=rnd)
    before = rollup()
    with pytest.raises(ValidationError) as exc:
        propose_all(cast, rnd, cast.b111, "failed")
    assert "đã được phê duyệt và khóa" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        services.round_approve(actor=cast.users["c11"], rnd=rnd)
    with pytest.raises(ValidationError):
        services.self_assess(actor=cast.users["member_b111"], grade="failed", text="Sửa lại")
    assert rollup() == before and not Evaluation.objects.exclude(grade="good").exists()


def test_correction_reopens_one_grade_with_history(cast):
    rnd = open_round(cast)
    propose_all(cast, rnd, cast.b111)
    propose_all(cast, rnd, cast.b112)
    services.round_approve(actor=cast.users["c11"], rnd=rnd)
    ev = Evaluation.objects.get(member=cast.members["member_b111"])
    with pytest.raises(ValidationError) as exc:
        services.grade_correct(actor=cast.users["c11"], evaluation=ev, grade="done", reason="")
    assert "Lý do" in exc.value.message_dict["reason"][0]
    with pytest.raises(ScopeError):
        services.grade_correct(actor=cast.users["c21"], evaluation=ev, grade="done", reason="Nhầm lẫn khi nhập")
    with pytest.raises(ScopeError):  # a branch official does not correct an approved grade
        services.grade_correct(actor=cast.users["b111"], evaluation=ev, grade="done", reason="Nhầm lẫn khi nhập")
    services.grade_correct(actor=cast.users["c11"], evaluation=ev, grade="done", reason="Nhầm lẫn khi tổng hợp")
    ev.refresh_from_db()
    fix = GradeCorrection.objects.get(evaluation=ev)
    assert (ev.grade, fix.old_grade, fix.new_grade, fix.actor) == ("done", "good", "done", cast.users["c11"])
    assert rollup() == recount()
    assert AuditEvent.objects.filter(target_id=ev.pk, action="correct", note="Nhầm lẫn khi tổng hợp").exists()


def test_member_transferred_mid_year_is_graded_by_the_holding_unit(cast):
    from doanso.procedures import services as procedures

    rnd = open_round(cast)
    m = cast.members["member_b111"]
    services.self_assess(actor=cast.users["member_b111"], grade="good", text="Tốt")
    case = procedures.transfer_open(actor=cast.users["c11"], member=m, to_unit=cast.c12, reason="Chuyển nơi ở")
    procedures.case_act(
        actor=cast.users["c11"], case=case, action="release",
        data={"remarks": "Nhiệt tình, gương mẫu", "dues_paid_to": date.today().strftime("%m/%Y")},
    )  # fmt: skip
    procedures.case_act(actor=cast.users["c12"], case=case, action="accept", data={"branch": cast.b121.pk})
    other = open_round(cast, "c12")
    sheet = selectors.sheet_get(actor=cast.users["c12"], rnd=other, branch=cast.b121)
    row = next(r for r in sheet.rows if r.member.pk == m.pk)
    assert row.default_grade == "good" and row.default_source == "self"
    assert row.inputs.transfer_remarks[0]["remarks"] == "Nhiệt tình, gương mẫu"
    assert row.inputs.transfer_remarks[0]["unit"] == cast.c11.name
    rows = [{"member": r.member.pk, "grade": "good"} for r in sheet.rows]
    services.sheet_submit(actor=cast.users["c12"], rnd=other, branch=cast.b121, rows=rows)
    ev = Evaluation.objects.get(member=m)
    assert (ev.round, ev.branch) == (other, cast.b121)
    assert rollup() == recount()
    # the old unit grades the two left, and does not miss the one who left
    propose_all(cast, rnd, cast.b111)
    propose_all(cast, rnd, cast.b112)
    assert services.round_approve(actor=cast.users["c11"], rnd=rnd).approved == 5

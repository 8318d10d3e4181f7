"""The one transition engine on many cases: set-based writes, refusals that leave nothing, the fallback."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError

from doanso.core.models import AuditEvent
from doanso.members.models import Member, MemberStat, MemberStatusRecord, MemberUnitChange
from doanso.members.services import member_change_status, stats_recount
from doanso.procedures import services
from doanso.procedures.models import Case, CaseStep, CaseSubject, Notification, Youth
from doanso.procedures.tests.test_admission import approve_data, register, vote

pytestmark = pytest.mark.django_db
TODAY = date.today()


def rollup():
    return {(s.unit_id, s.status): s.count for s in MemberStat.objects.exclude(count=0)}


def voted_cases(cast, names, meeting_on=TODAY):
    cases = []
    for name in names:
        y = register(cast, name)
        c = services.admission_open(actor=cast.users["b111"], unit=cast.b111, youths=[y])
        data = {**vote(c, {y.pk: 9}), "meeting_on": meeting_on}
        cases.append(services.case_act(actor=cast.users["b111"], case=c, action="vote", data=data))
    return cases


def test_a_refused_case_in_a_batch_leaves_nothing_and_the_others_are_approved(cast):
    ok1, ok2 = voted_cases(cast, ["Đinh Thị Một", "Đinh Thị Hai"], meeting_on=TODAY - timedelta(days=5))
    # A candidate whose citizen ID was registered meanwhile cannot become a member: her case is refused whole.
    late = voted_cases(cast, ["Đinh Thị Ba"], meeting_on=TODAY - timedelta(days=5))[0]
    taken = Youth.objects.get(subjects__case=late)
    Member.objects.filter(pk=cast.m_b112_1.pk).update(citizen_id=taken.citizen_id)
    steps_before = CaseStep.objects.filter(case=late).count()
    results = services.cases_bulk_act(
        actor=cast.users["c11"], cases=[ok1, late, ok2], action="approve", data=approve_data()
    )
    assert [r["ok"] for r in results] == [True, False, True]
    assert "CCCD" in results[1]["message"]
    late.refresh_from_db()
    assert late.state == "branch_approved" and late.is_open and late.version == 2
    assert CaseStep.objects.filter(case=late).count() == steps_before
    assert CaseSubject.objects.get(case=late).result == "passed"
    for case in (ok1, ok2):
        case.refresh_from_db()
        assert case.state == "approved" and not case.is_open
        member = Member.objects.get(pk=case.data["members"][0])
        assert member.card_number == f"{TODAY:%Y}{member.pk:08d}"
        assert Youth.objects.get(subjects__case=case).member == member
        assert MemberStatusRecord.objects.filter(member=member, status="active").count() == 1
        assert AuditEvent.objects.filter(target_type="members.member", target_id=member.pk, action="create").exists()
        assert AuditEvent.objects.filter(target_type="procedures.case", target_id=case.pk, action="approve").exists()
    before = rollup()
    stats_recount()
    assert rollup() == before


def test_a_write_conflict_in_the_set_based_path_falls_back_to_one_case_at_a_time(cast, monkeypatch):
    cases = voted_cases(cast, ["Kiều Văn Một", "Kiều Văn Hai"])
    real = services.members_insert
    calls = []

    def conflicting(**kwargs):
        calls.append(len(kwargs["prepared"]))
        if len(calls) == 1:
            raise IntegrityError("duplicate key value violates unique constraint")
        return real(**kwargs)

    monkeypatch.setattr(services, "members_insert", conflicting)
    results = services.cases_bulk_act(actor=cast.users["c11"], cases=cases, action="approve", data=approve_data())
    assert [r["ok"] for r in results] == [True, True]
    assert calls == [2, 1, 1]  # the batch, then each case on its own
    assert Member.objects.filter(full_name__startswith="Kiều Văn").count() == 2


def test_batch_transfer_opens_each_and_refuses_only_who_cannot_go(cast):
    gone = cast.m_b111_0
    member_change_status(actor=cast.users["c11"], member=gone, status="removed", effective_on=TODAY,
                                  reason="Bỏ sinh hoạt")  # fmt: skip
    members = [cast.m_b111_1, gone, cast.m_b111_2]
    outcomes = services.transfers_open(actor=cast.users["c11"], members=members, to_unit=cast.c21, reason="Tốt nghiệp")
    assert isinstance(outcomes[0], Case) and isinstance(outcomes[2], Case)
    assert "không ở trạng thái đang sinh hoạt" in " ".join(outcomes[1].messages)
    assert not CaseSubject.objects.filter(member=gone, kind="transfer").exists()
    assert Notification.objects.filter(unit=cast.c11, case__in=[outcomes[0], outcomes[2]]).count() == 2
    # Opening again for the same member is refused while the first transfer is open.
    again = services.transfers_open(actor=cast.users["c11"], members=[cast.m_b111_1], to_unit=cast.c21)
    assert "chưa xong" in " ".join(again[0].messages)
    # Release both at once, the receiver places both at once: in transit, then active in its branch.
    data = {"remarks": "Tốt", "dues_paid_to": TODAY.strftime("%m/%Y")}
    opened = [outcomes[0], outcomes[2]]
    assert all(
        r["ok"] for r in services.cases_bulk_act(actor=cast.users["c11"], cases=opened, action="release", data=data)
    )
    assert set(Member.objects.filter(pk__in=[cast.m_b111_1.pk, cast.m_b111_2.pk]).values_list("status", flat=True)) == {
        "in_transit"
    }
    results = services.cases_bulk_act(
        actor=cast.users["c21"], cases=opened, action="accept", data={"branch": cast.b211.pk}
    )
    assert all(r["ok"] for r in results)
    for m in (cast.m_b111_1, cast.m_b111_2):
        m.refresh_from_db()
        assert m.unit == cast.b211 and m.status == "active"
        assert MemberUnitChange.objects.get(member=m, to_unit=cast.b211).reason.startswith("Chuyển sinh hoạt")
    before = rollup()
    stats_recount()
    assert rollup() == before


def test_batch_direct_move_inside_the_commune(cast):
    outcomes = services.transfers_open(actor=cast.users["c11"], members=[cast.m_b111_1, cast.m_b111_2],
                                       to_unit=cast.b112)  # fmt: skip
    assert all(c.state == "placed" and not c.is_open for c in outcomes)
    assert Member.objects.filter(unit=cast.b112, pk__in=[cast.m_b111_1.pk, cast.m_b111_2.pk]).count() == 2
    # A sibling commune's official cannot move them back.
    refused = services.transfers_open(actor=cast.users["c12"], members=[cast.m_b111_1], to_unit=cast.b111)
    assert "ngoài phạm vi" in str(refused[0])

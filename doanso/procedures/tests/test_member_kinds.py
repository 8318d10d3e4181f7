"""Ageing out, staying on past the age, working away and removal on the same case mechanism."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from doanso.core.models import RuleSet
from doanso.core.scope import ScopeError
from doanso.members.models import Member, MemberStatusRecord
from doanso.procedures import services
from doanso.procedures.models import ActivityMonth, AwayPeriod, Notification

pytestmark = pytest.mark.django_db
TODAY = date.today()


def age(member, years: int, days: int = 10) -> Member:
    born = (
        TODAY.replace(year=TODAY.year - years) - timedelta(days=days)
        if not (TODAY.month == 2 and TODAY.day == 29)
        else TODAY - timedelta(days=365 * years + 20)
    )
    Member.objects.filter(pk=member.pk).update(date_of_birth=born)
    member.refresh_from_db()
    return member


def months_back(n: int) -> date:
    total = TODAY.year * 12 + TODAY.month - 1 - n
    return date(total // 12, total % 12 + 1, 1)


def test_ageing_out_lists_due_members_and_the_branch_confirms(cast):
    old, official, young = age(cast.m_b111_0, 30), age(cast.m_b111_1, 31), cast.m_b111_2
    Member.objects.filter(pk=official.pk).update(is_full_time_official=True)
    due = services.ageing_out_due(unit=cast.c11)
    assert old in due and official not in due and young not in due
    with pytest.raises(ValidationError, match="chưa đến tuổi"):
        services.member_case_open(actor=cast.users["b111"], kind="ageing_out", members=[young])
    case = services.member_case_open(actor=cast.users["b111"], kind="ageing_out", members=[old])
    with pytest.raises(ScopeError):
        services.case_act(actor=cast.users["c12"], case=case, action="confirm", data={"ceremony_on": TODAY})
    services.case_act(
        actor=cast.users["b111"], case=case, action="confirm", data={"ceremony_on": TODAY.strftime("%d/%m/%Y")}
    )
    old.refresh_from_db()
    assert old.status == "aged_out" and old.status_since == TODAY
    assert MemberStatusRecord.objects.filter(member=old, status="aged_out").exists()


def test_the_rule_set_moves_the_age_and_an_extension_keeps_a_member(cast):
    m = age(cast.m_b111_0, 30)
    RuleSet.objects.create(effective_from=TODAY - timedelta(days=1), values={"ageing_out_age": 31})
    assert m not in services.ageing_out_due(unit=cast.b111)
    RuleSet.objects.create(effective_from=TODAY, values={"ageing_out_age": 30})
    assert m in services.ageing_out_due(unit=cast.b111)
    case = services.member_case_open(
        actor=cast.users["b111"],
        kind="age_extension",
        members=[m],
        data={"until": (TODAY + timedelta(days=400)).strftime("%d/%m/%Y")},
    )
    with pytest.raises(ValidationError):
        services.member_case_open(
            actor=cast.users["b111"], kind="age_extension", members=[cast.m_b111_1], data={"until": "01/01/2099"}
        )
    services.case_act(actor=cast.users["b111"], case=case, action="grant", data={})
    assert m not in services.ageing_out_due(unit=cast.b111)


def test_removal_is_proposed_from_missed_months_and_away_time_is_exempt(cast):
    m, away = cast.m_b111_0, cast.m_b111_1
    rows = {m.pk: (False, False), away.pk: (False, False), cast.m_b111_2.pk: (True, True)}
    for n in (1, 2, 3):
        services.activity_record(actor=cast.users["b111"], unit=cast.b111, month=months_back(n), rows=rows)
    assert ActivityMonth.objects.count() == 9
    trip = services.member_case_open(
        actor=cast.users["b111"], kind="working_away", members=[away],
        data={"starts_on": months_back(4).strftime("%d/%m/%Y"), "ends_on": (months_back(4) + timedelta(days=300)).strftime("%d/%m/%Y")},
    )  # fmt: skip
    services.case_act(actor=cast.users["b111"], case=trip, action="approve", data={})
    assert AwayPeriod.objects.filter(member=away).exists()
    candidates = dict(services.removal_candidates(unit=cast.c11))
    assert candidates.get(m) == 3 and away not in candidates
    with pytest.raises(ValidationError, match="mới bỏ sinh hoạt"):
        services.member_case_open(actor=cast.users["b111"], kind="removal", members=[away])
    case = services.member_case_open(actor=cast.users["b111"], kind="removal", members=[m])
    m.refresh_from_db()
    assert m.status == "active"  # never removed automatically
    services.case_act(
        actor=cast.users["b111"], case=case, action="decide", data={"meeting_on": TODAY, "note": "3 tháng"}
    )
    m.refresh_from_db()
    assert m.status == "removed"
    assert Notification.objects.filter(unit=cast.c11, case=case).exists()  # the superior is told


def test_working_away_period_is_capped_by_the_rule_set(cast):
    with pytest.raises(ValidationError, match="tối đa 12 tháng"):
        services.member_case_open(
            actor=cast.users["b111"], kind="working_away", members=[cast.m_b111_0],
            data={"starts_on": "01/01/2026", "ends_on": "02/01/2027"},
        )  # fmt: skip
    case = services.member_case_open(
        actor=cast.users["b111"], kind="working_away", members=[cast.m_b111_0],
        data={"starts_on": "01/01/2026", "ends_on": "31/12/2026"},
    )  # fmt: skip
    services.case_act(actor=cast.users["b111"], case=case, action="approve", data={})
    case = services.case_act(actor=cast.users["b111"], case=case, action="return", data={"returned_on": "01/06/2026"})
    assert case.state == "returned" and AwayPeriod.objects.get(case=case).returned_on == date(2026, 6, 1)


def test_pages_for_branch_work(cast, client):
    age(cast.m_b111_0, 30)
    client.force_login(cast.users["b111"])
    page = client.get(reverse("member_case_open", args=["truong-thanh"]) + f"?unit={cast.b111.pk}").content.decode()
    assert cast.m_b111_0.full_name in page and cast.m_b111_2.full_name not in page
    response = client.post(
        reverse("member_case_open", args=["truong-thanh"]) + f"?unit={cast.b111.pk}", {"member": [cast.m_b111_0.pk]}
    )
    assert response.status_code == 302
    month = months_back(1).strftime("%Y-%m")
    response = client.post(
        reverse("activity_month") + f"?unit={cast.b111.pk}&month={month}", {f"att_{cast.m_b111_1.pk}": "on"}
    )
    assert response.status_code == 302
    row = ActivityMonth.objects.get(member=cast.m_b111_1)
    assert row.attended and not row.dues_paid
    client.force_login(cast.users["c12"])
    assert client.get(reverse("activity_month") + f"?unit={cast.b111.pk}").status_code == 404

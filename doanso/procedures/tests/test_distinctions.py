"""Rewards, discipline by secret ballot, and honorary members."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from doanso.core.scope import ScopeError
from doanso.members.models import Member
from doanso.procedures import services
from doanso.procedures.models import Distinction, Honorary

pytestmark = pytest.mark.django_db
TODAY = date.today()


def test_reward_is_recorded_by_the_issuing_unit(cast):
    row = services.reward_record(
        actor=cast.users["c11"], member=cast.m_b111_1, form="certificate", decision_number="15-QĐ/ĐTN",
        decided_on=TODAY.strftime("%d/%m/%Y"), reason="Xuất sắc trong chiến dịch Mùa hè xanh",
    )  # fmt: skip
    assert row.issuing_unit == cast.c11
    with pytest.raises(ScopeError):
        services.reward_record(
            actor=cast.users["c12"],
            member=cast.m_b111_1,
            form="certificate",
            decision_number="1",
            decided_on=TODAY,
            reason="x",
        )
    with pytest.raises(ValidationError):
        services.reward_record(
            actor=cast.users["c11"],
            member=cast.m_b111_1,
            form="huy chương",
            decision_number="",
            decided_on=TODAY,
            reason="",
        )
    assert Distinction.objects.count() == 1


def test_expulsion_by_secret_ballot_changes_the_status(cast):
    m = cast.m_b111_1
    case = services.discipline_open(
        actor=cast.users["c11"], member=m, form="expulsion", reason="Vi phạm pháp luật nghiêm trọng"
    )
    with pytest.raises(ValidationError, match="không hợp lệ"):
        services.case_act(
            actor=cast.users["c11"], case=case, action="ballot", data={"present": 9, "for": 8, "against": 3}
        )
    case = services.case_act(
        actor=cast.users["c11"], case=case, action="ballot", data={"present": 9, "for": 7, "against": 2}
    )
    assert case.state == "voted"
    services.case_act(
        actor=cast.users["c11"], case=case, action="decide", data={"decision_number": "3-QĐ/ĐTN", "decision_on": TODAY}
    )
    m.refresh_from_db()
    assert m.status == "expelled"
    assert Distinction.objects.get(member=m).form == "expulsion"


def test_discipline_rules(cast):
    m = cast.m_b111_1
    with pytest.raises(ValidationError, match="chỉ áp dụng"):
        services.discipline_open(actor=cast.users["c11"], member=m, form="dismissal", reason="x")
    with pytest.raises(ValidationError, match="từ 1 đến 3 tháng"):
        services.discipline_open(actor=cast.users["c11"], member=m, form="suspension", reason="x", months=4)
    case = services.discipline_open(
        actor=cast.users["c11"], member=m, form="suspension", reason="Bỏ sinh hoạt", months=2
    )
    case = services.case_act(actor=cast.users["c11"], case=case, action="ballot", data={"present": 10, "for": 5})
    assert case.state == "not_passed"  # 5 of 10 is not more than half
    assert not Distinction.objects.exists()


def test_honorary_member_recognised_by_the_province(cast):
    case = services.honorary_nominate(
        actor=cast.users["c11"], unit=cast.c11,
        data={"full_name": "Trần Văn Cựu", "date_of_birth": "12/05/1960", "contribution": "Nhiều năm giúp đỡ phong trào thanh niên xã"},
    )  # fmt: skip
    assert case.deciding_unit == cast.p1
    with pytest.raises(ScopeError):
        services.case_act(
            actor=cast.users["c11"], case=case, action="recognise", data={"decision_number": "1", "decision_on": TODAY}
        )
    services.case_act(
        actor=cast.users["p1"],
        case=case,
        action="recognise",
        data={"decision_number": "99-QĐ/TĐTN", "decision_on": TODAY},
    )
    assert Honorary.objects.get().full_name == "Trần Văn Cựu"


def test_honorary_for_a_member_sets_the_flag_and_shows_on_the_record(cast, client):
    m = cast.m_b111_2
    case = services.honorary_nominate(
        actor=cast.users["c11"],
        unit=cast.c11,
        data={"full_name": m.full_name, "citizen_id": m.citizen_id, "contribution": "Gương mẫu"},
    )
    services.case_act(
        actor=cast.users["p1"], case=case, action="recognise", data={"decision_number": "5", "decision_on": TODAY}
    )
    assert Member.objects.get(pk=m.pk).is_honorary
    client.force_login(cast.users["c11"])
    assert "Đoàn viên danh dự" in client.get(reverse("member_detail", args=[m.pk])).content.decode()

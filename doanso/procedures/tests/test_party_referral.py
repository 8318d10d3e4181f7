"""Outstanding members referred to the Party (đoàn viên ưu tú) on the case mechanism."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from doanso.core.models import AuditEvent, RuleSet
from doanso.core.scope import ScopeError
from doanso.members.models import Member
from doanso.procedures import referral, selectors, services
from doanso.procedures.models import Case, CaseStep, Notification

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def ago(days: int) -> date:
    """A past day within this year (so the yearly counts do not depend on the day the tests run)."""
    return max(TODAY - timedelta(days=days), date(TODAY.year, 1, 1))


def d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def nominate(cast, member=None, on=None):
    return referral.referral_nominate(
        actor=cast.users["b111"], member=member or cast.m_b111_0, meeting_on=d(on or ago(60)),
        resolution="Nghị quyết chi đoàn số 05",
    )  # fmt: skip


def walk_to_admitted(cast, case, certificate_on=None):
    c11 = cast.users["c11"]
    services.case_act(
        actor=c11, case=case, action="introduce",
        data={"introduced_on": d(ago(50)), "party_cell": "Chi bộ ấp Mỹ Hòa 1"},
    )  # fmt: skip
    services.case_act(
        actor=c11, case=case, action="course",
        data={"certificate_number": "NT-123", "certificate_on": d(certificate_on or ago(40))},
    )  # fmt: skip
    return services.case_act(
        actor=c11, case=case, action="admit", data={"admitted_on": d(ago(20)), "decision_number": "45-QĐ/ĐU"}
    )


def backdate(case, days: int):
    at = timezone.now() - timedelta(days=days)
    CaseStep.objects.filter(case=case).update(at=at)


def test_happy_path_end_to_end_writes_the_party_date_with_history(cast):
    member = cast.m_b111_0
    case = nominate(cast)
    assert case.state == "nominated" and case.deciding_unit == cast.c11 and case.origin_unit == cast.b111
    assert "chưa có kết quả xếp loại" in case.data["warning"]  # warned, not blocked
    assert Notification.objects.filter(unit=cast.c11, case=case).exists()
    case = walk_to_admitted(cast, case)
    assert case.state == "probationary" and case.is_open
    case = services.case_act(
        actor=cast.users["c11"], case=case, action="confirm", data={"official_on": d(TODAY), "decision_number": "9"}
    )
    assert case.state == "official" and not case.is_open
    member.refresh_from_db()
    assert member.party_joined_on == ago(20)
    event = AuditEvent.objects.filter(target_type="members.member", target_id=member.pk, action="update").last()
    assert "party_joined_on" in event.changes and event.actor == cast.users["c11"]
    assert list(case.steps.values_list("action", flat=True)) == ["open", "introduce", "course", "admit", "confirm"]
    assert [s.data["on"] for s in case.steps.all()][1] == ago(50).isoformat()
    # decided things are immutable: no more steps on a closed case
    with pytest.raises(ValidationError):
        services.case_act(
            actor=cast.users["c11"], case=case, action="not_admit", data={"decided_on": d(TODAY), "note": "x"}
        )
    # a Party member cannot be nominated again
    with pytest.raises(ValidationError, match="đã là đảng viên"):
        nominate(cast)


def test_an_expired_certificate_is_refused_at_admission_by_the_rule_set(cast):
    case = nominate(cast, on=TODAY - timedelta(days=100))
    services.case_act(
        actor=cast.users["c11"], case=case, action="introduce",
        data={"introduced_on": d(TODAY - timedelta(days=90)), "party_cell": "Chi bộ ấp 2"},
    )  # fmt: skip
    services.case_act(
        actor=cast.users["c11"], case=case, action="course",
        data={"certificate_number": "NT-1", "certificate_on": d(TODAY - timedelta(days=400))},
    )  # fmt: skip
    # the Union shortens validity to 1 year from some day before: the certificate lapses before admission
    RuleSet.objects.create(effective_from=TODAY - timedelta(days=2000), values={"party_course_valid_years": 1})
    with pytest.raises(ValidationError, match="hết hạn"):
        services.case_act(
            actor=cast.users["c11"], case=case, action="admit",
            data={"admitted_on": d(TODAY - timedelta(days=10)), "decision_number": "1"},
        )  # fmt: skip
    case.refresh_from_db()
    assert case.state == "course_done" and case.steps.count() == 3


def test_a_certificate_already_expired_is_refused_when_recorded(cast):
    case = nominate(cast)
    services.case_act(
        actor=cast.users["c11"], case=case, action="introduce",
        data={"introduced_on": d(TODAY - timedelta(days=5)), "party_cell": "Chi bộ 3"},
    )  # fmt: skip
    with pytest.raises(ValidationError, match="hết hạn"):
        services.case_act(
            actor=cast.users["c11"], case=case, action="course",
            data={"certificate_number": "NT-9", "certificate_on": d(TODAY.replace(year=TODAY.year - 6))},
        )  # fmt: skip


def test_step_checks_dates_order_required_fields_and_not_admitted(cast):
    case = nominate(cast)
    with pytest.raises(ValidationError) as err:
        services.case_act(actor=cast.users["c11"], case=case, action="introduce", data={"introduced_on": d(TODAY)})
    assert "party_cell" in err.value.message_dict
    with pytest.raises(ValidationError, match="không được trước"):
        services.case_act(
            actor=cast.users["c11"], case=case, action="introduce",
            data={"introduced_on": d(TODAY - timedelta(days=365)), "party_cell": "Chi bộ"},
        )  # fmt: skip
    with pytest.raises(ValidationError, match="sau ngày hôm nay"):
        services.case_act(
            actor=cast.users["c11"], case=case, action="introduce",
            data={"introduced_on": d(TODAY + timedelta(days=1)), "party_cell": "Chi bộ"},
        )  # fmt: skip
    with pytest.raises(ValidationError, match="không thể"):
        services.case_act(
            actor=cast.users["c11"], case=case, action="admit", data={"admitted_on": d(TODAY), "decision_number": "1"}
        )
    case = services.case_act(
        actor=cast.users["c11"],
        case=case,
        action="not_admit",
        data={"decided_on": d(TODAY), "note": "Chưa đủ điều kiện"},
    )
    assert case.state == "not_admitted" and not case.is_open and "Chưa đủ điều kiện" in case.outcome
    # after a final decision a new nomination is possible again
    assert nominate(cast).pk != case.pk


def test_nomination_rules_one_open_case_and_active_members_only(cast):
    nominate(cast)
    with pytest.raises(ValidationError, match="chưa xong"):
        nominate(cast)
    Member.objects.filter(pk=cast.m_b111_1.pk).update(status="removed")
    with pytest.raises(ValidationError, match="không ở trạng thái"):
        nominate(cast, member=cast.m_b111_1)
    with pytest.raises(ValidationError, match="sau ngày hôm nay"):
        nominate(cast, member=cast.m_b111_2, on=TODAY + timedelta(days=3))


def test_a_grade_other_than_htxs_warns_but_does_not_block(cast, monkeypatch):
    monkeypatch.setattr(referral, "latest_grade", lambda member, actor=None: ("good", "Hoàn thành tốt nhiệm vụ"))
    case = nominate(cast)
    assert "Hoàn thành tốt" in case.data["warning"] and case.data["grade"] == "Hoàn thành tốt nhiệm vụ"
    monkeypatch.setattr(
        referral, "latest_grade", lambda member, actor=None: ("excellent", "Hoàn thành xuất sắc nhiệm vụ")
    )
    assert referral.nomination_warning(cast.m_b111_1) == ""


def test_sibling_commune_cannot_see_or_decide_and_branch_cannot_open_for_others(cast):
    case = nominate(cast)
    with pytest.raises(ScopeError):
        services.case_act(
            actor=cast.users["c12"], case=case, action="introduce", data={"introduced_on": d(TODAY), "party_cell": "X"}
        )
    # the nominating branch cannot take the grassroots committee's step
    with pytest.raises(ScopeError):
        services.case_act(
            actor=cast.users["b111"], case=case, action="introduce", data={"introduced_on": d(TODAY), "party_cell": "X"}
        )
    with pytest.raises(ScopeError):
        referral.referral_nominate(actor=cast.users["c12"], member=cast.m_b111_1, meeting_on=d(TODAY))
    with pytest.raises(ScopeError):
        referral.referral_nominate(actor=cast.users["member_b111"], member=cast.m_b111_0, meeting_on=d(TODAY))
    case.refresh_from_db()
    assert case.state == "nominated" and case.steps.count() == 1
    assert not Case.objects.restrict(cast.users["c12"], "view").filter(pk=case.pk).exists()
    with pytest.raises(ScopeError):
        selectors.party_referral_counts(actor=cast.users["c12"], unit=cast.c11, year=TODAY.year)
    assert (
        selectors.party_referral_counts(actor=cast.users["p2"], unit=cast.p2, year=TODAY.year).total["nominated"] == 0
    )


def test_stalled_cases_are_flagged_once_per_stall_to_grassroots_and_superior(cast):
    case = nominate(cast, on=TODAY - timedelta(days=300))
    fresh = nominate(cast, member=cast.m_b111_1, on=TODAY - timedelta(days=10))
    backdate(case, 200)  # about 6.5 months without a step
    frozen = TODAY
    assert referral.referrals_flag_stalled(today=frozen) == 1
    notes = Notification.objects.filter(case=case, message__startswith="Chậm tiến độ")
    assert {n.unit for n in notes} == {cast.c11, cast.p1}
    assert referral.referrals_flag_stalled(today=frozen) == 0  # once per stall
    assert not Notification.objects.filter(case=fresh, message__startswith="Chậm tiến độ").exists()
    # the rule set decides the period: 12 months → nothing stalled
    RuleSet.objects.create(effective_from=frozen - timedelta(days=1), values={"party_referral_stall_months": 12})
    assert referral.stall_cutoff(frozen) < timezone.make_aware(datetime.combine(frozen, time.min)) - timedelta(days=360)
    RuleSet.objects.create(effective_from=frozen, values={"party_referral_stall_months": 6})
    # a new step ends the stall; a later stall is flagged again
    services.case_act(
        actor=cast.users["c11"], case=case, action="introduce",
        data={"introduced_on": d(TODAY - timedelta(days=1)), "party_cell": "Chi bộ ấp 1"},
    )  # fmt: skip
    assert referral.referrals_flag_stalled(today=frozen) == 0
    backdate(case, 200)
    call_command("flag_stalled_referrals")
    assert Notification.objects.filter(case=case, message__startswith="Chậm tiến độ").count() == 4


def test_counts_and_rows_per_unit_and_year(cast):
    a = nominate(cast)
    walk_to_admitted(cast, a)
    nominate(cast, member=cast.m_b111_1)
    stalled = referral.referral_nominate(actor=cast.users["c12"], member=cast.m_b121_0, meeting_on=d(ago(2)))
    backdate(stalled, 250)
    counts = selectors.party_referral_counts(actor=cast.users["p1"], unit=cast.p1, year=TODAY.year)
    assert counts.total["nominated"] == 3 and counts.total["introduced"] == 1 and counts.total["admitted"] == 1
    assert counts.total["course"] == 1 and counts.total["official"] == 0
    assert counts.total["stalled"] == 1
    per_child = {u.code: c for u, c in counts.children}
    assert per_child["T89-C12"]["stalled"] == 1 and per_child["T89-C11"]["stalled"] == 0
    rows = list(selectors.party_referral_rows(actor=cast.users["c11"], unit=cast.c11, year=TODAY.year))
    names = {r["member_name"] for r in rows}
    assert cast.m_b121_0.full_name not in names  # another commune
    admitted = next(r for r in rows if r["case_id"] == a.pk)
    assert admitted["party_cell"] == "Chi bộ ấp Mỹ Hòa 1" and admitted["state_label"].startswith("Đã được kết nạp")
    assert admitted["admitted_on"] == d(ago(20)) and admitted["stalled"] is False
    province_rows = list(selectors.party_referral_rows(actor=cast.users["p1"], unit=cast.p1, year=TODAY.year))
    assert any(r["stalled"] for r in province_rows)
    assert (
        selectors.party_referral_counts(actor=cast.users["p1"], unit=cast.p1, year=TODAY.year - 3).total["nominated"]
        == 0
    )


# ---------------------------------------------------------------- pages and API


def test_pages_nominate_list_and_act(cast, login):
    client = login(cast.users["b111"])
    url = reverse("referral_open") + f"?unit={cast.b111.pk}"
    page = client.get(url)
    assert page.status_code == 200 and cast.m_b111_0.full_name in page.content.decode()
    response = client.post(
        url, {"member": cast.m_b111_0.pk, "meeting_on": d(TODAY - timedelta(days=3)), "resolution": "NQ 1"}
    )
    case = Case.objects.get(kind="party_referral")
    assert response.status_code == 302 and response.url == reverse("case_detail", args=[case.pk])
    client = login(cast.users["c11"])
    response = client.post(
        reverse("case_act", args=[case.pk, "introduce"]),
        {"introduced_on": d(TODAY), "party_cell": "Chi bộ ấp 1", "version": case.version},
    )
    case.refresh_from_db()
    assert case.state == "introduced"
    listing = client.get(reverse("referral_list") + f"?unit={cast.c11.pk}&year={TODAY.year}")
    assert listing.status_code == 200 and cast.m_b111_0.full_name in listing.content.decode()


def test_pages_sibling_commune_gets_404_and_nothing_changes(cast, login):
    case = nominate(cast)
    client = login(cast.users["c12"])
    assert client.get(reverse("referral_list") + f"?unit={cast.c11.pk}").status_code == 404
    assert client.get(reverse("referral_open") + f"?unit={cast.b111.pk}").status_code == 404
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 404
    client.post(reverse("case_act", args=[case.pk, "introduce"]), {"introduced_on": d(TODAY), "party_cell": "X"})
    case.refresh_from_db()
    assert case.state == "nominated"


def test_api_nominate_counts_rows_and_sibling(cast, client):
    client.force_login(cast.users["b111"])
    response = client.post(
        "/api/cases/open/",
        {"kind": "party_referral", "member": cast.m_b111_0.pk, "data": {"meeting_on": d(TODAY)}},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    case_id = response.json()["id"]
    client.force_login(cast.users["c11"])
    response = client.post(
        f"/api/cases/{case_id}/act/",
        {"action": "introduce", "data": {"introduced_on": d(TODAY), "party_cell": "Chi bộ 1"}},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["state"] == "introduced"
    body = client.get(f"/api/party-referrals/?unit={cast.c11.pk}&year={TODAY.year}").json()
    assert body["total"]["nominated"] == 1 and body["total"]["introduced"] == 1
    assert body["rows"][0]["member_name"] == cast.m_b111_0.full_name
    assert {c["unit"]["id"] for c in body["children"]} == {cast.b111.pk, cast.b112.pk}
    client.force_login(cast.users["c12"])
    assert client.get(f"/api/party-referrals/?unit={cast.c11.pk}&year={TODAY.year}").status_code == 404
    response = client.post(
        f"/api/cases/{case_id}/act/", {"action": "course", "data": {"certificate_number": "1", "certificate_on": d(TODAY)}},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 404
    assert Case.objects.get(pk=case_id).state == "introduced"

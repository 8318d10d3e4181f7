"""Admission (kết nạp) on the one case mechanism: rules, deciders, history, bulk, bad input."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from conftest import make_cccd
from doanso.core.models import RuleSet
from doanso.core.scope import ScopeError
from doanso.members.models import Member, MemberStat, MemberStatusRecord
from doanso.procedures import services
from doanso.procedures.models import Case, CaseStep, Notification, Youth

pytestmark = pytest.mark.django_db
TODAY = date.today()


def register(cast, name="Lê Thị Kim Ngân", dob=date(2008, 5, 2), sex="F", **extra):
    data = {
        "full_name": name, "date_of_birth": dob, "sex": sex, "citizen_id": make_cccd(dob, sex),
        "applied_on": TODAY - timedelta(days=60), "course_passed_on": TODAY - timedelta(days=30),
        "course_certificate": "CT-2026-015", "sponsor_kind": "member", "sponsor_member": cast.m_b111_1,
    }  # fmt: skip
    data.update(extra)
    return services.youth_register(actor=cast.users["b111"], unit=cast.b111, data=data)


def vote(case, yes: dict, present=10):
    return {
        "meeting_on": TODAY,
        "present": present,
        "votes": {str(k): {"for": v, "against": 0} for k, v in yes.items()},
    }


def approve_data():
    return {"decision_number": "12-QĐ/ĐTN", "decision_on": TODAY, "signer": "Nguyễn Văn Bí Thư"}


def test_admission_end_to_end(cast):
    y1, y2 = register(cast), register(cast, "Trần Văn Hậu", sex="M")
    case = services.admission_open(actor=cast.users["b111"], unit=cast.b111, youths=[y1, y2])
    assert case.deciding_unit == cast.b111
    case = services.case_act(actor=cast.users["b111"], case=case, action="vote", data=vote(case, {y1.pk: 7, y2.pk: 5}))
    # 7/10 passes; 5/10 is not more than half.
    assert case.state == "branch_approved" and case.deciding_unit == cast.c11
    assert Notification.objects.filter(unit=cast.c11, case=case).exists()
    # The branch cannot approve its own admission; the commune (directly superior) can.
    with pytest.raises(ScopeError):
        services.case_act(actor=cast.users["b111"], case=case, action="approve", data=approve_data())
    before = MemberStat.objects.filter(unit=cast.b111, status="active").get().count
    case = services.case_act(actor=cast.users["c11"], case=case, action="approve", data=approve_data())
    assert case.state == "approved" and not case.is_open
    member = Member.objects.get(citizen_id=y1.citizen_id)
    assert member.unit == cast.b111 and member.admitted_on == TODAY and member.admission_decision_number == "12-QĐ/ĐTN"
    assert member.card_number
    assert not Member.objects.filter(citizen_id=y2.citizen_id).exists()
    assert MemberStatusRecord.objects.filter(member=member, status="active").exists()
    assert MemberStat.objects.get(unit=cast.b111, status="active").count == before + 1
    assert [s.action for s in CaseStep.objects.filter(case=case)] == ["open", "vote", "approve"]
    # A decided case is immutable.
    with pytest.raises(ValidationError, match="không thể"):
        services.case_act(actor=cast.users["c11"], case=case, action="reject", data={"note": "x"})


def test_vote_checks_course_sponsor_age_and_counts(cast):
    no_course = register(cast, "Phạm Văn Tư", sex="M", course_passed_on=None)
    case = services.admission_open(actor=cast.users["b111"], unit=cast.b111, youths=[no_course])
    with pytest.raises(ValidationError, match="cảm tình Đoàn"):
        services.case_act(actor=cast.users["b111"], case=case, action="vote", data=vote(case, {no_course.pk: 9}))
    # A sponsor admitted less than 3 months ago (rule set) is refused.
    fresh = cast.m_b111_2
    Member.objects.filter(pk=fresh.pk).update(admitted_on=TODAY - timedelta(days=40))
    y = register(cast, "Võ Thị Mận", sponsor_member=fresh)
    case2 = services.admission_open(actor=cast.users["b111"], unit=cast.b111, youths=[y])
    with pytest.raises(ValidationError, match="đủ 3 tháng"):
        services.case_act(actor=cast.users["b111"], case=case2, action="vote", data=vote(case2, {y.pk: 9}))
    # … until the Central level changes the rule.
    RuleSet.objects.create(effective_from=TODAY - timedelta(days=1), values={"sponsor_min_months": 1})
    services.case_act(actor=cast.users["b111"], case=case2, action="vote", data=vote(case2, {y.pk: 9}))
    # More votes than people present.
    y3 = register(cast, "Đỗ Văn Năm", sex="M")
    case3 = services.admission_open(actor=cast.users["b111"], unit=cast.b111, youths=[y3])
    with pytest.raises(ValidationError, match="nhiều hơn số có mặt"):
        services.case_act(actor=cast.users["b111"], case=case3, action="vote", data=vote(case3, {y3.pk: 11}))
    case3.refresh_from_db()
    assert case3.state == "prepared" and case3.steps.count() == 1


def test_no_candidate_passing_closes_the_case(cast):
    y = register(cast)
    case = services.admission_open(actor=cast.users["b111"], unit=cast.b111, youths=[y])
    case = services.case_act(actor=cast.users["b111"], case=case, action="vote", data=vote(case, {y.pk: 5}, present=10))
    assert case.state == "not_passed" and not case.is_open and case.deciding_unit is None


def test_one_open_case_per_candidate_and_candidate_rules(cast):
    y = register(cast)
    services.admission_open(actor=cast.users["b111"], unit=cast.b111, youths=[y])
    with pytest.raises(ValidationError, match="hồ sơ kết nạp khác"):
        services.admission_open(actor=cast.users["b111"], unit=cast.b111, youths=[y])
    with pytest.raises(ValidationError, match="đã là đoàn viên"):
        register(cast, citizen_id=cast.m_b111_1.citizen_id)
    with pytest.raises(ScopeError):
        services.youth_register(actor=cast.users["c12"], unit=cast.b111, data={})
    assert Youth.objects.count() == 1


def test_sibling_commune_cannot_see_or_decide(cast, client):
    y = register(cast)
    case = services.admission_open(actor=cast.users["b111"], unit=cast.b111, youths=[y])
    services.case_act(actor=cast.users["b111"], case=case, action="vote", data=vote(case, {y.pk: 8}))
    with pytest.raises(ScopeError):
        services.case_act(actor=cast.users["c12"], case=case, action="approve", data=approve_data())
    client.force_login(cast.users["c12"])
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 404
    assert client.post(reverse("case_act", args=[case.pk, "approve"]), approve_data()).status_code == 404
    body = client.get(reverse("case_inbox") + "?tab=all").content.decode()
    assert case.title not in body
    case.refresh_from_db()
    assert case.state == "branch_approved"


def test_bulk_approval_reports_each_case(cast):
    cases = []
    for i, name in enumerate(["Lý Thị Một", "Lý Thị Hai", "Lý Thị Ba"]):
        y = register(cast, name)
        c = services.admission_open(actor=cast.users["b111"], unit=cast.b111, youths=[y])
        if i < 2:
            services.case_act(actor=cast.users["b111"], case=c, action="vote", data=vote(c, {y.pk: 9}))
        cases.append(c)
    results = services.cases_bulk_act(actor=cast.users["c11"], cases=cases, action="approve", data=approve_data())
    assert [r["ok"] for r in results] == [True, True, False]
    assert "không thể" in results[2]["message"]
    assert Member.objects.filter(full_name__startswith="Lý Thị").count() == 2


def test_web_journey_register_open_vote_approve(cast, client):
    client.force_login(cast.users["b111"])
    dob = date(2008, 1, 9)
    response = client.post(
        reverse("youth_register") + f"?unit={cast.b111.pk}",
        {"full_name": "Hà Thị Thu", "date_of_birth": dob.strftime("%d/%m/%Y"), "sex": "F", "citizen_id": make_cccd(dob, "F"),
         "ethnicity": "01", "religion": "00", "applied_on": "01/09/2026", "course_passed_on": "15/09/2026",
         "sponsor_kind": "member", "sponsor_member": cast.m_b111_1.pk},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    y = Youth.objects.get(full_name="Hà Thị Thu")
    response = client.post(reverse("admission_open") + f"?unit={cast.b111.pk}", {"youth": [y.pk]})
    case = Case.objects.get()
    client.post(
        reverse("case_act", args=[case.pk, "vote"]),
        {
            "meeting_on": TODAY.strftime("%d/%m/%Y"),
            "present": "12",
            f"for_{y.pk}": "10",
            f"against_{y.pk}": "1",
            "version": 1,
        },
    )
    case.refresh_from_db()
    assert case.state == "branch_approved"
    client.force_login(cast.users["c11"])
    page = client.get(reverse("case_inbox")).content.decode()
    assert case.title in page and 'class="badge"' in page
    client.post(
        reverse("case_bulk_act"),
        {"case": [case.pk], "action": "approve", "decision_number": "7-QĐ/ĐTN", "decision_on": TODAY.strftime("%d/%m/%Y"),
         "signer": "Bí thư"},
    )  # fmt: skip
    case.refresh_from_db()
    assert case.state == "approved"
    assert Member.objects.filter(full_name="Hà Thị Thu", unit=cast.b111).exists()


def test_the_next_deciding_unit_is_emailed_when_configured(
    cast, settings, mailoutbox, django_capture_on_commit_callbacks
):
    from doanso.accounts.models import User

    settings.EMAIL_NOTIFICATIONS = True
    User.objects.filter(pk=cast.users["c11"].pk).update(email="bithu@myhoa.vn")
    y = register(cast)
    case = services.admission_open(actor=cast.users["b111"], unit=cast.b111, youths=[y])
    with django_capture_on_commit_callbacks(execute=True):
        services.case_act(actor=cast.users["b111"], case=case, action="vote", data=vote(case, {y.pk: 9}))
    assert [m.to for m in mailoutbox] == [["bithu@myhoa.vn"]]
    assert "chờ cấp trên chuẩn y" in mailoutbox[0].body

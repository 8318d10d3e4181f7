"""The procedures through the JSON API: same services, same scope, Vietnamese errors."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from conftest import make_cccd
from doanso.members.models import Member
from doanso.procedures.models import Case

pytestmark = pytest.mark.django_db
TODAY = date.today()


def client_for(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_admission_through_the_api(cast):
    b111 = client_for(cast.users["b111"])
    dob = date(2008, 4, 4)
    r = b111.post(
        "/api/youths/",
        {"unit": cast.b111.pk, "full_name": "Phan Thị Ngọc Hân", "date_of_birth": "04/04/2008", "sex": "F",
         "citizen_id": make_cccd(dob, "F"), "applied_on": TODAY.isoformat(), "course_passed_on": TODAY.isoformat(),
         "sponsor_kind": "member", "sponsor_member": cast.m_b111_1.pk},
        format="json",
    )  # fmt: skip
    assert r.status_code == 201, r.json()
    youth = r.json()["id"]
    r = b111.post("/api/cases/open/", {"kind": "admission", "unit": cast.b111.pk, "youths": [youth]}, format="json")
    assert r.status_code == 201
    case = r.json()
    assert [a["action"] for a in case["actions"]] == ["vote", "withdraw"]
    r = b111.post(
        f"/api/cases/{case['id']}/act/",
        {"action": "vote", "version": case["version"], "data": {"meeting_on": TODAY.isoformat(), "present": 10, "votes": {str(youth): {"for": 8, "against": 1}}}},
        format="json",
    )  # fmt: skip
    assert r.json()["state"] == "branch_approved"
    # The branch may not approve; the commune approves in bulk.
    r = b111.post(
        f"/api/cases/{case['id']}/act/",
        {"action": "approve", "data": {"decision_number": "1", "decision_on": TODAY.isoformat(), "signer": "A"}},
        format="json",
    )
    assert r.status_code == 403 and "Đoàn xã Mỹ Hòa" in r.json()["detail"]
    commune = client_for(cast.users["c11"])
    assert commune.get("/api/inbox/").json()["waiting"] == 1
    r = commune.post(
        "/api/cases/bulk/",
        {
            "cases": [case["id"], 999999],
            "action": "approve",
            "data": {"decision_number": "8-QĐ/ĐTN", "decision_on": TODAY.isoformat(), "signer": "Bí thư"},
        },
        format="json",
    )
    assert [x["ok"] for x in r.json()["results"]] == [True, False]
    assert Member.objects.filter(full_name="Phan Thị Ngọc Hân").exists()
    assert commune.get(f"/api/cases/{case['id']}/document.pdf").status_code == 200


def test_errors_are_vietnamese_and_scope_holds(cast):
    c12 = client_for(cast.users["c12"])
    r = c12.post(
        "/api/cases/open/", {"kind": "transfer", "member": cast.m_b111_1.pk, "to_unit": cast.c21.pk}, format="json"
    )
    assert r.status_code == 404
    c11 = client_for(cast.users["c11"])
    r = c11.post(
        "/api/cases/open/",
        {
            "kind": "working_away",
            "members": [cast.m_b111_1.pk],
            "data": {"starts_on": "01/01/2026", "ends_on": "01/01/2028"},
        },
        format="json",
    )
    assert r.status_code == 400 and "tối đa" in r.json()["errors"]["ends_on"][0]
    r = c11.post(
        "/api/cases/open/", {"kind": "transfer", "member": cast.m_b111_1.pk, "to_unit": cast.c21.pk}, format="json"
    )
    case = r.json()["id"]
    shown = c11.get(f"/api/cases/{case}/").json()
    assert shown["dues_book"] == [{"member": cast.m_b111_1.pk, "kept": False, "paid_to": None, "unpaid": []}]
    r = c11.post(f"/api/cases/{case}/act/", {"action": "release", "data": {"remarks": "Tốt"}}, format="json")
    assert r.status_code == 400 and "hãy nhập tháng" in r.json()["errors"]["dues_paid_to"][0]
    assert c12.get(f"/api/cases/{case}/").status_code == 404
    assert c12.post(f"/api/cases/{case}/act/", {"action": "release"}, format="json").status_code == 404
    member = client_for(cast.users["member_b111"])
    assert member.get("/api/cases/").status_code == 403
    assert Case.objects.get(pk=case).state == "requested"

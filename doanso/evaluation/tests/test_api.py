"""The evaluation API: each endpoint's happy path and its sibling-subtree refusal (nothing changed)."""

import pytest
from rest_framework.test import APIClient

from doanso.evaluation import services
from doanso.evaluation.choices import Stage
from doanso.evaluation.models import Evaluation, EvaluationRound, GradeCorrection

from .helpers import branch_members, open_round, propose_all, year

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_rounds_list_and_open(cast):
    resp = api(cast.users["c11"]).post("/api/evaluation/rounds/", {"unit": cast.c11.pk, "year": year()}, format="json")
    assert resp.status_code == 201 and resp.json()["state"] == "open"
    assert [r["id"] for r in api(cast.users["p1"]).get("/api/evaluation/rounds/").json()] == [resp.json()["id"]]
    assert api(cast.users["p2"]).get("/api/evaluation/rounds/").json() == []
    again = api(cast.users["c11"]).post("/api/evaluation/rounds/", {"unit": cast.c11.pk, "year": year()}, format="json")
    assert again.status_code == 400 and "đã có đợt đánh giá" in again.json()["errors"]["year"][0]


def test_open_round_from_a_sibling(cast):
    resp = api(cast.users["c21"]).post("/api/evaluation/rounds/", {"unit": cast.c11.pk, "year": year()}, format="json")
    assert resp.status_code == 404 and not EvaluationRound.objects.exists()


def test_round_detail(cast):
    rnd = open_round(cast)
    body = api(cast.users["c11"]).get(f"/api/evaluation/rounds/{rnd.pk}/").json()
    assert {b["name"]: b["missing"] for b in body["branches"]} == {cast.b111.name: 3, cast.b112.name: 3}
    assert api(cast.users["c12"]).get(f"/api/evaluation/rounds/{rnd.pk}/").status_code == 404


def test_sheet_get_and_bulk_submit(cast):
    rnd = open_round(cast)
    url = f"/api/evaluation/rounds/{rnd.pk}/branches/{cast.b111.pk}/"
    sheet = api(cast.users["b111"]).get(url).json()
    assert len(sheet["rows"]) == 3 and sheet["rows"][0]["inputs"]["attendance_percent"] is None
    ids = [r["member"]["id"] for r in sheet["rows"]]
    bad = api(cast.users["b111"]).post(
        url, {"rows": [{"member": ids[0], "grade": "good"}, {"member": ids[1], "grade": "A"}]}, format="json"
    )
    assert bad.status_code == 400 and f"member_{ids[1]}" in bad.json()["errors"]
    assert not Evaluation.objects.exists()
    ok = api(cast.users["b111"]).post(
        url, {"version": sheet["version"], "rows": [{"member": i, "grade": "HTT"} for i in ids]}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["saved"] == 3
    stale = api(cast.users["b111"]).post(
        url, {"version": sheet["version"], "rows": [{"member": ids[0], "grade": "done"}]}, format="json"
    )
    assert stale.status_code == 400 and "người khác cập nhật" in stale.json()["errors"]["__all__"][0]


def test_sheet_from_a_sibling(cast):
    rnd = open_round(cast)
    url = f"/api/evaluation/rounds/{rnd.pk}/branches/{cast.b111.pk}/"
    m = branch_members(cast.b111)[0]
    assert api(cast.users["c12"]).get(url).status_code == 404
    resp = api(cast.users["c21"]).post(url, {"rows": [{"member": m.pk, "grade": "good"}]}, format="json")
    assert resp.status_code == 404 and not Evaluation.objects.exists()
    # a member of another branch cannot be graded on this sheet
    outsider = branch_members(cast.b112)[0]
    resp = api(cast.users["c11"]).post(url, {"rows": [{"member": outsider.pk, "grade": "good"}]}, format="json")
    assert resp.status_code == 400 and "không thuộc danh sách" in resp.json()["errors"][f"member_{outsider.pk}"][0]


def test_approve_one_branch_and_all(cast):
    rnd = open_round(cast)
    url = f"/api/evaluation/rounds/{rnd.pk}/approve/"
    unfinished = api(cast.users["c11"]).post(url, {"branch": cast.b111.pk}, format="json")
    assert unfinished.status_code == 400 and "còn 3 đoàn viên" in unfinished.json()["errors"]["__all__"][0]
    propose_all(cast, rnd, cast.b111)
    assert api(cast.users["c12"]).post(url, {"branch": cast.b111.pk}, format="json").status_code == 404
    assert api(cast.users["b111"]).post(url, {"branch": cast.b111.pk}, format="json").status_code == 403
    assert not Evaluation.objects.filter(stage=Stage.APPROVED).exists()
    one = api(cast.users["c11"]).post(url, {"branch": cast.b111.pk}, format="json").json()
    assert one["approved"] == 3 and not one["locked"]
    propose_all(cast, rnd, cast.b112)
    rest = api(cast.users["c11"]).post(url, {}, format="json").json()
    assert rest["approved"] == 3 and rest["locked"]
    again = api(cast.users["c11"]).post(url, {}, format="json")
    assert again.status_code == 400 and "đã được phê duyệt và khóa" in again.json()["errors"]["__all__"][0]


def test_correct_one_grade(cast):
    rnd = open_round(cast)
    propose_all(cast, rnd, cast.b111)
    propose_all(cast, rnd, cast.b112)
    services.round_approve(actor=cast.users["c11"], rnd=rnd)
    ev = Evaluation.objects.get(member=cast.members["member_b111"])
    url = f"/api/evaluation/grades/{ev.pk}/correct/"
    sibling = api(cast.users["c12"]).post(url, {"grade": "done", "reason": "Nhầm lẫn khi tổng hợp"}, format="json")
    assert sibling.status_code == 404 and not GradeCorrection.objects.exists()
    resp = api(cast.users["c11"]).post(url, {"grade": "HT", "reason": "Nhầm lẫn khi tổng hợp"}, format="json")
    assert resp.status_code == 200 and resp.json()["grade"] == "done"


def test_self_assessment(cast):
    open_round(cast)
    client = api(cast.users["member_b111"])
    assert client.get("/api/evaluation/self/").json()["round"]["year"] == year()
    resp = client.post("/api/evaluation/self/", {"grade": "excellent", "text": "Đạt nhiều thành tích."}, format="json")
    assert resp.status_code == 200 and resp.json()["self_grade"] == "excellent"
    assert (
        api(cast.users["c11"]).post("/api/evaluation/self/", {"grade": "good", "text": "x"}, format="json").status_code
        == 403
    )


def test_counts_per_child_unit(cast):
    rnd = open_round(cast)
    propose_all(cast, rnd, cast.b111)
    body = api(cast.users["p1"]).get("/api/evaluation/counts/", {"unit": cast.p1.pk, "stage": "proposed"}).json()
    assert body["total"]["good"] == 3
    assert {c["name"]: c["counts"]["good"] for c in body["children"]} == {cast.c11.name: 3, cast.c12.name: 0}
    assert body["children"][0]["shares"]["good"] in (100.0, 0.0)
    assert api(cast.users["p2"]).get("/api/evaluation/counts/", {"unit": cast.p1.pk}).status_code == 404


def test_openapi_schema_lists_the_endpoints(cast):
    resp = api(cast.users["central"]).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert resp.status_code == 200
    body = resp.content.decode()
    for path in ("/api/evaluation/rounds/", "/api/evaluation/counts/", "/api/evaluation/self/"):
        assert path in body

"""The JSON API: token login, every endpoint's happy path, and the sibling/parent walls by URL and by body."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from conftest import PASSWORD, make_cccd
from doanso.accounts.models import User
from doanso.core.models import AuditEvent
from doanso.members.models import Member
from doanso.organisations.models import Unit

pytestmark = pytest.mark.django_db
TODAY = date.today().isoformat()


def as_user(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def snapshot():
    return (
        list(Unit.objects.order_by("pk").values_list("pk", "path", "name", "closed_on")),
        list(Member.objects.order_by("pk").values_list("pk", "unit_id", "full_name", "status", "version")),
        list(User.objects.order_by("pk").values_list("pk", "role_id", "is_active", "password")),
        AuditEvent.objects.count(),
    )


def test_token_login_for_officials_and_members(cast):
    c = APIClient()
    r = c.post("/api/auth/token/", {"username": "c11", "password": PASSWORD}, format="json")
    assert r.status_code == 200 and r.json()["unit"]["name"] == "Đoàn xã Mỹ Hòa"
    c.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    assert c.get("/api/units/").json()["root"]["id"] == cast.c11.pk
    member = cast.members["member_b111"]
    r = APIClient().post("/api/auth/token/", {"username": member.citizen_id, "password": PASSWORD}, format="json")
    assert r.status_code == 200 and r.json()["kind"] == "member"
    m = APIClient()
    m.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    me = m.get("/api/me/").json()
    assert me["member"]["full_name"] == member.full_name and me["history"]["statuses"]
    for url in ("/api/units/", "/api/members/", f"/api/members/{member.pk}/", "/api/accounts/", "/api/cases/"):
        assert m.get(url).status_code in (403, 404), url
    r = APIClient().post("/api/auth/token/", {"username": "c11", "password": "sai"}, format="json")
    assert r.status_code == 400 and "không đúng" in r.json()["detail"]
    assert APIClient().get("/api/units/").status_code in (401, 403)


def test_happy_paths(cast):
    c11 = as_user(cast.users["c11"])
    assert [u["id"] for u in c11.get(f"/api/units/{cast.c11.pk}/children/").json()] == [cast.b111.pk, cast.b112.pk]
    assert c11.get("/api/units/search/", {"q": "chi doan 1 my hoa"}).json()[0]["id"] == cast.b111.pk
    crumbs = c11.get(f"/api/units/{cast.b111.pk}/breadcrumbs/").json()
    assert crumbs[0]["id"] is None and crumbs[0]["name"].startswith("Trung ương")  # above the account: name only
    r = c11.post(
        "/api/units/",
        {"parent": cast.c11.pk, "code": "T89-C11-3", "name": "Chi đoàn 3 Mỹ Hòa", "kind": "branch"},
        format="json",
    )
    assert r.status_code == 201
    new = r.json()["id"]
    assert (
        c11.patch(f"/api/units/{new}/", {"name": "Chi đoàn ấp Mỹ Lợi"}, format="json").json()["name"]
        == "Chi đoàn ấp Mỹ Lợi"
    )
    assert (
        c11.post(
            f"/api/units/{cast.b112.pk}/merge/", {"survivor": cast.b111.pk, "effective_on": TODAY}, format="json"
        ).status_code
        == 200
    )
    history = c11.get(f"/api/units/{cast.b112.pk}/history/").json()
    assert history["changes"][0]["kind"] == "merge"
    assert (
        c11.post(
            f"/api/unit-changes/{history['changes'][0]['id']}/revert/", {"effective_on": TODAY}, format="json"
        ).status_code
        == 200
    )
    page = c11.get("/api/members/", {"q": "nguyen van an"}).json()
    assert page["count"] == 1 and page["results"][0]["citizen_id"].count("*") == 6
    dob = date(2004, 9, 2)
    r = c11.post(
        "/api/members/",
        {"unit": cast.b111.pk, "full_name": "Tạ Thị Hoa", "date_of_birth": "02/09/2004", "sex": "F",
         "citizen_id": make_cccd(dob, "F"), "admitted_on": "2021-03-26"},
        format="json",
    )  # fmt: skip
    assert r.status_code == 201, r.json()
    m = r.json()
    r = c11.patch(f"/api/members/{m['id']}/", {"occupation": "Y tá", "version": m["version"]}, format="json")
    assert r.json()["occupation"] == "Y tá"
    stale = c11.patch(f"/api/members/{m['id']}/", {"occupation": "Kế toán", "version": m["version"]}, format="json")
    assert stale.status_code == 400 and "người khác cập nhật" in str(stale.json())
    r = c11.post(
        f"/api/members/{m['id']}/status/",
        {"status": "deceased", "effective_on": TODAY, "reason": "Tai nạn"},
        format="json",
    )
    assert r.status_code == 201
    history = c11.get(f"/api/members/{m['id']}/history/").json()
    assert history["statuses"][0]["status"] == "deceased" and history["changes"]
    roles = [r["code"] for r in c11.get("/api/roles/", {"unit": cast.c11.pk}).json()]
    assert "secretary" not in roles and "clerk" in roles
    r = c11.post(
        "/api/accounts/",
        {
            "unit": cast.b112.pk,
            "role": "secretary",
            "username": "b112",
            "full_name": "Bí thư",
            "password": "Chidoan@2026",
        },
        format="json",
    )
    assert r.status_code == 201
    assert (
        c11.patch(f"/api/accounts/{r.json()['id']}/", {"is_active": False}, format="json").json()["is_active"] is False
    )
    assert (
        c11.post(f"/api/accounts/{r.json()['id']}/password/", {"password": "Moi@matkhau1"}, format="json").status_code
        == 204
    )


def test_duplicate_citizen_id_names_the_unit_only_inside_scope(cast):
    data = {
        "unit": cast.b111.pk,
        "full_name": "Người Trùng Lặp",
        "date_of_birth": "2003-05-17",
        "sex": "M",
        "admitted_on": "2020-03-26",
    }
    r = as_user(cast.users["c11"]).post(
        "/api/members/", {**data, "citizen_id": cast.m_b112_0.citizen_id}, format="json"
    )
    assert r.status_code == 400 and cast.b112.name in r.json()["errors"]["citizen_id"][0]
    r = as_user(cast.users["c11"]).post(
        "/api/members/", {**data, "citizen_id": cast.m_b121_0.citizen_id}, format="json"
    )
    msg = r.json()["errors"]["citizen_id"][0]
    assert "ngoài phạm vi" in msg and cast.b121.name not in msg and cast.m_b121_0.full_name not in msg


def test_a_commune_cannot_reach_its_sibling_or_its_parent(cast):
    c11 = as_user(cast.users["c11"])
    before = snapshot()
    sib, parent = cast.c12, cast.p1
    for unit in (sib, parent, cast.b121):
        for url in (
            f"/api/units/{unit.pk}/",
            f"/api/units/{unit.pk}/children/",
            f"/api/units/{unit.pk}/history/",
            f"/api/units/{unit.pk}/breadcrumbs/",
        ):
            assert c11.get(url).status_code == 404, url
        assert c11.get("/api/members/", {"unit": unit.pk}).status_code == 404
        assert c11.get("/api/accounts/", {"unit": unit.pk}).status_code == 404
    assert c11.get("/api/units/search/", {"q": "long xuyen"}).json() == []
    assert c11.get(f"/api/members/{cast.m_b121_0.pk}/").status_code == 404
    assert c11.get(f"/api/members/{cast.m_b121_0.pk}/history/").status_code == 404
    assert c11.get(f"/api/accounts/{cast.users['c12'].pk}/").status_code == 404
    assert c11.get(f"/api/accounts/{cast.users['p1'].pk}/").status_code == 404
    writes = [
        ("patch", f"/api/units/{sib.pk}/", {"name": "X"}),
        ("post", "/api/units/", {"parent": sib.pk, "code": "XX-1", "name": "Lạ", "kind": "branch"}),
        ("post", f"/api/units/{cast.b111.pk}/move/", {"new_parent": sib.pk}),
        ("post", f"/api/units/{cast.b121.pk}/move/", {"new_parent": cast.c11.pk}),
        ("post", f"/api/units/{cast.b111.pk}/merge/", {"survivor": cast.b121.pk}),
        ("post", f"/api/units/{cast.b121.pk}/merge/", {"survivor": cast.b111.pk}),
        ("post", f"/api/units/{cast.b121.pk}/split/", {"parts": [{"code": "S1", "name": "S"}]}),
        ("post", f"/api/units/{cast.b121.pk}/close/", {}),
        ("post", f"/api/units/{parent.pk}/reopen/", {}),
        (
            "post",
            "/api/members/",
            {
                "unit": cast.b121.pk,
                "full_name": "A B",
                "date_of_birth": "2003-01-01",
                "sex": "M",
                "citizen_id": "001203999999",
                "admitted_on": "2020-01-01",
            },
        ),
        ("patch", f"/api/members/{cast.m_b121_0.pk}/", {"occupation": "X"}),
        (
            "post",
            f"/api/members/{cast.m_b121_0.pk}/status/",
            {"status": "deceased", "effective_on": TODAY, "reason": "x"},
        ),
        ("post", f"/api/members/{cast.m_b121_0.pk}/account/", {"password": "Matkhau@123"}),
        (
            "post",
            "/api/accounts/",
            {"unit": sib.pk, "role": "clerk", "username": "la", "full_name": "Lạ", "password": "Matkhau@123"},
        ),
        ("patch", f"/api/accounts/{cast.users['c12'].pk}/", {"is_active": False}),
        ("post", f"/api/accounts/{cast.users['p1'].pk}/password/", {"password": "Matkhau@123"}),
    ]
    for method, url, body in writes:
        r = getattr(c11, method)(url, body, format="json")
        assert r.status_code in (403, 404), (url, r.status_code, r.content[:200])
    assert snapshot() == before


def test_member_list_endpoint_query_budget(cast, django_assert_max_num_queries):
    client = as_user(cast.users["p1"])
    with django_assert_max_num_queries(10):
        r = client.get("/api/members/", {"unit": cast.p1.pk})
    assert r.json()["count"] == 12


def test_schema_and_docs(cast):
    client = as_user(cast.users["c11"])
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/auth/token/",
        "/api/units/{id}/move/",
        "/api/members/",
        "/api/accounts/",
        "/api/cases/{id}/act/",
    ):
        assert path in schema["paths"], path
    assert client.get("/api/docs/").status_code == 200

"""GET /api/reports/periodic/?unit=&period= — the same rows as the page, as JSON."""

import pytest
from django.urls import reverse

from .helpers import tell_story

pytestmark = pytest.mark.django_db
URL = reverse("api_report_periodic")


def test_api_returns_rows_as_they_were_and_the_total(cast, client):
    tell_story(cast)
    client.force_login(cast.users["central"])
    data = client.get(URL, {"unit": cast.p1.pk, "period": "2026-Q2"}).json()
    assert data["period"] == {"code": "2026-Q2", "label": "Quý II/2026", "start": "2026-04-01", "end": "2026-06-30",
                              "as_of": "2026-06-30", "complete": True}  # fmt: skip
    rows = {r["unit"]["name"]: r for r in data["rows"]}
    assert rows["Đoàn phường Long Xuyên"]["note"] == "Đã hợp nhất 15/08/2026"
    assert rows["Đoàn phường Long Xuyên"]["figures"]["removed"] == 1
    assert data["total"]["end"] == sum(r["figures"]["end"] for r in data["rows"]) == 11
    assert [c["key"] for c in data["columns"]][:2] == ["start", "end"]
    yearly = client.get(URL, {"unit": cast.tw.pk, "period": "2026-Y"}).json()
    assert "excellent" in yearly["total"] and {r["unit"]["name"] for r in yearly["rows"]} == {
        "Tỉnh đoàn An Giang", "Tỉnh đoàn Cà Mau"}  # fmt: skip


def test_api_refuses_future_and_bad_periods_in_vietnamese(cast, client):
    client.force_login(cast.users["p1"])
    future = client.get(URL, {"unit": cast.p1.pk, "period": "2099-H1"})
    assert future.status_code == 400 and "chưa bắt đầu" in future.json()["errors"]["period"][0]
    assert client.get(URL, {"unit": cast.p1.pk, "period": "Q2"}).status_code == 400
    assert client.get(URL, {"period": "2026-Q2"}).status_code == 400


def test_api_sibling_subtree_is_404_and_member_login_403(cast, client):
    client.force_login(cast.users["c21"])
    assert client.get(URL, {"unit": cast.c11.pk, "period": "2026-Q2"}).status_code == 404
    client.force_login(cast.users["member_b111"])
    assert client.get(URL, {"unit": cast.b111.pk, "period": "2026-Q2"}).status_code == 403


def test_jobs_api_starts_the_report_and_refuses_a_sibling_subtree(cast, client):
    client.force_login(cast.users["c21"])
    post = lambda params: client.post(  # noqa: E731
        reverse("api_jobs"), {"kind": "export.periodic_report", "params": params}, content_type="application/json"
    )
    assert post({"unit": cast.c11.pk, "format": "xlsx", "period": "2026-Q2"}).status_code == 404
    future = post({"unit": cast.c21.pk, "format": "xlsx", "period": "2099-Q2"})
    assert future.status_code == 400 and "chưa bắt đầu" in future.json()["errors"]["period"][0]
    started = post({"unit": cast.c21.pk, "format": "pdf", "period": "2026-Q2"})
    assert started.status_code == 201 and started.json()["kind"] == "export.periodic_report"


def test_api_needs_login(client):
    assert client.get(URL, {"unit": 1, "period": "2026-Q2"}).status_code in (401, 403)

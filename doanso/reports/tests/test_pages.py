"""The report page: pickers, the table for a small subtree, the export buttons; scope."""

import pytest
from django.urls import reverse

from doanso.reports import views

from .helpers import tell_story

pytestmark = pytest.mark.django_db
URL = reverse("report_periodic")


def test_page_shows_the_tree_as_it_was_with_pickers_and_export_buttons(cast, client):
    tell_story(cast)
    client.force_login(cast.users["p1"])
    page = client.get(URL, {"unit": cast.p1.pk, "part": "Q2", "year": "2026"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "BÁO CÁO THỐNG KÊ ĐOÀN VIÊN — Quý II/2026" in html
    assert "Đoàn phường Long Xuyên" in html and "Đã hợp nhất 15/08/2026" in html
    assert 'value="H1"' in html and 'value="Y"' in html  # a province picks half-years and years too
    assert 'name="export" value="periodic_report"' in html and 'value="period=2026-Q2"' in html
    report = page.context["report"]
    assert report.total["end"] == 11 and len(report.rows) == 2
    q3 = client.get(URL, {"unit": cast.p1.pk, "period": "2026-Q3"})
    assert [r.unit.name for r in q3.context["report"].rows] == ["Đoàn xã Mỹ Hòa"]


def test_grassroots_picks_quarters_only_and_the_future_is_refused(cast, client):
    client.force_login(cast.users["c11"])
    page = client.get(URL)  # default: the last quarter that has ended, for the actor's own unit
    html = page.content.decode()
    assert page.status_code == 200 and page.context["unit"] == cast.c11
    assert 'value="Q4"' in html and 'value="H1"' not in html and 'value="Y"' not in html
    future = client.get(URL, {"period": "2099-Q1"})
    assert future.status_code == 200 and future.context["report"] is None
    assert "chưa bắt đầu" in future.content.decode()
    yearly = client.get(URL, {"period": "2026-Y"})
    assert yearly.context["report"] is None and "theo quý" in yearly.content.decode()


def test_large_subtree_goes_to_the_background_unless_asked(cast, client, monkeypatch):
    monkeypatch.setattr(views, "INLINE_MAX_MEMBERS", 5)
    client.force_login(cast.users["p1"])
    page = client.get(URL, {"unit": cast.p1.pk, "period": "2026-Q2"})
    assert page.context["report"] is None and page.context["large"]
    assert "được tạo trong nền" in page.content.decode()
    shown = client.get(URL, {"unit": cast.p1.pk, "period": "2026-Q2", "show": "1"})
    assert shown.context["report"].total["end"] == 12


def test_sibling_commune_gets_404_and_a_member_login_403(cast, client):
    client.force_login(cast.users["c21"])
    assert client.get(URL, {"unit": cast.c11.pk, "period": "2026-Q2"}).status_code == 404
    assert client.get(URL, {"unit": cast.p1.pk, "period": "2026-Q2"}).status_code == 404
    client.force_login(cast.users["member_b111"])
    assert client.get(URL, {"period": "2026-Q2"}).status_code == 403


def test_page_query_count_does_not_grow_with_rows(cast, client, django_assert_max_num_queries):
    client.force_login(cast.users["central"])
    with django_assert_max_num_queries(25):
        assert client.get(URL, {"unit": cast.tw.pk, "period": "2026-Q2"}).status_code == 200

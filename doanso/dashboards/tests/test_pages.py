"""The page, the API and the export: happy paths and the sibling subtree."""

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from doanso.jobs import services as jobs

pytestmark = pytest.mark.django_db


def test_page_of_own_unit_and_a_child(cast, login):
    client = login(cast.users["p1"])
    page = client.get("/tong-quan/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Tổng quan — Tỉnh đoàn An Giang" in html and 'id="kpi-members">12<' in html
    assert f"?unit={cast.c11.pk}" in html and "<svg" in html and 'id="table-eth"' in html
    child = client.get(f"/tong-quan/?unit={cast.c11.pk}")
    assert child.status_code == 200 and 'id="kpi-members">6<' in child.content.decode()
    assert "Tỉnh đoàn An Giang</a>" in child.content.decode()  # the crumb back up


def test_page_sibling_is_404(cast, login):
    client = login(cast.users["c11"])
    assert client.get(f"/tong-quan/?unit={cast.c12.pk}").status_code == 404
    assert client.get(f"/tong-quan/xep-loai/?unit={cast.c12.pk}").status_code == 404


def test_grades_fragment(cast, login):
    page = login(cast.users["p1"]).get(f"/tong-quan/xep-loai/?unit={cast.p1.pk}")
    assert page.status_code == 200 and "Chưa có đợt đánh giá" in page.content.decode()


def test_member_login_cannot_see_it(cast, login):
    assert login(cast.users["member_b111"]).get("/tong-quan/").status_code == 403


def test_api(cast, login):
    client = login(cast.users["p1"])
    data = client.get(f"/api/dashboard/?unit={cast.c11.pk}").json()
    assert data["unit"]["id"] == cast.c11.pk
    sex = next(t for t in data["tables"] if t["code"] == "sex")
    assert sum(sex["total"].values()) == 6
    assert [c["id"] for c in sex["children"]] == [cast.b111.pk, cast.b112.pk]
    assert len(data["trend"]) == 12 and data["grades"] is None
    assert client.get("/api/dashboard/").json()["unit"]["id"] == cast.p1.pk


def test_api_sibling_is_404(cast, login):
    client = login(cast.users["p2"])
    assert client.get(f"/api/dashboard/?unit={cast.c11.pk}").status_code == 404


def test_export(cast, run_now):
    job = run_now(cast.users["p1"], "export.dashboard", unit=cast.c11.pk, format="xlsx", year="2026")
    assert job.state == "done", job.error
    wb = load_workbook(io.BytesIO((Path(jobs.jobs_root()) / job.result_path).read_bytes()))
    rows = list(wb.active.iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == "STT")
    assert header[:5] == ("STT", "Bảng", "Đơn vị", "Chỉ tiêu", "Số lượng")
    lines = [r for r in rows if r and r[1] == "Đoàn viên theo giới tính"]
    total = {r[3]: r[4] for r in lines if r[2] == "Toàn Đoàn xã Mỹ Hòa"}
    assert total["Nam"] + total["Nữ"] == 6


def test_export_of_a_sibling_is_refused(cast, run_now):
    from doanso.jobs.models import Job
    from doanso.organisations.models import Unit

    with pytest.raises(Unit.DoesNotExist):
        run_now(cast.users["p2"], "export.dashboard", unit=cast.c11.pk, format="xlsx", year="2026")
    assert not Job.objects.exists()

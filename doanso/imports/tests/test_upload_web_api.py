"""Pages and API of the import: happy paths, and the sibling subtree gets 404/403 with nothing changed."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from doanso.imports.models import ImportBatch, ImportState
from doanso.members.models import Member

from .helpers import DATA, HEADER, good_row, upload, xlsx_bytes


def _file(content: bytes, name: str = "ds.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def test_import_page_upload_preview_confirm(cast, login):
    client = login(cast.users["c11"])
    page = client.get(f"/doan-vien/?unit={cast.c11.pk}")
    assert f"/nhap-du-lieu/?unit={cast.c11.pk}" in page.content.decode()  # linked from the member list
    page = client.get(f"/nhap-du-lieu/?unit={cast.c11.pk}")
    assert page.status_code == 200 and "/nhap-du-lieu/mau/members.xlsx" in page.content.decode()
    rows = [good_row(1), good_row(2, **{"Số CCCD": "123"})]
    response = client.post("/nhap-du-lieu/", {"unit": cast.c11.pk, "kind": "members", "file": _file(xlsx_bytes(rows))})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/nhap-du-lieu/{batch.pk}/"
    page = client.get(f"/nhap-du-lieu/{batch.pk}/").content.decode()
    assert "Thêm mới: <b>1</b>" in page and "Có lỗi: <b>1</b>" in page and "Số CCCD phải gồm đúng 12 chữ số" in page
    errors = client.get(f"/nhap-du-lieu/{batch.pk}/dong-loi.xlsx")
    assert list(next(load_workbook(io.BytesIO(errors.content)).active.iter_rows(values_only=True)))[-2] == "Lỗi"
    before = Member.objects.count()
    client.post(f"/nhap-du-lieu/{batch.pk}/xac-nhan/", {"mode": "all"})
    assert Member.objects.count() == before  # refused: a row has an error
    client.post(f"/nhap-du-lieu/{batch.pk}/xac-nhan/", {"mode": "valid"})
    batch.refresh_from_db()
    assert batch.state == ImportState.CONFIRMED and Member.objects.count() == before + 1
    assert "thêm 1, cập nhật 0" in client.get(f"/nhap-du-lieu/{batch.pk}/").content.decode()


def test_upload_page_refuses_bad_file_with_message(cast, login):
    client = login(cast.users["c11"])
    response = client.post("/nhap-du-lieu/", {"unit": cast.c11.pk, "kind": "members", "file": _file(b"", "rong.csv")})
    assert response.status_code == 400 and "rỗng (0 byte)" in response.content.decode()
    response = client.post(
        "/nhap-du-lieu/", {"unit": cast.c11.pk, "kind": "members", "file": _file((DATA / "renamed_text.xlsx").read_bytes(), "x.xlsx")}
    )  # fmt: skip
    assert response.status_code == 400 and "không phải tệp Excel thật" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_sheet_choice_page(cast, login):
    client = login(cast.users["c11"])
    client.post(
        "/nhap-du-lieu/",
        {"unit": cast.c11.pk, "kind": "members", "file": _file((DATA / "two_sheets.xlsx").read_bytes())},
    )
    batch = ImportBatch.objects.get()
    assert "Chọn trang tính cần nhập" in client.get(f"/nhap-du-lieu/{batch.pk}/").content.decode()
    client.post(f"/nhap-du-lieu/{batch.pk}/chon-trang/", {"sheet": "Đoàn viên"})
    batch.refresh_from_db()
    assert batch.state == ImportState.CHECKED and batch.create_count == 3


def test_template_download(cast, login):
    response = login(cast.users["c11"]).get(f"/nhap-du-lieu/mau/members.xlsx?unit={cast.c11.pk}")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert (
        rows[0][:2] == ("Họ và tên *", "Ngày sinh *") and rows[1][8] == "T89-C11-1" and sum(any(r) for r in rows) == 2
    )


def test_sibling_commune_pages_404_nothing_changed(cast, login):
    batch = upload(cast.users["c11"], cast.c11, xlsx_bytes([good_row(5)]))
    client = login(cast.users["c12"])
    assert client.get(f"/nhap-du-lieu/?unit={cast.c11.pk}").status_code == 404
    response = client.post(
        "/nhap-du-lieu/", {"unit": cast.c11.pk, "kind": "members", "file": _file(xlsx_bytes([good_row(6)]))}
    )
    assert response.status_code == 404
    assert client.get(f"/nhap-du-lieu/{batch.pk}/").status_code == 404
    assert client.get(f"/nhap-du-lieu/{batch.pk}/dong-loi.xlsx").status_code == 404
    assert client.post(f"/nhap-du-lieu/{batch.pk}/xac-nhan/", {"mode": "all"}).status_code == 404
    batch.refresh_from_db()
    assert batch.state == ImportState.CHECKED and ImportBatch.objects.count() == 1
    assert not Member.objects.filter(citizen_id="089304000005").exists()
    # a role without member.manage cannot open the page at all
    assert login(cast.users["member_b111"]).get("/nhap-du-lieu/").status_code in (403, 404)


# ---------------------------------------------------------------- API


def test_api_upload_get_errors_confirm(cast, client):
    client.force_login(cast.users["c11"])
    rows = [good_row(7), good_row(8, **{"Dân tộc": "Sao Hỏa"})]
    response = client.post("/api/imports/", {"unit": cast.c11.pk, "file": _file(xlsx_bytes(rows))})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "checked" and body["counts"]["create"] == 1 and body["counts"]["error"] == 1
    assert body["errors"] == [{"row": 3, "outcome": "error", "errors": [
        {"column": "Dân tộc", "value": "Sao Hỏa", "reason": "Dân tộc “Sao Hỏa” không có trong danh mục."}]}]  # fmt: skip
    pk = body["id"]
    assert client.get(f"/api/imports/{pk}/").json()["counts"]["rows"] == 2
    assert client.get(f"/api/imports/?unit={cast.c11.pk}").json()[0]["id"] == pk
    sheet = load_workbook(io.BytesIO(client.get(f"/api/imports/{pk}/errors.xlsx").content)).active
    assert list(sheet.iter_rows(values_only=True))[1][4] == "Sao Hỏa"
    response = client.post(f"/api/imports/{pk}/confirm/", {"mode": "all"}, content_type="application/json")
    assert response.status_code == 400 and "dòng lỗi" in str(response.json()["errors"])
    response = client.post(f"/api/imports/{pk}/confirm/", {"mode": "valid"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["created_count"] == 1
    assert Member.objects.filter(citizen_id="089304000007").exists()


def test_api_bad_file_400(cast, client):
    client.force_login(cast.users["c11"])
    response = client.post("/api/imports/", {"unit": cast.c11.pk, "file": _file(b"", "x.csv")})
    assert response.status_code == 400 and "0 byte" in str(response.json()["errors"]["file"])


def test_api_sibling_subtree_404_nothing_changed(cast, client):
    batch = upload(cast.users["c11"], cast.c11, xlsx_bytes([good_row(9)]))
    client.force_login(cast.users["c12"])
    assert (
        client.post("/api/imports/", {"unit": cast.c11.pk, "file": _file(xlsx_bytes([good_row(10)]))}).status_code
        == 404
    )
    assert client.get(f"/api/imports/{batch.pk}/").status_code == 404
    assert client.get(f"/api/imports/{batch.pk}/errors.xlsx").status_code == 404
    response = client.post(f"/api/imports/{batch.pk}/confirm/", {"mode": "all"}, content_type="application/json")
    assert response.status_code == 404
    assert client.get(f"/api/imports/?unit={cast.c11.pk}").status_code == 404
    batch.refresh_from_db()
    assert batch.state == ImportState.CHECKED and not Member.objects.filter(citizen_id="089304000009").exists()
    assert ImportBatch.objects.count() == 1 and HEADER

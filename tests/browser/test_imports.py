"""Import a sheet of members on a phone: upload, preview with an error, download the error rows, confirm valid rows."""

import pytest

from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_import_members_from_a_sheet(live_cast, phone, settings, tmp_path):
    from doanso.imports.models import ImportBatch
    from doanso.imports.tests.helpers import good_row, xlsx_bytes
    from doanso.members.models import Member

    settings.IMPORT_ROOT = tmp_path / "imports"
    settings.JOBS_ROOT = tmp_path / "jobs"
    sheet = tmp_path / "doan-vien.xlsx"
    sheet.write_bytes(xlsx_bytes([good_row(1), good_row(2), good_row(3, **{"Số CCCD": "0893"})]))
    page = phone
    page.goto("/dang-nhap/")
    page.fill("#id_username", "c11")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"/doan-vien/?unit={live_cast.units['c11'].pk}")
    page.click("text=Nhập dữ liệu")
    page.wait_for_selector("h1:has-text('Nhập dữ liệu')")
    page.set_input_files("#id_file", str(sheet))
    page.click("text=Tải lên và kiểm tra")
    page.wait_for_selector(".import-summary[data-state=checked]")
    assert page.inner_text("[data-group=create] b") == "2" and page.inner_text("[data-group=error] b") == "1"
    assert "Số CCCD phải gồm đúng 12 chữ số" in page.inner_text(".import-rows")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    with page.expect_download() as info:
        page.click("text=Tải các dòng lỗi (.xlsx)")
    assert info.value.suggested_filename.startswith("dong-loi-nhap-")
    assert Member.objects.filter(citizen_id__startswith="089304").count() == 0  # nothing before confirmation
    page.check("input[name=mode][value=valid]")
    page.click("text=Xác nhận nhập 2 dòng")
    page.wait_for_selector(".import-summary[data-state=confirmed]")
    assert "thêm 2, cập nhật 0" in page.inner_text(".done-counts")
    assert Member.objects.filter(citizen_id__startswith="089304").count() == 2
    assert ImportBatch.objects.get().confirmed_by.username == "c11"

"""Procedures in a real browser on a phone: admission from candidate to member, a transfer accepted."""

from datetime import date

import pytest

from conftest import make_cccd

from .test_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admission_on_a_phone(live_cast, phone, browser, live_server):
    from doanso.members.models import Member

    page = phone
    log_in(page, "b111")
    page.goto(f"/nghiep-vu/thanh-nien/them/?unit={live_cast.b111.pk}")
    dob = date(2009, 6, 1)
    page.fill("#id_full_name", "Quách Thị Thanh Trúc")
    page.fill("#id_date_of_birth", "01/06/2009")
    page.check("input[name=sex][value=F]")
    page.fill("#id_citizen_id", make_cccd(dob, "F"))
    page.fill("#id_applied_on", date.today().strftime("%d/%m/%Y"))
    page.fill("#id_course_passed_on", date.today().strftime("%d/%m/%Y"))
    page.select_option("#id_sponsor_kind", "member")
    page.select_option("#id_sponsor_member", str(live_cast.m_b111_1.pk))
    page.click("button:has-text('Lưu')")
    page.wait_for_selector("text=Quách Thị Thanh Trúc")
    page.click("text=Lập hồ sơ kết nạp")
    page.check("input[name=youth]")
    page.click("button:has-text('Lập hồ sơ')")
    page.wait_for_selector("text=Ghi kết quả biểu quyết của chi đoàn")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.fill("#present", "15")
    page.fill("input[name^=for_]", "12")
    page.click("button:has-text('Ghi kết quả biểu quyết')")
    page.wait_for_selector("#case-state:has-text('chờ cấp trên chuẩn y')")
    case_url = page.url
    # The commune secretary approves from their own phone.
    other = browser.new_context(viewport={"width": 360, "height": 740}, base_url=live_server.url).new_page()
    log_in(other, "c11")
    other.wait_for_selector(".badge")
    other.goto(case_url)
    other.fill("#id_decision_number", "21-QĐ/ĐTN")
    other.fill("#id_signer", "Nguyễn Văn An")
    other.click("button:has-text('Chuẩn y kết nạp')")
    other.wait_for_selector("#case-state:has-text('đã kết nạp')")
    assert Member.objects.filter(full_name="Quách Thị Thanh Trúc", unit=live_cast.b111).exists()
    with other.expect_download() as download:
        other.click("text=PDF")
    assert download.value.suggested_filename.endswith(".pdf")

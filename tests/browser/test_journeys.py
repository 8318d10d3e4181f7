"""One pass through each user journey in a real browser, on a phone-sized screen."""

import re
from datetime import date

import pytest

from conftest import PASSWORD, make_cccd

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, username):
    page.goto("/dang-nhap/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_branch_secretary_adds_a_member_on_a_phone(live_cast, phone):
    from doanso.members.models import Member

    page = phone
    log_in(page, "c11")
    page.wait_for_selector("h1:has-text('Đoàn xã Mỹ Hòa')")
    # Nothing overflows a 360-px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # The tree opens lazily: the branch's node was not in the page before the click.
    page.click("a:has-text('Chi đoàn 1')")
    page.wait_for_selector("h1:has-text('Chi đoàn 1')")
    page.click("text=+ Thêm đoàn viên")
    page.fill("#id_full_name", "Đinh Thị Ngọc Ánh")
    page.fill("#id_date_of_birth", "31/02/2004")  # an impossible date
    page.check("input[name=sex][value=F]")
    dob = date(2004, 2, 29)
    page.fill("#id_citizen_id", make_cccd(dob, "F"))
    page.fill("#id_admitted_on", "26/03/2021")
    page.click("button:has-text('Lưu')")
    assert page.locator(".error").first.inner_text().startswith("Ngày sinh")
    assert Member.objects.filter(full_name="Đinh Thị Ngọc Ánh").count() == 0
    page.fill("#id_date_of_birth", "29/02/2004")
    page.fill("#id_phone", "0162 345 6789")  # an old 11-digit number, converted
    page.click("button:has-text('Lưu')")
    page.wait_for_selector("h1:has-text('Đinh Thị Ngọc Ánh')")
    assert "29/02/2004" in page.content()
    member = Member.objects.get(full_name="Đinh Thị Ngọc Ánh")
    assert member.phone == "+84323456789"
    assert member.unit == live_cast.b111
    # Find her again without diacritics.
    page.goto(f"/doan-vien/?unit={live_cast.c11.pk}&q=dinh+thi+ngoc")
    assert page.locator(".person").count() == 1
    assert "Đinh Thị Ngọc Ánh" in page.locator(".person").first.inner_text()


def test_search_and_filters_update_the_list(live_cast, desktop):
    page = desktop
    log_in(page, "p1")
    page.goto(f"/doan-vien/?unit={live_cast.p1.pk}")
    assert page.locator("#total").inner_text() == "12"
    page.fill("input[name=q]", "nguyen van an")
    page.wait_for_function("document.querySelector('#total').innerText === '1'")
    assert "Nguyễn Văn An" in page.locator(".person").first.inner_text()
    page.fill("input[name=q]", "")
    page.click("summary:has-text('Bộ lọc')")
    page.select_option("select[name=sex]", "F")
    from doanso.members.models import Member

    women = Member.objects.filter(scope1=live_cast.p1.pk, sex="F").count()
    assert 0 < women < 12
    page.wait_for_function(f"document.querySelector('#total').innerText === '{women}'")
    names = page.locator(".person b").all_inner_texts()
    assert names and all(" Thị " in n for n in names)


def test_member_sees_only_their_own_book(live_cast, phone):
    from doanso.dues.months import month_add, month_of
    from doanso.dues.services import ledger_start_set

    page = phone
    member = live_cast.members["member_b111"]
    # The branch keeps its dues book from two months back; nothing is paid yet: three months owed.
    ledger_start_set(actor=live_cast.users["b111"], unit=live_cast.b111, month=month_add(month_of(date.today()), -2))
    log_in(page, member.citizen_id)
    page.wait_for_selector("text=Sổ đoàn viên điện tử")
    assert member.full_name in page.content()
    assert page.locator("#dues-summary").inner_text() == "Còn nợ đoàn phí 3 tháng"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # The personal record is folded; the row of links reaches each part and stays at the top.
    assert not page.locator("#ho-so dd.mono").is_visible()
    assert page.evaluate("document.querySelector('#qua-trinh').getBoundingClientRect().top") > 740  # below the fold
    page.click(".jump >> text=Quá trình")
    page.wait_for_function(
        "window.scrollY > 0 && document.querySelector('#qua-trinh').getBoundingClientRect().top < 700"
    )
    page.click(".jump >> text=Hồ sơ")
    page.click("#ho-so summary")
    assert page.locator("#ho-so dd.mono").inner_text().startswith(member.citizen_id)
    response = page.goto(f"/doan-vien/{live_cast.members['m_b111_1'].pk}/")
    assert response.status == 404
    response = page.goto("/don-vi/")
    assert response.status == 403


def test_province_merges_two_branches_and_can_undo(live_cast, desktop):
    from doanso.members.models import Member

    page = desktop
    log_in(page, "p1")
    b111, b112 = live_cast.b111, live_cast.b112
    page.goto(f"/don-vi/{b112.pk}/hop-nhat/")
    page.fill("input[name=survivor_q]", "chi doan 1 my hoa")
    page.check(f"input[name=survivor][value='{b111.pk}']")
    page.fill("#id_effective_on", date.today().strftime("%d/%m/%Y"))
    page.click("button:has-text('Xác nhận')")
    page.wait_for_selector(".msg")
    assert Member.objects.filter(unit=b111).count() == 6
    page.goto(f"/don-vi/{b112.pk}/lich-su/")
    page.click("text=Hủy hợp nhất")
    page.fill("#id_effective_on", date.today().strftime("%d/%m/%Y"))
    page.click("button:has-text('Xác nhận')")
    page.wait_for_selector(".msg")
    assert Member.objects.filter(unit=b112).count() == 3
    assert re.search(r"Hợp nhất", page.goto(f"/don-vi/{b112.pk}/lich-su/").text())

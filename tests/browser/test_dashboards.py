"""The dashboard on a phone: the province opens it from the menu, goes down to a commune by
clicking it, sees an admission of a second ago counted, and goes back up by the breadcrumb."""

from datetime import date

import pytest
from django.utils import timezone

from conftest import member_data

from .test_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_down_the_tree_and_live_on_a_phone(live_cast, phone):
    from doanso.members.services import member_create

    page = phone
    log_in(page, "p1")
    page.wait_for_selector("text=Đăng xuất")
    page.click("nav >> text=Tổng quan")
    page.wait_for_selector("h1:has-text('Tổng quan — Tỉnh đoàn An Giang')")
    assert page.locator("#kpi-members").inner_text() == "12"
    assert page.locator("#section-sex svg rect").count() > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.wait_for_selector("#grades:has-text('Xếp loại đoàn viên')")  # loaded after the page (HTMX)

    page.click("#children >> text=Đoàn xã Mỹ Hòa")
    page.wait_for_selector("h1:has-text('Tổng quan — Đoàn xã Mỹ Hòa')")
    assert page.locator("#kpi-members").inner_text() == "6"
    assert page.locator("#kpi-admitted").inner_text() == "0"

    today = timezone.localdate()
    member_create(
        actor=live_cast.users["c11"], unit=live_cast.b111, accept_warnings=True,
        data=member_data("Đinh Thị Hoa", dob=date(today.year - 17, 1, 2), sex="F", admitted_on=today),
    )  # fmt: skip
    page.reload()
    assert page.locator("#kpi-members").inner_text() == "7"
    assert page.locator("#kpi-admitted").inner_text() == "1"
    assert "Nữ" in page.locator("#table-sex").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.click(".crumbs >> text=Tỉnh đoàn An Giang")
    page.wait_for_selector("h1:has-text('Tổng quan — Tỉnh đoàn An Giang')")
    assert page.locator("#kpi-members").inner_text() == "13"

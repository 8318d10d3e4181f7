"""Union dues in a real browser on a phone: a branch collects a month, corrects a mistake, the member sees it."""

from datetime import date

import pytest

from .test_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_branch_collects_dues_for_a_month_and_corrects_a_mistake(live_cast, phone):
    from doanso.dues.models import DuesEntry, DuesMonth
    from doanso.dues.months import month_add, month_of

    page = phone
    last = month_add(month_of(date.today()), -1)
    absent, payer = live_cast.m_b111_2, live_cast.m_b111_1
    log_in(page, "b111")
    page.wait_for_selector("text=Đăng xuất")
    page.click("nav >> text=Đoàn phí")
    page.wait_for_selector("h1:has-text('Đoàn phí tháng')")
    page.goto(f"/doan-phi/?unit={live_cast.b111.pk}&month={last:%Y-%m}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Everyone is ticked by default: untick the one who did not pay, save once.
    assert page.locator("input[name=pay]:checked").count() == 3
    page.uncheck(f"input[name=pay][value='{absent.pk}']")
    page.click("button:has-text('Ghi nhận cả chi đoàn')")
    page.wait_for_selector("text=Đã ghi nhận 2 đoàn viên")
    assert "2/3" in page.locator("#dues-summary").inner_text()
    assert set(DuesMonth.objects.filter(month=last).values_list("member_id", flat=True)) == {
        live_cast.m_b111_0.pk,
        payer.pk,
    }
    # A mistake: the payer's amount was wrong. Correct it from the member's book; both entries stay.
    page.click(f"a:has-text('{payer.full_name}')")
    page.wait_for_selector(f"h1:has-text('{payer.full_name}')")
    entry = DuesEntry.objects.get(member=payer)
    page.click(f"#entry-{entry.pk} summary")
    page.fill(f"#reason-{entry.pk}", "Thu nhầm số tiền")
    page.fill(f"#camount-{entry.pk}", "3000")
    page.click(f"#entry-{entry.pk} button:has-text('Ghi bút toán điều chỉnh')")
    page.wait_for_selector("text=Đã ghi bút toán điều chỉnh")
    assert DuesEntry.objects.filter(member=payer).count() == 3
    assert DuesMonth.objects.get(member=payer, month=last).amount == 3000
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # The member sees their own payment (and what is still due) in the e-member book.
    page.click("text=Đăng xuất")
    log_in(page, live_cast.members["member_b111"].citizen_id)
    page.wait_for_selector("text=Sổ đoàn viên điện tử")
    assert "Đoàn phí" in page.locator("#dues").inner_text()
    assert last.strftime("%m/%Y") in page.locator("#dues").inner_text()

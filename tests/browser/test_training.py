"""The self-improvement programme and the Party referral in a real browser, on a phone."""

from datetime import date

import pytest

from .test_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def phone_for(browser, live_server, username):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10000)
    log_in(page, username)
    return context, page


def test_remind_register_and_confirm_the_result_on_phones(live_cast, browser, live_server):
    from doanso.training import services
    from doanso.training.models import Registration

    year = date.today().year
    areas = [
        {"name": "Học tập", "targets": "Đọc sách", "assessment": "Chi đoàn đánh giá"},
        {"name": "Tình nguyện", "targets": "2 hoạt động", "assessment": "Xác nhận của ban tổ chức"},
    ]
    services.programme_create(
        actor=live_cast.users["p1"], unit=live_cast.p1, year=year, title="Rèn luyện An Giang", areas=areas, publish=True
    )
    member = live_cast.members["member_b111"]

    # The branch secretary taps "remind" for the whole branch.
    ctx, page = phone_for(browser, live_server, "b111")
    page.goto(f"/ren-luyen/chi-doan/?unit={live_cast.b111.pk}&year={year}")
    assert "0</b> đã đăng ký" in page.inner_html("#training-summary")
    page.click("#remind-all")
    page.wait_for_selector("text=Đã nhắc 3 đoàn viên.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    ctx.close()

    # The member sees the reminder in the e-member book and registers targets.
    ctx, page = phone_for(browser, live_server, member.citizen_id)
    page.wait_for_selector("#training-book")
    assert "nhắc bạn đăng ký" in page.inner_text("#training-book")
    page.click("#training-book a")
    page.fill("textarea >> nth=0", "Đọc 6 cuốn sách, học xong tin học văn phòng")
    page.click("#register-targets")
    page.wait_for_selector("text=Đã đăng ký chương trình rèn luyện.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert Registration.objects.get(member=member).state == "registered"
    ctx.close()

    # The branch confirms the year-end result on the bulk screen.
    ctx, page = phone_for(browser, live_server, "b111")
    page.goto(f"/ren-luyen/ket-qua/?unit={live_cast.b111.pk}&year={year}")
    page.select_option(f"select[name=level_{member.pk}]", "excellent")
    page.click("#confirm-results")
    page.wait_for_selector("text=Đã xác nhận kết quả cho 1 đoàn viên.")
    ctx.close()
    assert Registration.objects.get(member=member).result == "excellent"

    ctx, page = phone_for(browser, live_server, member.citizen_id)
    page.wait_for_selector("#training-book")
    assert "Xuất sắc" in page.inner_text("#training-book")
    ctx.close()


def test_branch_nominates_and_the_commune_introduces_to_the_party(live_cast, browser, live_server):
    from doanso.procedures.models import Case

    member = live_cast.m_b111_1
    today = date.today().strftime("%d/%m/%Y")
    ctx, page = phone_for(browser, live_server, "b111")
    page.goto(f"/nghiep-vu/uu-tu/de-nghi/?unit={live_cast.b111.pk}")
    page.check(f"input[name=member][value='{member.pk}']")
    page.fill("#resolution", "Nghị quyết số 3")
    page.click("button:has-text('Gửi đề nghị')")
    page.wait_for_selector("#referral-facts")
    assert "HTXS" in page.content()  # no grade yet: a warning, not a block
    ctx.close()
    case = Case.objects.get(kind="party_referral")

    ctx, page = phone_for(browser, live_server, "c11")
    page.goto(f"/nghiep-vu/{case.pk}/")
    page.fill("#introduce_introduced_on", today)
    page.fill("#introduce_party_cell", "Chi bộ ấp Mỹ Hòa 1")
    page.click("button:has-text('Giới thiệu đoàn viên ưu tú với chi bộ Đảng')")
    page.wait_for_selector("text=Chi bộ ấp Mỹ Hòa 1")
    page.goto(f"/nghiep-vu/uu-tu/?unit={live_cast.c11.pk}")
    assert member.full_name in page.inner_text("#referral-rows")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    ctx.close()
    case.refresh_from_db()
    assert case.state == "introduced"

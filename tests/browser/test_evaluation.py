"""A full evaluation round in a real browser on a phone: the member self-assesses, the branch grades
its whole list on one screen, the commune approves all branches at once, the province sees the counts."""

from datetime import date

import pytest

from .test_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_out(page):
    page.click("button:has-text('Đăng xuất')")


def test_evaluation_round_on_a_phone(live_cast, phone):
    from doanso.evaluation.models import Evaluation, EvaluationRound
    from doanso.members.models import Member

    page = phone
    year = date.today().year
    # The commune opens the round.
    log_in(page, "c11")
    page.goto("/danh-gia/")
    page.select_option("select[name=year]", str(year))
    page.click("button:has-text('Mở đợt đánh giá')")
    page.wait_for_selector("#round-state:has-text('Đang đánh giá')")
    rnd = EvaluationRound.objects.get(unit=live_cast.c11, year=year)
    log_out(page)

    # The member self-assesses from the e-member book.
    member = live_cast.members["member_b111"]
    log_in(page, member.citizen_id)
    page.wait_for_selector("#self-assess")
    page.check("#self-assess input[name=grade][value=excellent]")
    page.fill("#id_self_text", "Tham gia đầy đủ sinh hoạt, đạt giải nhì hội thi cấp xã.")
    page.click("#self-assess button[type=submit]")
    page.wait_for_selector("text=Đã gửi bản tự đánh giá")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    log_out(page)

    # The branch grades its whole list: the self-assessed HTXS is the default and needs a justification.
    log_in(page, "b111")
    page.goto(f"/danh-gia/{rnd.pk}/chi-doan/{live_cast.b111.pk}/")
    assert page.is_checked(f"input[name=grade_{member.pk}][value=excellent]")
    for m in Member.objects.filter(unit=live_cast.b111).exclude(pk=member.pk):
        page.locator(f"input[name=grade_{m.pk}][value=good]").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("#submit-sheet")
    page.wait_for_selector("#sheet-errors")
    assert "giải trình" in page.locator(f"#row-{member.pk} .error").inner_text()
    assert not Evaluation.objects.filter(stage="proposed").exists()
    page.fill(f"textarea[name=just_{member.pk}]", "Chi đoàn thống nhất: đạt giải nhì hội thi cấp xã.")
    page.click("#submit-sheet")
    page.wait_for_selector("text=Đã lưu đề xuất")
    assert Evaluation.objects.filter(stage="proposed").count() == 3
    log_out(page)

    # The commune: approving everything is refused while Chi đoàn 2 has not proposed; after it, all at once.
    log_in(page, "c11")
    page.goto(f"/danh-gia/{rnd.pk}/")
    page.click("#approve-all")
    page.wait_for_selector("text=còn 3 đoàn viên chưa được chi đoàn đề xuất")
    page.goto(f"/danh-gia/{rnd.pk}/chi-doan/{live_cast.b112.pk}/")
    for m in Member.objects.filter(unit=live_cast.b112):
        page.locator(f"input[name=grade_{m.pk}][value=done]").check()
    page.click("#submit-sheet")
    page.wait_for_selector("text=Đã lưu đề xuất")
    page.goto(f"/danh-gia/{rnd.pk}/")
    page.click("#approve-all")
    page.wait_for_selector("#round-state:has-text('Đã phê duyệt và khóa')")
    assert Evaluation.objects.filter(stage="approved").count() == 6
    log_out(page)

    # The province sees live counts per commune, with the HTXS cap warning (1 HTXS for 2 HTT).
    log_in(page, "p1")
    page.goto(f"/danh-gia/ket-qua/?unit={live_cast.p1.pk}&year={year}")
    assert page.locator("#grand-total").inner_text() == "6"
    assert page.locator("#cap-warning").is_visible()
    assert page.locator("svg.ev-chart rect").count() >= 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

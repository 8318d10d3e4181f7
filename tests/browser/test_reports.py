"""The periodic report on a phone: pick a quarter, see the tree as it was, export the PDF in the background."""

import pytest
from pypdf import PdfReader

from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_province_reads_q2_as_it_was_and_exports_the_report(live_cast, phone, settings, tmp_path):
    from doanso.jobs.models import Job
    from doanso.jobs.tasks import run_queued
    from doanso.reports.tests.helpers import tell_story

    settings.JOBS_ROOT = tmp_path / "jobs"
    settings.JOBS_BACKEND = "database"  # queued; this test plays the worker
    tell_story(live_cast)  # Long Xuyên merged into Tân Thành (Cà Mau) on 15/08/2026
    page = phone
    page.goto("/dang-nhap/")
    page.fill("#id_username", "p1")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.click("text=Báo cáo")
    page.select_option("select[name=part]", "Q2")
    page.select_option("select[name=year]", "2026")
    page.click("#period-form button[type=submit]")
    page.wait_for_selector("#report-title:has-text('Quý II/2026')")
    table = page.inner_text("#report-table")
    assert "Đoàn phường Long Xuyên" in table and "Đã hợp nhất 15/08/2026" in table
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # the wide table scrolls in its box
    page.click(".export-buttons button[value=pdf]")
    page.wait_for_selector(".export-progress .job[data-state=queued]")
    job = Job.objects.get()
    assert job.params["period"] == "2026-Q2"
    assert run_queued() == 1
    page.wait_for_selector(".export-progress .job[data-state=done]")
    with page.expect_download() as info:
        page.click(".export-progress a.download")
    path = tmp_path / "report.pdf"
    info.value.save_as(path)
    text = PdfReader(path).pages[0].extract_text()
    assert "BÁO CÁO THỐNG KÊ ĐOÀN VIÊN — Quý II/2026" in text and "Long Xuyên" in text
    # Q3: the merged commune is gone from An Giang.
    page.select_option("select[name=part]", "Q3")
    page.click("#period-form button[type=submit]")
    page.wait_for_selector("#report-title:has-text('Quý III/2026')")
    assert "Long Xuyên" not in page.inner_text("#report-table")

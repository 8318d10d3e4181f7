"""Export the member list in the background on a phone: start, watch the progress bar, download."""

import pytest
from openpyxl import load_workbook

from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_export_the_member_list_in_the_background(live_cast, phone, settings, tmp_path):
    from doanso.jobs.models import Job
    from doanso.jobs.tasks import run_queued

    settings.JOBS_ROOT = tmp_path / "jobs"
    settings.JOBS_BACKEND = "database"  # queued; this test plays the worker
    page = phone
    page.goto("/dang-nhap/")
    page.fill("#id_username", "c11")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"/doan-vien/?unit={live_cast.c11.pk}")
    page.fill("input[name=q]", "nguyen")  # a filter typed after the page loaded is exported too
    page.wait_for_timeout(600)
    page.click(".export-buttons button[value=xlsx]")
    page.wait_for_selector(".export-progress .job[data-state=queued]")
    assert "Đang chờ" in page.inner_text(".export-progress")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    job = Job.objects.get()
    assert job.params["q"] == "nguyen"
    assert run_queued() == 1  # the worker's loop, called directly
    page.wait_for_selector(".export-progress .job[data-state=done]")  # the polled bar turns into a link
    with page.expect_download() as info:
        page.click(".export-progress a.download")
    path = tmp_path / "download.xlsx"
    info.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))[5:]
    assert rows and all(r[1].startswith("Nguyễn") for r in rows)
    # … and the job is there to find again in "Công việc của tôi".
    page.click("text=Công việc của tôi")
    page.wait_for_selector("h1:has-text('Công việc của tôi')")
    assert page.locator(".job[data-state=done] a.download").count() == 1

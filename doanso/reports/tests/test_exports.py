"""The report as a background export: Excel and PDF in the Union's document layout."""

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from doanso.jobs import services
from doanso.jobs.models import ExportLog, Job, JobState
from doanso.organisations.models import Unit

from .helpers import tell_story

pytestmark = pytest.mark.django_db


def result(job) -> bytes:
    return (Path(services.jobs_root()) / job.result_path).read_bytes()


def test_xlsx_is_the_report_in_the_union_layout(cast, run_now):
    tell_story(cast)
    job = run_now(cast.users["p1"], "export.periodic_report", format="xlsx", period="2026-Q2")
    assert job.state == JobState.DONE, job.error
    assert job.row_count == 2 and job.result_name.startswith("periodic-report-T89-")
    rows = list(load_workbook(io.BytesIO(result(job))).active.iter_rows(values_only=True))
    assert rows[0][0] == "TRUNG ƯƠNG ĐOÀN TNCS HỒ CHÍ MINH" and "ĐOÀN TNCS HỒ CHÍ MINH" in rows[0]
    assert rows[1][0] == "TỈNH ĐOÀN AN GIANG"
    assert rows[4][0] == "BÁO CÁO THỐNG KÊ ĐOÀN VIÊN — Quý II/2026"
    assert rows[5][0] == "Từ ngày 01/04/2026 đến ngày 30/06/2026"
    header = rows[7]
    assert header[:4] == ("STT", "Đơn vị", "Đoàn viên đầu kỳ", "Đoàn viên cuối kỳ")
    body = {r[1]: r for r in rows[8:11]}
    assert body["Đoàn phường Long Xuyên (Đã hợp nhất 15/08/2026)"][2:4] == (6, 5)
    assert body["Đoàn xã Mỹ Hòa"][2:4] == (5, 6)
    assert body["Tổng cộng"][2:4] == (11, 11)
    flat = [c for r in rows[11:] for c in r if c]
    assert "TM. BAN THƯỜNG VỤ" in flat and "BÍ THƯ" in flat and "Nơi nhận:" in flat
    log = ExportLog.objects.get(job=job)
    assert log.export == "periodic_report" and not log.personal_data


def test_pdf_text_has_header_title_table_and_signer(cast, run_now):
    from pypdf import PdfReader

    tell_story(cast)
    job = run_now(cast.users["c11"], "export.periodic_report", format="pdf", period="2026-Q3")
    assert job.state == JobState.DONE, job.error
    text = PdfReader(io.BytesIO(result(job))).pages[0].extract_text()
    for part in ("ĐOÀN TNCS HỒ CHÍ MINH", "ĐOÀN XÃ MỸ HÒA", "BÁO CÁO THỐNG KÊ ĐOÀN VIÊN — Quý III/2026",
                 "Từ ngày 01/07/2026 đến ngày 30/09/2026", "Chi đoàn 1", "Tổng cộng", "TM. BAN CHẤP HÀNH"):  # fmt: skip
        assert part in text, part


def test_bad_or_future_period_is_refused_at_start(cast):
    with pytest.raises(ValidationError) as exc:
        services.job_start(actor=cast.users["p1"], kind="export.periodic_report",
                           params={"format": "xlsx", "period": "2099-Q1"})  # fmt: skip
    assert "chưa bắt đầu" in exc.value.message_dict["period"][0]
    with pytest.raises(ValidationError):
        services.job_start(actor=cast.users["c11"], kind="export.periodic_report",
                           params={"format": "xlsx", "period": "2026-Y", "unit": cast.c11.pk})  # fmt: skip
    with pytest.raises(ValidationError):
        services.job_start(actor=cast.users["p1"], kind="export.periodic_report",
                           params={"format": "csv", "period": "2026-Q2"})  # fmt: skip
    assert Job.objects.count() == 0


def test_sibling_commune_cannot_export_another_subtree(cast):
    with pytest.raises(Unit.DoesNotExist):
        services.job_start(actor=cast.users["c21"], kind="export.periodic_report",
                           params={"format": "pdf", "period": "2026-Q2", "unit": cast.c11.pk})  # fmt: skip
    assert Job.objects.count() == 0

"""Each registered export's content against a direct query of the same rows."""

import io
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from doanso.evaluation.models import Evaluation
from doanso.jobs import services
from doanso.jobs.models import JobState
from doanso.members.models import Member
from doanso.members.services import member_update

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


def xlsx_data(job):
    wb = load_workbook(io.BytesIO((Path(services.jobs_root()) / job.result_path).read_bytes()))
    rows = list(wb.active.iter_rows(values_only=True))
    return rows[4], rows[5:]


def test_member_export_is_the_list_with_its_filters_in_name_order(cast, run_now):
    job = run_now(cast.users["p1"], "export.members", unit=cast.p1.pk, format="xlsx", sex="F")
    header, data = xlsx_data(job)
    assert header[:3] == ("STT", "Họ và tên", "Ngày sinh")
    expected = list(
        Member.objects.filter(scope1=cast.p1.pk, sex="F", status__in=["active", "in_transit"])
        .order_by("sort_key", "id")
        .values_list("full_name", "citizen_id")
    )
    assert [(r[1], r[5]) for r in data] == expected
    assert [r[0] for r in data] == list(range(1, len(expected) + 1))
    assert {r[3] for r in data} == {"Nữ"}
    assert "Nữ" in job.label


def test_member_export_stays_in_the_subtree_and_neutralises_formulas(cast, run_now):
    m = cast.m_b111_1
    member_update(actor=cast.users["c11"], member=m, data={"card_number": '=HYPERLINK("x")'})
    job = run_now(cast.users["c11"], "export.members", format="csv")
    body = (Path(services.jobs_root()) / job.result_path).read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in body
    assert cast.m_b121_0.full_name not in body and cast.m_b211_0.full_name not in body
    assert len(body.strip().splitlines()) == 1 + 6


def test_member_export_only_direct_members(cast, run_now):
    job = run_now(cast.users["c11"], "export.members", unit=cast.b111.pk, format="csv", include_descendants="0")
    assert job.row_count == Member.objects.filter(unit=cast.b111).count() == 3


@pytest.fixture
def graded(cast):
    """Commune C11 grades its six members for this year and approves; C12 only proposes."""
    from doanso.evaluation import services as ev

    grades = ["good", "good", "done", "failed", "good", "done"]
    for commune, approve in (("c11", True), ("c12", False)):
        actor = cast.users[commune]
        rnd = ev.round_open(actor=actor, unit=cast.units[commune], year=YEAR)
        members = Member.objects.filter(scope2=cast.units[commune].pk).order_by("pk")
        for branch_key in (f"b{commune[1:]}1", f"b{commune[1:]}2"):
            branch = cast.units[branch_key]
            rows = [
                {"member": m.pk, "grade": grades[i % len(grades)], "justification": ""}
                for i, m in enumerate(members)
                if m.unit_id == branch.pk
            ]
            ev.sheet_submit(actor=actor, rnd=rnd, branch=branch, rows=rows)
        if approve:
            ev.round_approve(actor=actor, rnd=rnd)
    return cast


def test_evaluation_summary_is_counts_and_shares_per_child_with_total(graded, run_now):
    job = run_now(graded.users["p1"], "export.evaluation_summary", unit=graded.p1.pk, format="xlsx", year=str(YEAR))
    assert job.state == JobState.DONE, job.error
    header, data = xlsx_data(job)
    assert header[:5] == ("STT", "Đơn vị", "Tổng số", "HTXS (SL)", "HTXS (%)")
    by_name = {r[1]: r for r in data}
    assert set(by_name) == {"Đoàn xã Mỹ Hòa", "Đoàn phường Long Xuyên", "Tổng cộng"}
    approved = Evaluation.objects.filter(year=YEAR, stage="approved", unit_path__startswith=graded.c11.path)
    for grade, col in (("excellent", 3), ("good", 5), ("done", 7), ("failed", 9)):
        n = approved.filter(grade=grade).count()
        assert by_name["Đoàn xã Mỹ Hòa"][col] == n
        assert by_name["Tổng cộng"][col] == n  # C12's grades are only proposed
        assert by_name["Đoàn xã Mỹ Hòa"][col + 1] == round(100 * n / approved.count(), 1)
    assert by_name["Đoàn phường Long Xuyên"][2] == 0
    assert data[-1][1] == "Tổng cộng" and data[-1][2] == approved.count() == 6
    assert job.params == {"format": "xlsx", "unit": graded.p1.pk, "year": YEAR}


def test_proposed_stage_counts_the_proposals(graded, run_now):
    job = run_now(graded.users["p1"], "export.evaluation_summary", format="csv", year=str(YEAR), stage="proposed")
    lines = (Path(services.jobs_root()) / job.result_path).read_text(encoding="utf-8-sig").splitlines()
    total = lines[-1].split(",")
    assert total[1] == "Tổng cộng" and total[2] == "6"


def test_grade_list_matches_the_approved_grades(graded, run_now):
    job = run_now(graded.users["c11"], "export.grades", format="xlsx", year=str(YEAR))
    header, data = xlsx_data(job)
    assert header[6] == "Xếp loại"
    expected = Evaluation.objects.filter(year=YEAR, stage="approved", unit_path__startswith=graded.c11.path)
    assert len(data) == expected.count() == job.row_count == job.progress_total == 6
    shorts = {"excellent": "HTXS", "good": "HTT", "done": "HT", "failed": "KHT"}
    by_name = {r[1]: r[6] for r in data}
    for ev in expected.select_related("member"):
        assert by_name[ev.member.full_name] == shorts[ev.grade]
    assert all("*" in r[4] for r in data)  # CCCD masked, as the selector gives it


def test_grade_list_of_a_sibling_is_refused(graded):
    from doanso.organisations.models import Unit

    with pytest.raises(Unit.DoesNotExist):
        services.job_start(
            actor=graded.users["c12"],
            kind="export.grades",
            params={"format": "xlsx", "year": YEAR, "unit": graded.c11.pk},
        )


def test_summary_pdf(graded, run_now):
    from pypdf import PdfReader

    job = run_now(graded.users["p1"], "export.evaluation_summary", format="pdf", year=str(YEAR))
    text = PdfReader(Path(services.jobs_root()) / job.result_path).pages[0].extract_text()
    assert "TỔNG HỢP KẾT QUẢ XẾP LOẠI ĐOÀN VIÊN" in text and f"Năm {YEAR}" in text and "Tổng cộng" in text


def test_party_referral_list_matches_the_selector(cast, run_now):
    from doanso.procedures.referral import referral_nominate
    from doanso.procedures.selectors import party_referral_rows

    today = timezone.localdate()
    for m in (cast.m_b111_1, cast.m_b112_0, cast.m_b121_0):
        referral_nominate(
            actor=cast.users["c11" if m.unit.parent_id == cast.c11.pk else "c12"], member=m, meeting_on=today
        )
    job = run_now(cast.users["c11"], "export.party_referrals", format="xlsx", year=str(today.year))
    header, data = xlsx_data(job)
    assert header[:3] == ("STT", "Họ và tên", "Ngày sinh")
    expected = list(party_referral_rows(actor=cast.users["c11"], unit=cast.c11, year=today.year))
    assert [r[1] for r in data] == [e["member_name"] for e in expected] and len(data) == 2
    assert cast.m_b121_0.full_name not in {r[1] for r in data}  # C12's nomination stays in C12


def test_dues_arrears_matches_the_selector(cast, run_now):
    from doanso.dues.selectors import arrears_rows

    everyone = run_now(cast.users["c11"], "export.dues_arrears", format="csv", all="1")
    lines = (Path(services.jobs_root()) / everyone.result_path).read_text(encoding="utf-8-sig").splitlines()
    expected = list(arrears_rows(actor=cast.users["c11"], unit=cast.c11, action="export"))
    assert [line.split(",")[1] for line in lines[1:]] == [r.full_name for r in expected]
    assert len(expected) == 6
    owing = run_now(cast.users["c11"], "export.dues_arrears", format="xlsx")
    assert owing.row_count == sum(1 for r in expected if r.unpaid)
    with pytest.raises(Exception) as exc:
        services.job_start(
            actor=cast.users["c11"], kind="export.dues_arrears", params={"format": "csv", "as_of": "31/02/2025"}
        )
    assert "dd/mm/yyyy" in str(exc.value)

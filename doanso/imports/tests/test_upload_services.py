"""Browser/API import services: readers, headers, preview, confirm (all / valid only), units, jobs."""

from __future__ import annotations

import io
import unicodedata
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from doanso.core.models import AuditEvent
from doanso.core.scope import ScopeError
from doanso.imports import files, headers, services
from doanso.imports.models import ImportBatch, ImportRow, ImportState, Outcome
from doanso.members.models import Member, MemberStat, MemberStatusRecord
from doanso.members.services import stats_recount
from doanso.organisations.models import Unit

from .helpers import DATA, HEADER, good_row, upload, xlsx_bytes


def stats() -> dict:
    return {(s.unit_id, s.status): s.count for s in MemberStat.objects.all() if s.count}


# ---------------------------------------------------------------- headers


@pytest.mark.parametrize(
    "text, field",
    [
        ("Họ và tên", "full_name"), ("Ho ten", "full_name"), ("HỌ TÊN", "full_name"), ("Họ tên đoàn viên", "full_name"),
        ("Ngày sinh", "date_of_birth"), ("Ngay sinh", "date_of_birth"), ("NS", "date_of_birth"),
        ("Ngày sinh (dd/mm/yyyy) *", "date_of_birth"), ("Số CCCD", "citizen_id"), ("CCCD", "citizen_id"),
        ("Số định danh cá nhân", "citizen_id"), ("Giới tính", "sex"), ("Dân tộc", "ethnicity"), ("Tôn giáo", "religion"),
        ("Số điện thoại", "phone"), ("SĐT", "phone"), ("Ngày vào Đoàn", "admitted_on"), ("Mã chi đoàn", "branch_code"),
        ("STT", headers.IGNORE), ("Lỗi", headers.IGNORE), ("Sở thích", None),
    ],
)  # fmt: skip
def test_header_variants(text, field):
    assert headers.match_header(text) == field


def test_unknown_and_missing_columns_reported():
    mapped = headers.map_headers(["Họ và tên", "Sở thích", "CCCD", "Ngày sinh"])
    assert mapped.unknown == ["Sở thích"]
    assert set(mapped.missing) == {"sex", "admitted_on", "branch_code"}
    assert "“Giới tính”" in mapped.problems("members")[0]


def test_header_row_found_below_a_title(cast):
    batch = upload(cast.users["c11"], cast.c11, DATA / "members_good.xlsx")
    assert batch.state == ImportState.CHECKED and batch.header_row == 3


# ---------------------------------------------------------------- preview and confirm


def test_preview_counts_dates_then_confirm_all(cast):
    before = Member.objects.count()
    batch = upload(cast.users["c11"], cast.c11, DATA / "members_good.xlsx")
    assert (batch.total_rows, batch.create_count, batch.error_count) == (3, 3, 0)
    assert Member.objects.count() == before  # the preview writes nothing
    batch = services.import_confirm(actor=cast.users["c11"], batch=batch, mode="all")
    assert batch.state == ImportState.CONFIRMED and batch.created_count == 3
    people = {m.citizen_id: m for m in Member.objects.filter(citizen_id__startswith="0892")} | {
        m.citizen_id: m for m in Member.objects.filter(citizen_id__startswith="0893")
    }
    assert people["089303000101"].date_of_birth == date(2003, 5, 17)  # dd/mm/yyyy
    assert people["089204000102"].date_of_birth == date(2004, 9, 2)  # d/m/yy
    assert people["089204000102"].admitted_on == date(2021, 3, 26)  # Excel serial number
    assert people["089305000103"].date_of_birth == date(2005, 1, 1)  # Excel serial number
    assert people["089204000102"].ethnicity_id == "05" and people["089305000103"].unit == cast.b112
    assert MemberStatusRecord.objects.filter(member__in=people.values()).count() == 3
    assert set(ImportRow.objects.filter(batch=batch).values_list("target_id", flat=True)) == {
        m.pk for m in people.values()
    }
    # rollups exact: what the services kept equals a recount from the member table
    kept = stats()
    stats_recount()
    assert stats() == kept
    # history: who imported what
    event = AuditEvent.objects.get(action="import", target_id=cast.c11.pk)
    assert event.actor == cast.users["c11"] and "thêm 3" in event.summary
    assert all("members_good.xlsx" in e.note for e in AuditEvent.objects.filter(action="create", target_type="members.member", target_id__in=[m.pk for m in people.values()]))  # fmt: skip


def test_update_inside_subtree_conflict_outside(cast):
    inside, outside = cast.m_b111_1, cast.m_b211_0
    rows = [
        good_row(1, **{"Họ và tên": inside.full_name, "Số CCCD": inside.citizen_id, "Ngày sinh": inside.date_of_birth.strftime("%d/%m/%Y"),
                       "Giới tính": "Nữ" if inside.sex == "F" else "Nam", "Số điện thoại": "0987 654 321",
                       "Ngày vào Đoàn": inside.admitted_on.strftime("%d/%m/%Y")}),
        good_row(2, **{"Số CCCD": outside.citizen_id, "Ngày sinh": outside.date_of_birth.strftime("%d/%m/%Y"),
                       "Giới tính": "Nữ" if outside.sex == "F" else "Nam", "Ngày vào Đoàn": outside.admitted_on.strftime("%d/%m/%Y")}),
    ]  # fmt: skip
    batch = upload(cast.users["c11"], cast.c11, xlsx_bytes(rows))
    assert (batch.update_count, batch.conflict_count, batch.create_count) == (1, 1, 0)
    update = ImportRow.objects.get(batch=batch, outcome=Outcome.UPDATE)
    assert update.changes == {"Số điện thoại": [inside.phone_display, "0987 654 321"]}
    conflict = ImportRow.objects.get(batch=batch, outcome=Outcome.CONFLICT)
    assert conflict.errors[0][2] == "Đã đăng ký ở đơn vị khác."  # nothing about where: out of c11's scope
    with pytest.raises(ValidationError):
        services.import_confirm(actor=cast.users["c11"], batch=batch, mode="all")
    outside_before = Member.objects.get(pk=outside.pk).version
    batch = services.import_confirm(actor=cast.users["c11"], batch=batch, mode="valid")
    assert batch.updated_count == 1
    inside.refresh_from_db()
    assert inside.phone == "+84987654321" and inside.version == 2
    assert AuditEvent.objects.filter(action="update", target_id=inside.pk, changes__has_key="phone").exists()
    assert Member.objects.get(pk=outside.pk).version == outside_before


def test_all_or_nothing_versus_valid_rows_only(cast):
    rows = [
        good_row(11),
        good_row(12),
        good_row(13, **{"Ngày sinh": "31/02/2004"}),
        good_row(11, **{"Họ và tên": "Lê Văn Trùng"}),
    ]
    batch = upload(cast.users["c11"], cast.c11, xlsx_bytes(rows))
    assert (batch.create_count, batch.error_count) == (2, 2)
    errors = {r.number: r.errors for r in ImportRow.objects.filter(batch=batch, outcome=Outcome.ERROR)}
    assert errors[4][0][:2] == ["Ngày sinh", "31/02/2004"] and "dd/mm/yyyy" in errors[4][0][2]
    assert "trùng với dòng 2" in errors[5][0][2]  # duplicate CCCD within the file
    before = Member.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.import_confirm(actor=cast.users["c11"], batch=batch, mode="all")
    assert "2 dòng lỗi" in str(exc.value)
    assert Member.objects.count() == before
    batch = services.import_confirm(actor=cast.users["c11"], batch=batch, mode="valid")
    assert batch.created_count == 2 and Member.objects.count() == before + 2
    with pytest.raises(ValidationError):  # a batch is written once
        services.import_confirm(actor=cast.users["c11"], batch=batch, mode="valid")


def test_changed_since_check_all_mode_writes_nothing(cast):
    batch = upload(cast.users["c11"], cast.c11, xlsx_bytes([good_row(21), good_row(22)]))
    from conftest import member_data
    from doanso.members.services import member_create

    member_create(actor=cast.users["c11"], unit=cast.b112, data=member_data("Lê Thị Chen", dob=date(2004, 10, 10), sex="F", citizen_id="089304000022"))  # fmt: skip
    before = Member.objects.count()
    batch = services.import_confirm(actor=cast.users["c11"], batch=batch, mode="all")
    assert batch.state == ImportState.CHECKED and "không có gì" in batch.message
    assert Member.objects.count() == before
    assert batch.error_count == 1


def test_error_rows_as_xlsx_with_error_column_and_round_trip(cast):
    rows = [
        good_row(31),
        good_row(32, **{"Họ và tên": '=HYPERLINK("http://x";"bấm")'}),
        good_row(33, **{"Số CCCD": "12345"}),
    ]
    content = "\n".join(",".join(r) for r in [HEADER, *rows]).encode("utf-8")  # a CSV: "=…" is text
    batch = upload(cast.users["c11"], cast.c11, content, name="ds.csv")
    assert batch.error_count == 2
    ws = load_workbook(io.BytesIO(files.errors_xlsx(batch=batch))).active
    got = list(ws.iter_rows(values_only=True))
    assert list(got[0]) == [*HEADER, "Lỗi", "Dòng (tệp gốc)"]
    assert [r[-1] for r in got[1:]] == [3, 4]
    assert got[1][0].startswith("'=HYPERLINK")  # neutralised, never a formula
    assert "Số CCCD: Số CCCD phải gồm đúng 12 chữ số." in got[2][-2]
    # fix the file and upload it again: the two added columns are ignored
    fixed = [list(r[:-2]) for r in got[1:]]
    fixed[0][0] = "Lê Thị Sửa"
    fixed[1][3] = "089304000033"
    again = upload(cast.users["c11"], cast.c11, xlsx_bytes(fixed, header=list(got[0])))
    assert (again.create_count, again.error_count, again.unknown_columns) == (2, 0, [])


def test_out_of_scope_branch_row(cast):
    before = Member.objects.count()
    batch = upload(cast.users["c11"], cast.c11, DATA / "out_of_scope.xlsx")
    row = ImportRow.objects.get(batch=batch, outcome=Outcome.ERROR)
    assert row.number == 4 and row.errors[0][:2] == ["Mã chi đoàn", "T96-C21-1"]
    with pytest.raises(ValidationError):
        services.import_confirm(actor=cast.users["c11"], batch=batch, mode="all")
    assert Member.objects.count() == before


def test_sibling_commune_cannot_import_into_another_subtree(cast):
    with pytest.raises(ScopeError):
        upload(cast.users["c12"], cast.c11, DATA / "members_good.xlsx")
    batch = upload(cast.users["c11"], cast.c11, DATA / "members_good.xlsx")
    with pytest.raises(ScopeError):
        services.import_confirm(actor=cast.users["c12"], batch=batch, mode="all")
    assert ImportBatch.objects.count() == 1 and not Member.objects.filter(citizen_id="089303000101").exists()


def test_branch_imports_its_own_members_without_branch_column(cast):
    rows = [r[:-1] for r in [good_row(41), good_row(42)]]
    batch = upload(cast.users["b111"], cast.b111, xlsx_bytes(rows, header=HEADER[:-1]))
    assert batch.create_count == 2
    services.import_confirm(actor=cast.users["b111"], batch=batch, mode="all")
    assert Member.objects.filter(citizen_id="089304000041", unit=cast.b111).exists()


# ---------------------------------------------------------------- bad files: a clear message, nothing written


@pytest.mark.parametrize(
    "name, words",
    [
        ("zero_bytes.csv", "rỗng (0 byte)"),
        ("renamed_text.xlsx", "không phải tệp Excel thật"),
    ],
)
def test_refused_at_upload_nothing_kept(cast, name, words):
    with pytest.raises(ValidationError) as exc:
        upload(cast.users["c11"], cast.c11, DATA / name)
    assert words in " ".join(exc.value.messages)
    assert not ImportBatch.objects.exists() and not ImportRow.objects.exists()


@pytest.mark.parametrize(
    "name, words",
    [
        ("empty.csv", "không có dữ liệu"),
        ("empty.xlsx", "không có dữ liệu"),
        ("two_sheets.xlsx", "có 2 trang tính: “Đoàn viên”, “Ghi chú”"),
        ("merged_header.xlsx", "“Ngày sinh” được gộp qua nhiều cột (B2:C2)"),
    ],
)
def test_refused_after_reading_batch_failed_nothing_written(cast, name, words):
    before = Member.objects.count()
    batch = upload(cast.users["c11"], cast.c11, DATA / name)
    assert batch.state == ImportState.FAILED and words in batch.message
    assert not ImportRow.objects.exists() and Member.objects.count() == before
    with pytest.raises(ValidationError):
        services.import_confirm(actor=cast.users["c11"], batch=batch, mode="valid")


def test_file_of_50_mb_refused(cast):
    big = io.BytesIO(b"Ho ten,Ngay sinh\n" + b"x" * (50 * 1024 * 1024))
    with pytest.raises(ValidationError) as exc:
        services.import_upload(actor=cast.users["c11"], unit=cast.c11, file=big, file_name="lon.csv")
    assert "quá giới hạn 20 MB" in " ".join(exc.value.messages)
    assert not ImportBatch.objects.exists()


def test_two_sheets_choose_one(cast):
    batch = upload(cast.users["c11"], cast.c11, DATA / "two_sheets.xlsx")
    assert batch.sheets == ["Đoàn viên", "Ghi chú"]
    batch = services.import_choose_sheet(actor=cast.users["c11"], batch=batch, sheet="Đoàn viên")
    assert batch.state == ImportState.CHECKED and batch.create_count == 3


@pytest.mark.parametrize(
    "name, encoding",
    [("members_windows1258.csv", "windows-1258"), ("members_tcvn3.csv", "tcvn3"), ("members_nfd_mix.csv", "utf-8-sig")],
)
def test_legacy_encodings_and_nfd_become_nfc(cast, name, encoding):
    batch = upload(cast.users["c11"], cast.c11, DATA / name)
    assert batch.encoding == encoding and batch.create_count == 3, ImportRow.objects.filter(batch=batch).values_list(
        "errors"
    )
    names = [r.cells[0] for r in ImportRow.objects.filter(batch=batch)]
    assert all(unicodedata.is_normalized("NFC", n) for n in names)
    assert "Đặng Quốc Hùng" in names and "Trương Thị Thu Hường" in names
    services.import_confirm(actor=cast.users["c11"], batch=batch, mode="all")
    assert Member.objects.get(citizen_id="089204000102").full_name == "Đặng Quốc Hùng"


def test_formulas_use_cached_values_never_evaluated(cast):
    batch = upload(cast.users["c11"], cast.c11, DATA / "formulas.xlsx")
    rows = {r.number: r for r in ImportRow.objects.filter(batch=batch)}
    assert rows[2].outcome == Outcome.CREATE and rows[2].cells[0] == "Nguyễn Thị Ngọc Ánh"
    assert rows[3].outcome == Outcome.CREATE and rows[3].cells[8] == "T89-C11-1"
    assert rows[4].outcome == Outcome.ERROR and "chưa có giá trị đã tính" in rows[4].errors[0][2]


def test_csv_cell_beginning_with_equals_is_text(cast):
    content = ("\ufeff" + ",".join(HEADER) + "\n" + ",".join(good_row(51, **{"Họ và tên": "=1+1"})) + "\n").encode()
    batch = upload(cast.users["c11"], cast.c11, content, name="ds.csv")
    row = ImportRow.objects.get(batch=batch)
    assert row.cells[0] == "=1+1" and row.outcome == Outcome.ERROR


# ---------------------------------------------------------------- units


def test_units_sheet_preview_and_valid_only(cast):
    batch = upload(cast.users["c11"], cast.c11, DATA / "units.xlsx", kind="units")
    assert (batch.create_count, batch.error_count) == (3, 1)
    bad = ImportRow.objects.get(batch=batch, outcome=Outcome.ERROR)
    assert "ngoài phạm vi" in bad.errors[0][2]
    with pytest.raises(ValidationError):
        services.import_confirm(actor=cast.users["c11"], batch=batch, mode="all")
    assert not Unit.objects.filter(code="T89-C11-LCD").exists()
    batch = services.import_confirm(actor=cast.users["c11"], batch=batch, mode="valid")
    assert batch.created_count == 3
    lcd = Unit.objects.get(code="T89-C11-LCD")
    assert Unit.objects.get(code="T89-C11-LCD-1").parent == lcd and lcd.parent == cast.c11
    assert Unit.objects.get(code="T89-C11-3").kind == "branch"
    assert not Unit.objects.filter(code="T96-C21-9").exists()
    again = upload(cast.users["c11"], cast.c11, DATA / "units.xlsx", kind="units")  # re-import: no change for the three
    assert (again.same_count, again.create_count) == (3, 0)


def test_units_import_needs_unit_manage(cast):
    with pytest.raises(ScopeError):
        upload(cast.c11_clerk, cast.c11, DATA / "units.xlsx", kind="units")


# ---------------------------------------------------------------- background job for large files


def test_large_file_checked_and_written_by_background_jobs(cast, settings, django_capture_on_commit_callbacks):
    from doanso.jobs.models import Job, JobState
    from doanso.jobs.tasks import run_queued

    settings.IMPORT_SYNC_MAX_KB = 0
    with django_capture_on_commit_callbacks(execute=False):
        batch = upload(cast.users["c11"], cast.c11, xlsx_bytes([good_row(60 + i) for i in range(5)]))
    assert batch.state == ImportState.CHECKING and batch.job.kind == "import.check"
    assert run_queued() == 1
    batch.refresh_from_db()
    assert batch.state == ImportState.CHECKED and batch.create_count == 5
    job = Job.objects.get(kind="import.check")
    assert job.state == JobState.DONE and job.params["result_url"] == f"/nhap-du-lieu/{batch.pk}/"
    with django_capture_on_commit_callbacks(execute=False):
        batch = services.import_confirm(actor=cast.users["c11"], batch=batch, mode="all")
    assert batch.state == ImportState.CONFIRMING
    assert run_queued() == 1
    batch.refresh_from_db()
    assert (
        batch.state == ImportState.CONFIRMED and Member.objects.filter(citizen_id__startswith="0893040000").count() == 5
    )


def test_a_worker_that_died_does_not_leave_the_batch_stuck(cast, settings, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from doanso.jobs import services as job_services
    from doanso.jobs.models import Job, JobState
    from doanso.jobs.tasks import run_queued

    settings.IMPORT_SYNC_MAX_KB = 0
    long_ago = timezone.now() - timezone.timedelta(hours=3)

    def worker_dies(kind):
        """The worker claimed the job, then vanished: the job stays "running" past the timeout."""
        Job.objects.filter(kind=kind, state=JobState.QUEUED).update(state=JobState.RUNNING, started_at=long_ago)
        assert job_services.job_cleanup(stale_after_s=3600)[1] == 1

    # Dying while checking: the batch fails with a message, instead of "checking" for ever.
    with django_capture_on_commit_callbacks(execute=False):
        stuck = upload(cast.users["c11"], cast.c11, xlsx_bytes([good_row(70 + i) for i in range(3)]))
    worker_dies("import.check")
    stuck.refresh_from_db()
    assert stuck.state == ImportState.FAILED and "dừng giữa chừng" in stuck.message
    # Dying while writing: nothing was written (one transaction), the batch can be confirmed again.
    with django_capture_on_commit_callbacks(execute=False):
        batch = upload(cast.users["c11"], cast.c11, xlsx_bytes([good_row(80 + i) for i in range(3)]))
    run_queued()
    members_before = Member.objects.count()
    with django_capture_on_commit_callbacks(execute=False):
        services.import_confirm(actor=cast.users["c11"], batch=batch, mode="all")
    worker_dies("import.confirm")
    batch.refresh_from_db()
    assert batch.state == ImportState.CHECKED and "xác nhận lại" in batch.message
    assert Member.objects.count() == members_before
    with django_capture_on_commit_callbacks(execute=False):
        services.import_confirm(actor=cast.users["c11"], batch=batch, mode="all")
    run_queued()
    batch.refresh_from_db()
    assert batch.state == ImportState.CONFIRMED and batch.created_count == 3
    assert Member.objects.count() == members_before + 3


def test_task_permission_checked_again_when_it_runs(cast, django_capture_on_commit_callbacks):
    from doanso.jobs import services as job_services
    from doanso.jobs.models import JobState

    with django_capture_on_commit_callbacks(execute=False):
        job = job_services.task_start(actor=cast.users["c11"], code="import.check", unit=cast.c11, params={"batch": 0})
    official = cast.users["c11"]
    official.unit = cast.b111  # moved to a branch while the job waited
    official.save()
    job = job_services.job_run(job_id=job.pk)
    assert job.state == JobState.FAILED and "ngoài phạm vi" in job.error


def test_template_is_recognised_and_its_example_row_valid(cast):
    content = files.template_xlsx(kind="members", unit=cast.c11)
    batch = upload(cast.users["c11"], cast.c11, content, name="mau.xlsx")
    assert (batch.create_count, batch.error_count, batch.unknown_columns) == (1, 0, [])
    units = upload(
        cast.users["c11"], cast.c11, files.template_xlsx(kind="units", unit=cast.c11), name="mau-dv.xlsx", kind="units"
    )
    assert units.create_count == 1

"""manage.py import_members: streaming CSV import with errors file, duplicates, checkpoint and resume."""

from __future__ import annotations

import csv
import json
import threading
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count

from conftest import make_cccd
from doanso.core.models import AuditEvent
from doanso.imports.stream import Interrupted, import_csv
from doanso.members import rollups
from doanso.members.models import Member, MemberEvent, MemberFacet, MemberStat, MemberStatusRecord

HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Dân tộc", "Tôn giáo", "SĐT", "Ngày vào Đoàn",
          "Mã chi đoàn", "occupation"]  # fmt: skip
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Khoa", "Lan", "Minh", "Ngân", "Phúc", "Tâm", "Yến"]


def person(i: int, branch: str, **extra) -> list[str]:
    dob = date(2000 + i % 6, 1 + i % 12, 1 + i % 28)
    sex = "M" if i % 2 == 0 else "F"
    cells = {
        "STT": str(i + 1),
        "Họ và tên": f"{'Nguyễn Văn' if sex == 'M' else 'Trần Thị'} {GIVEN[i % len(GIVEN)]}",
        "Ngày sinh": dob.strftime("%d/%m/%Y"),
        "Giới tính": "Nam" if sex == "M" else "Nữ",
        "Số CCCD": make_cccd(dob, sex, seq=500_000 + i, province="089"),
        "Dân tộc": "Kinh",
        "Tôn giáo": "Không",
        "SĐT": f"09{i:08d}",
        "Ngày vào Đoàn": f"26/03/{dob.year + 17}",
        "Mã chi đoàn": branch,
        "occupation": "Công nhân",
    }
    cells.update(extra)
    return [cells[h] for h in HEADER]


def write(path, rows, header=HEADER):
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        out.writerows(rows)
    return path


def errors_of(path) -> list[dict]:
    with open(f"{path}.errors.csv", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def stats_exact() -> None:
    want = {
        (r["unit_id"], r["status"]): r["n"]
        for r in Member.objects.values("unit_id", "status").annotate(n=Count("id")).order_by()
    }
    got = {(s.unit_id, s.status): s.count for s in MemberStat.objects.exclude(count=0)}
    assert got == want


def test_happy_path(cast, tmp_path):
    before = Member.objects.count()
    rows = [person(i, cast.b111.code if i % 2 else cast.b112.code.lower()) for i in range(25)]
    path = write(tmp_path / "m.csv", rows)
    call_command("import_members", str(path), "--unit", cast.c11.code, "--batch", "7")
    assert Member.objects.count() == before + 25
    m = Member.objects.get(citizen_id=rows[3][4])
    assert m.unit == cast.b111 and m.full_name == rows[3][1] and m.status == "active"
    assert m.sex == "F" and m.ethnicity_id == "01" and m.religion_id == "00" and m.occupation == "Công nhân"
    assert m.phone == "+849" + "00000003"[-8:] or m.phone.startswith("+84")
    assert m.scope1 == cast.p1.pk and m.scope2 == cast.c11.pk and m.search_name
    record = MemberStatusRecord.objects.get(member=m)
    assert record.status == "active" and record.effective_on == m.admitted_on and "m.csv" in record.reason
    stats_exact()
    assert AuditEvent.objects.filter(action="import_members", target_id=cast.c11.pk).count() == 4  # 25 rows / 7
    assert errors_of(path) == []
    state = json.loads((tmp_path / "m.csv.checkpoint.json").read_text())
    assert state["done"] and state["imported"] == 25 and state["read"] == 25


def test_errors_file_and_duplicates(cast, tmp_path):
    on_record = cast.m_b111_0
    rows = [person(i, cast.b111.code) for i in range(6)]
    rows[1] = person(1, cast.b111.code, **{"Ngày sinh": "31/02/2001"})
    rows[2] = person(2, cast.b121.code)  # a branch of another commune
    rows[3] = person(3, cast.b111.code, **{
        "Số CCCD": on_record.citizen_id, "Ngày sinh": on_record.date_of_birth.strftime("%d/%m/%Y"),
        "Giới tính": "Nam" if on_record.sex == "M" else "Nữ", "Ngày vào Đoàn": on_record.admitted_on.strftime("%d/%m/%Y"),
    })  # fmt: skip
    rows.append(person(4, cast.b112.code, **{"Họ và tên": "Lê Văn Trùng"}))  # same CCCD as row 4 (i=4)
    rows.append(person(7, cast.b111.code, **{"Số CCCD": rows[0][4]}))  # same as the first, in the next batch
    path = write(tmp_path / "e.csv", rows)
    report = import_csv(path, unit=cast.c11.code, batch=4)
    assert (report.read, report.imported, report.rejected) == (8, 3, 5)
    errors = errors_of(path)
    assert [e["Dòng"] for e in errors] == ["3", "4", "5", "8", "9"]
    assert "dd/mm/yyyy" in errors[0]["Lỗi"] and errors[0]["Ngày sinh"] == "31/02/2001"
    assert cast.b121.code in errors[1]["Lỗi"] and "chi đoàn" in errors[1]["Lỗi"]
    assert "đã có hồ sơ" in errors[2]["Lỗi"]
    assert errors[3]["Họ và tên"] == "Lê Văn Trùng" and "citizen_id" in errors[3]["Lỗi"]
    assert "citizen_id" in errors[4]["Lỗi"]
    assert not Member.objects.filter(full_name="Lê Văn Trùng").exists()
    assert Member.objects.filter(citizen_id=rows[0][4]).count() == 1
    stats_exact()


def test_resume_after_interruption(cast, tmp_path):
    before = Member.objects.count()
    rows = [person(i, cast.b111.code) for i in range(20)]
    rows[12] = person(12, cast.b111.code, **{"Giới tính": "?"})
    path = write(tmp_path / "r.csv", rows)
    with pytest.raises(Interrupted):
        import_csv(path, unit=cast.c11.code, batch=5, fail_after_batches=2)
    assert Member.objects.count() == before + 10
    state = json.loads((tmp_path / "r.csv.checkpoint.json").read_text())
    assert state["row"] == 11 and state["imported"] == 10 and not state["done"]
    # a crash in the third batch: nothing of it stays
    from doanso.imports import stream

    original = stream._write

    def boom(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("mất điện")

    stream._write = boom
    try:
        with pytest.raises(RuntimeError):
            import_csv(path, unit=cast.c11.code, batch=5, resume=True)
    finally:
        stream._write = original
    assert Member.objects.count() == before + 10
    call_command("import_members", str(path), "--unit", cast.c11.code, "--batch", "5", "--resume")
    assert Member.objects.count() == before + 19
    assert Member.objects.filter(citizen_id__in=[r[4] for r in rows]).count() == 19
    errors = errors_of(path)
    assert [e["Dòng"] for e in errors] == ["14"]  # written once, although its batch was read twice
    stats_exact()
    with pytest.raises(CommandError):
        call_command("import_members", str(path), "--unit", cast.c12.code, "--resume")


def test_dry_run_writes_nothing(cast, tmp_path):
    rows = [person(i, cast.b111.code) for i in range(9)]
    rows.append(person(20, cast.b111.code, **{"Số CCCD": rows[1][4]}))  # duplicate in a later batch
    path = write(tmp_path / "d.csv", rows)
    members, records, stats, audit = (
        Member.objects.count(), MemberStatusRecord.objects.count(), list(MemberStat.objects.values_list()),
        AuditEvent.objects.count(),
    )  # fmt: skip
    report = import_csv(path, unit=cast.c11.code, batch=4, dry_run=True)
    assert (report.read, report.imported, report.rejected) == (10, 9, 1)
    assert Member.objects.count() == members and MemberStatusRecord.objects.count() == records
    assert list(MemberStat.objects.values_list()) == stats and AuditEvent.objects.count() == audit
    assert [e["Dòng"] for e in errors_of(path)] == ["11"]
    assert not (tmp_path / "d.csv.checkpoint.json").exists()


def test_field_name_headers_semicolons_and_multiline_cells(cast, tmp_path):
    header = ["full_name", "date_of_birth", "sex", "citizen_id", "admitted_on", "branch_code", "current_address"]
    dob = date(2003, 4, 5)
    rows = [
        ["Phạm Thị Ánh", "05/04/2003", "Nữ", make_cccd(dob, "F", seq=900_001), "26/3/20", cast.b111.code,
         "Ấp 1\nxã Mỹ Hòa; An Giang"],
        ["Phạm Văn Ánh", "5/4/03", "Nam", make_cccd(dob, "M", seq=900_002), "2020-03-26", cast.b111.code, ""],
    ]  # fmt: skip
    path = tmp_path / "s.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, delimiter=";")
        out.writerow(header)
        out.writerows(rows)
    report = import_csv(path, unit=cast.b111.code, batch=1)
    assert (report.imported, report.rejected) == (2, 0)
    assert Member.objects.get(citizen_id=rows[0][3]).current_address == "Ấp 1 xã Mỹ Hòa; An Giang"


def test_bad_files(cast, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="rỗng"):
        call_command("import_members", str(empty), "--unit", cast.c11.code)
    path = write(tmp_path / "h.csv", [["x"]], header=["Họ và tên", "Ngày sinh"])
    with pytest.raises(CommandError, match="Thiếu cột bắt buộc"):
        call_command("import_members", str(path), "--unit", cast.c11.code)
    with pytest.raises(CommandError, match="Không có đơn vị"):
        call_command("import_members", str(path), "--unit", "KHONG-CO")
    latin = tmp_path / "l.csv"
    latin.write_bytes(b"H\xf4 t\xean,Ng\xe0y sinh\n")  # Windows-1258 bytes, not UTF-8
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("import_members", str(latin), "--unit", cast.c11.code)


def rollup_snapshot() -> tuple[dict, dict]:
    facets = {(f.unit_id, f.dim, f.key): f.count for f in MemberFacet.objects.exclude(count=0)}
    events = {(e.unit_id, e.year, e.month, e.kind): e.count for e in MemberEvent.objects.exclude(count=0)}
    return facets, events


def test_dashboards_exact_after_import(cast, tmp_path):
    """The per-batch dashboard counts (less a row found on record) equal a full recount."""
    rollups.dashboards_recount()
    on_record = cast.m_b111_0
    rows = [person(i, [cast.b111.code, cast.b112.code][i % 2], **({"Dân tộc": "Tày"} if i % 5 == 0 else {}))
            for i in range(14)]  # fmt: skip
    rows[6] = person(6, cast.b111.code, **{
        "Số CCCD": on_record.citizen_id, "Ngày sinh": on_record.date_of_birth.strftime("%d/%m/%Y"),
        "Giới tính": "Nam" if on_record.sex == "M" else "Nữ", "Ngày vào Đoàn": on_record.admitted_on.strftime("%d/%m/%Y"),
    })  # fmt: skip
    before = rollup_snapshot()
    report = import_csv(write(tmp_path / "d.csv", rows), unit=cast.c11.code, batch=5)
    assert (report.imported, report.rejected) == (13, 1)
    after = rollup_snapshot()
    assert after != before
    assert after[0][(cast.c11.pk, "eth", "02")] - before[0].get((cast.c11.pk, "eth", "02"), 0) == 3
    rollups.dashboards_recount()
    assert rollup_snapshot() == after
    stats_exact()


def member_rows(codes) -> list[tuple]:
    return sorted(
        Member.objects.filter(citizen_id__in=codes).values_list(
            "citizen_id",
            "unit_id",
            "unit_path",
            "scope1",
            "scope2",
            "scope3",
            "full_name",
            "family_name",
            "given_name",
            "sort_key",
            "search_name",
            "search_given",
            "date_of_birth",
            "sex",
            "phone",
            "occupation",
            "admitted_on",
            "status",
            "status_since",
            "position",
            "is_salaried",
        )  # fmt: skip
    )


def test_worker_processes_check_as_the_importer_does(cast, tmp_path):
    """Checking in forked worker processes gives what checking in-process gives, rows and errors."""
    rows = [person(i, cast.b111.code) for i in range(23)]
    rows[4] = person(4, cast.b111.code, **{"Ngày sinh": "30/02/2002"})
    rows[9] = person(9, cast.b111.code, **{"Số CCCD": rows[2][4]})
    codes = [r[4] for r in rows]
    results = []
    for workers in (0, 2):
        path = write(tmp_path / f"w{workers}.csv", rows)
        report = import_csv(path, unit=cast.c11.code, batch=4, workers=workers)
        results.append(((report.read, report.imported, report.rejected), member_rows(codes), errors_of(path)))
        MemberStatusRecord.objects.filter(member__citizen_id__in=codes).delete()  # the same people, again
        Member.objects.filter(citizen_id__in=codes).delete()
    assert results[0][0] == (23, 21, 2)
    assert results[0] == results[1]


def schema() -> set:
    """The indexes and constraints of the member and status-record tables (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN (%s, %s)",
            [Member._meta.db_table, MemberStatusRecord._meta.db_table],
        )
        found = set(cursor.fetchall())
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid IN (%s::regclass, %s::regclass)",
            [Member._meta.db_table, MemberStatusRecord._meta.db_table],
        )
        return found | set(cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a first load drops PostgreSQL indexes")
def test_first_load_rebuilds_what_it_dropped(cast, tmp_path):
    full = schema()
    assert len(full) > 20
    rows = [person(i, cast.b111.code) for i in range(12)]
    rows[7] = person(7, cast.b111.code, **{"Số CCCD": cast.m_b111_0.citizen_id})  # on record: the unique index stays
    path = write(tmp_path / "f.csv", rows)
    with pytest.raises(Interrupted):
        import_csv(path, unit=cast.c11.code, batch=5, first_load=True, fail_after_batches=1)
    assert schema() == full  # an error rebuilds before giving up
    state = json.loads((tmp_path / "f.csv.checkpoint.json").read_text())
    assert state["first_load"] and state["dropped"] is None and state["imported"] == 5

    # A hard kill leaves them dropped: the checkpoint says what, and --resume rebuilds it at the end.
    from doanso.imports import stream

    saved = stream.Checkpoint.load(tmp_path / "f.csv.checkpoint.json")
    stream._drop_indexes(saved, tmp_path / "f.csv.checkpoint.json", lambda _m: None)
    assert schema() != full and any("citizen_id" in d for _, d in schema())
    call_command("import_members", str(path), "--unit", cast.c11.code, "--batch", "5", "--resume")
    assert schema() == full
    assert Member.objects.filter(citizen_id__in=[r[4] for r in rows]).count() == 11 + 1  # and the one on record
    assert [e["Dòng"] for e in errors_of(path)] == ["9"]
    stats_exact()
    # a first load adds the dashboards once at the end (the interrupted part when it stopped)
    assert json.loads((tmp_path / "f.csv.checkpoint.json").read_text())["rollups_from"] is None
    after = rollup_snapshot()
    rollups.dashboards_recount()
    assert rollup_snapshot() == after


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a first load drops PostgreSQL indexes")
@pytest.mark.django_db(transaction=True)
def test_first_load_rebuilds_indexes_on_a_second_connection(cast, tmp_path, monkeypatch):
    """As the command runs it (outside a transaction), the index rebuild runs in a thread on its
    own connection while the dashboards are added; a failure of the dashboards still leaves the
    indexes rebuilt, and --resume adds the dashboards after all."""
    from doanso.imports import stream

    rebuilt_in = []
    restore = stream._restore_indexes

    def spy(*args, **kwargs):
        rebuilt_in.append(threading.current_thread().name)
        return restore(*args, **kwargs)

    def broken(*args, **kwargs):
        raise RuntimeError("dashboards broke")

    monkeypatch.setattr(stream, "_restore_indexes", spy)
    full = schema()
    path = write(tmp_path / "f.csv", [person(i, cast.b111.code) for i in range(12)])
    with monkeypatch.context() as patched:
        patched.setattr(rollups, "load_added", broken)
        with pytest.raises(RuntimeError, match="dashboards broke"):
            import_csv(path, unit=cast.c11.code, batch=5, first_load=True)
    assert rebuilt_in[0].startswith("import-indexes")  # not the importing thread
    assert schema() == full
    state = json.loads((tmp_path / "f.csv.checkpoint.json").read_text())
    assert state["dropped"] is None and state["rollups_from"] is not None and state["imported"] == 12

    import_csv(path, unit=cast.c11.code, batch=5, first_load=True, resume=True)
    assert json.loads((tmp_path / "f.csv.checkpoint.json").read_text())["rollups_from"] is None
    stats_exact()
    after = rollup_snapshot()
    rollups.dashboards_recount()
    assert rollup_snapshot() == after


def dashboard_marks(path) -> list[tuple[int, int]]:
    return [
        (e.changes["first_id"], e.changes["last_id"])
        for e in AuditEvent.objects.filter(action="import_dashboards", changes__file=str(path.resolve())).order_by("id")
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a first load is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_dashboards_added_before_a_crash_are_not_added_again_on_resume(cast, tmp_path):
    """The process dies after a first load's dashboards were committed but before the checkpoint
    file said so: the audit entry written in the same transaction tells --resume they are there."""
    rollups.dashboards_recount()
    rows = [person(i, cast.b111.code) for i in range(12)]
    path = write(tmp_path / "f.csv", rows)
    import_csv(path, unit=cast.c11.code, batch=4, first_load=True)
    ids = Member.objects.filter(citizen_id__in=[r[4] for r in rows]).values_list("pk", flat=True)
    assert dashboard_marks(path) == [(min(ids), max(ids))]
    after = rollup_snapshot()
    cp = tmp_path / "f.csv.checkpoint.json"
    state = json.loads(cp.read_text())
    assert state["done"] and state["rollups_from"] is None
    state["rollups_from"] = min(ids)  # what the file said before the dashboards were committed
    cp.write_text(json.dumps(state))
    call_command("import_members", str(path), "--unit", cast.c11.code, "--resume")
    assert json.loads(cp.read_text())["rollups_from"] is None
    assert rollup_snapshot() == after and len(dashboard_marks(path)) == 1  # not added twice
    stats_exact()
    rollups.dashboards_recount()
    assert rollup_snapshot() == after


def test_batch_committed_before_a_crash_is_not_read_again_on_resume(cast, tmp_path, monkeypatch):
    """The process dies after a batch was committed but before the checkpoint file said so: the
    progress recorded in that batch's audit entry, in its transaction, tells --resume to go on
    after it, so its rows are not refused as "already on record" and its error rows stay once."""
    from doanso.imports import stream

    before = Member.objects.count()
    rows = [person(i, cast.b111.code) for i in range(15)]
    rows[7] = person(7, cast.b111.code, **{"Ngày sinh": "31/02/2004"})  # an error in the second batch
    path = write(tmp_path / "c.csv", rows)
    original = stream.Checkpoint.save

    def dies_after_second_commit(self, cp_path):
        if self.batches == 2:
            raise SystemExit("mất điện")
        original(self, cp_path)

    monkeypatch.setattr(stream.Checkpoint, "save", dies_after_second_commit)
    with pytest.raises(SystemExit):
        import_csv(path, unit=cast.c11.code, batch=5)
    monkeypatch.setattr(stream.Checkpoint, "save", original)
    assert Member.objects.count() == before + 9  # two batches committed
    state = json.loads((tmp_path / "c.csv.checkpoint.json").read_text())
    assert state["batches"] == 1 and state["imported"] == 5  # the file knows of the first only
    report = import_csv(path, unit=cast.c11.code, batch=5, resume=True)
    assert (report.read, report.imported, report.rejected) == (15, 14, 1)
    assert Member.objects.count() == before + 14
    assert [(e["Dòng"], "date_of_birth" in e["Lỗi"]) for e in errors_of(path)] == [("9", True)]
    state = json.loads((tmp_path / "c.csv.checkpoint.json").read_text())
    assert state["done"] and state["batches"] == 3 and state["imported"] == 14
    stats_exact()


def test_a_batch_that_fails_leaves_no_error_rows_behind(cast, tmp_path, monkeypatch):
    """Error rows are written before their batch commits: a batch that fails takes them back on
    resume, so each appears once."""
    from doanso.imports import stream

    rows = [person(i, cast.b111.code) for i in range(10)]
    rows[6] = person(6, cast.b111.code, **{"Giới tính": "?"})
    path = write(tmp_path / "e.csv", rows)
    original = stream._write

    def fails(writable, fast, sink, checked, not_written, state, after):
        if state.batches == 1:  # the second batch
            raise RuntimeError("mất kết nối")
        return original(writable, fast, sink, checked, not_written, state, after)

    monkeypatch.setattr(stream, "_write", fails)
    with pytest.raises(RuntimeError):
        import_csv(path, unit=cast.c11.code, batch=5)
    assert len(errors_of(path)) == 1  # written, but its batch did not commit
    monkeypatch.setattr(stream, "_write", original)
    report = import_csv(path, unit=cast.c11.code, batch=5, resume=True)
    assert (report.imported, report.rejected) == (9, 1)
    assert [e["Dòng"] for e in errors_of(path)] == ["8"]
    stats_exact()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a first load is PostgreSQL's")
def test_nobody_else_writes_members_during_a_first_load(cast, tmp_path, monkeypatch):
    """A first load holds the register (RegisterLock) from dropping its indexes to adding its
    dashboards: a registration meanwhile is refused, so the figures come out exact, and a second
    first load is refused while one holds it."""
    from django.core.exceptions import ValidationError

    from conftest import member_data
    from doanso.imports import stream
    from doanso.imports.stream import ImportFileError
    from doanso.members.models import RegisterLock
    from doanso.members.services import member_create

    rows = [person(i, cast.b111.code) for i in range(10)]
    path = write(tmp_path / "f.csv", rows)
    refused = []
    original = stream._run_batch

    def registers_meanwhile(*args, **kwargs):
        try:
            member_create(
                actor=cast.users["c11"], unit=cast.b112, data=member_data("Lê Thị Chen", admitted_on=date(2024, 3, 26))
            )
        except ValidationError as exc:
            refused.append(" ".join(exc.messages))
        return original(*args, **kwargs)

    monkeypatch.setattr(stream, "_run_batch", registers_meanwhile)
    import_csv(path, unit=cast.c11.code, batch=5, first_load=True)
    assert len(refused) == 2 and all("đang được nạp lần đầu (import_members --first-load f.csv" in m for m in refused)
    assert not RegisterLock.objects.exists() and not Member.objects.filter(full_name="Lê Thị Chen").exists()
    stats_exact()
    after = rollup_snapshot()
    rollups.dashboards_recount()
    assert rollup_snapshot() == after
    monkeypatch.setattr(stream, "_run_batch", original)
    # another first load holds the register: this one stops before dropping anything
    RegisterLock.objects.create(reason="import_members --first-load khac.csv")
    full = schema()
    other = write(tmp_path / "g.csv", [person(i, cast.b112.code) for i in range(20, 25)])
    with pytest.raises(ImportFileError, match="khac.csv"):
        import_csv(other, unit=cast.c11.code, batch=5, first_load=True)
    assert schema() == full and not Member.objects.filter(citizen_id=person(20, cast.b112.code)[4]).exists()

"""The columnar pass of import_members accepts only what RowChecker accepts, with the same values."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_cccd
from doanso.core.models import Ward
from doanso.imports.columnar import ColumnarChecker, Fallback, table_rows
from doanso.imports.rows import RowChecker
from doanso.imports.stream import import_csv, map_file_headers
from doanso.members import rollups
from doanso.members.models import Member, MemberStatusRecord
from doanso.members.services import stats_recount

from .test_import_members import HEADER, errors_of, member_rows, person, rollup_snapshot, stats_exact, write

FIELDS = [
    "full_name", "date_of_birth", "sex", "citizen_id", "citizen_id_issued_on", "ethnicity", "religion", "phone",
    "email", "current_address", "card_number", "legacy_id_9", "position", "is_salaried", "party_joined_on",
    "admitted_on", "current_ward", "occupation", "branch_code",
]  # fmt: skip
NAMES = [
    "Nguyễn Văn An", "Trần Thị Ngọc Ánh", "Nguye\u0303n Văn Bình", "  Lê  Thị   Hà ", "An", "Lê 3 Tý", "",
    "O'Neil Văn Đạt", "Phạm\u00a0Minh", "Hồ\tThị Lan", "Đặng Văn " + "A" * 120, "ÉLISE Thị Hoa",
]  # fmt: skip
DATE_FORMS = ["{:%d/%m/%Y}", " {:%d/%m/%Y} ", "{d.day}/{d.month}/{y2}", "{:%Y-%m-%d}", "{serial}", "{:%d.%m.%Y}"]


def form(day: date, how: int) -> str:
    pattern = DATE_FORMS[how % len(DATE_FORMS)]
    serial = (day - date(1899, 12, 30)).days
    return pattern.format(day, d=day, y2=f"{day.year % 100:02d}", serial=serial)


def make_row(pick, number, dob: date, sex: str, branches: list[str], ward: str) -> list[str]:
    """A row of FIELDS: `pick(field, options)` chooses each cell among variants (the first clean);
    `number(lo, hi)` gives the row's other random numbers."""
    cid = make_cccd(dob, sex, seq=number(0, 999_999), province=["001", "079", "089"][number(0, 2)])
    admitted = min(dob + timedelta(days=number(17 * 365, 29 * 365)), date(2026, 1, 1))
    too_young, too_old = dob + timedelta(days=14 * 365), dob + timedelta(days=32 * 365)
    party = dob + timedelta(days=number(16 * 365, 30 * 365))
    issued = dob + timedelta(days=number(-30, 20 * 365))
    variants = {
        "full_name": NAMES,
        "date_of_birth": [form(dob, 0), form(dob, number(0, 9)), "30/02/2001", "", "ngày"],
        "sex": ["Nam", "Nữ", "nam", "NỮ", "M", "F", "x", ""] if sex == "M" else ["Nữ", "F", "nu", "Nam"],
        "citizen_id": [cid, f" {cid}", cid[:-1], "099" + cid[3:], cid[:3] + "9" + cid[4:], cid[1:], str(int(cid))],
        "citizen_id_issued_on": ["", form(issued, 0), form(issued, 3)],
        "ethnicity": ["Kinh", "01", "1", "Tày", "tay", "Mường", "Xyz", ""],
        "religion": ["Không", "00", "", "Phật giáo", "Lạ"],
        "phone": ["0912345678", "+84912345678", "0912 345 678", "12345", "", "0212345678"],
        "email": ["", "a@vi-du.vn", "hỏng@", " A@B.VN "],
        "current_address": [
            "",
            "Số 1, đường Lê Lợi",
            "Số 1  đường X",
            " đầu",
            "tab\tở giữa",
            "nbsp\u00a0x",
            "x" * 300,
            "Phố Huê\u0301",
            "back\\slash",
            'ngoặc "kép"',
            "Ω omega",
            "mềm\u00adgạch",
        ],  # fmt: skip
        "card_number": ["", "2500000001", "25 0000", "x" * 40],
        "legacy_id_9": ["", "123456789", "12345", "12345678a"],
        "position": ["", "Bí thư", "bi thu", "Đoàn viên", "vua"],
        "is_salaried": ["x", "", "có", "không", "2", "X "],
        "party_joined_on": ["", form(party, 0)],
        "admitted_on": [form(admitted, 0), form(admitted, 2), "", "01/01/2099", form(too_young, 0), form(too_old, 0)],
        "current_ward": ["", ward, "abc", "inf", "99999999"],
        "occupation": ["", "Công nhân", " Nông  dân ", "Sinh viên"],
        "branch_code": [*branches, branches[0].lower(), f" {branches[0]} ", "KHÔNG-CÓ", ""],
    }
    return [pick(field, variants[field]) for field in FIELDS]


@st.composite
def rows(draw, branches: list[str], ward: str):
    if draw(st.integers(0, 9)) == 0:
        return [""] * len(FIELDS)  # a blank row
    odd = draw(st.sets(st.sampled_from(FIELDS), max_size=3))  # the cells that may be odd; the rest are clean

    def pick(field, options):
        return draw(st.sampled_from(options)) if field in odd else options[0]

    def number(lo, hi):
        return draw(st.integers(lo, hi))

    dob = draw(st.dates(date(1988, 1, 1), date(2012, 12, 31)))
    return make_row(pick, number, dob, draw(st.sampled_from("MF")), branches, ward)


def one_odd_cell_rows(branches: list[str], ward: str) -> list[list[str]]:
    """Clean rows with one cell changed: every variant of every field, each in an otherwise clean row."""
    out = []
    for field in FIELDS:
        for k in range(12):
            seq = iter(range(len(out) * 10 + 1, len(out) * 10 + 10))

            def pick(f, options, field=field, k=k):
                return options[k % len(options)] if f == field else options[0]

            def number(lo, hi, seq=seq):
                return lo + next(seq) % (hi - lo + 1)

            out.append(make_row(pick, number, date(2001, 4, 5), "MF"[k % 2], branches, ward))
    return out


def checker_for(unit, header: list[str]) -> tuple[RowChecker, ColumnarChecker, list[int], list[str]]:
    columns = map_file_headers(header)
    order = sorted(columns)
    fields = [columns[i] for i in order]
    checker = RowChecker(unit=unit)
    return (
        checker,
        ColumnarChecker(checker=checker, order=order, fields=fields, delimiter=",", width=len(header)),
        order,
        fields,
    )


def as_bytes(data_rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(data_rows)
    return out.getvalue().encode("utf-8")


def agrees(checker, columnar, order, fields, batch) -> tuple[int, int]:
    """Check one batch: every row the columnar pass accepts, RowChecker accepts with the same
    values; every other non-blank row is handed over with its cells as read. (accepted, handed over)"""
    try:
        fast, slow, blank = columnar(as_bytes(batch), 1)
    except Fallback:
        return 0, 0  # a batch the row-by-row path takes whole (tested at the import level)
    assert fast.num_rows + len(slow) + blank == len(batch)
    for row_no, clean in zip(fast.column("_row").to_pylist(), table_rows(fast), strict=True):
        cells = batch[row_no - 2]
        want, errors = checker.check_row(dict(zip(fields, [cells[i] for i in order], strict=True)))
        assert errors == [] and want == clean, (cells, errors)
    for row_no, cells in slow:
        assert cells == batch[row_no - 2]
    return fast.num_rows, len(slow)


def test_accepted_rows_are_what_row_checker_makes_of_them(cast):
    ward = Ward.objects.values_list("code", flat=True).first()
    ward = str(ward) if ward is not None else "12345"
    checker, columnar, order, fields = checker_for(cast.c11, FIELDS)
    branches = [cast.b111.code, cast.b112.code]
    seen = Counter()

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(batch=st.lists(rows(branches, ward), min_size=1, max_size=12))
    def random_batches(batch):
        seen.update(dict(zip(["fast", "slow"], agrees(checker, columnar, order, fields, batch), strict=True)))

    random_batches()
    assert seen["fast"] > 50 and seen["slow"] > 50  # both paths were exercised
    # and every odd variant of every field in an otherwise clean row (random draws alone miss some)
    every = one_odd_cell_rows(branches, ward)
    totals = [agrees(checker, columnar, order, fields, every[i : i + 40]) for i in range(0, len(every), 40)]
    assert sum(t[0] for t in totals) > 100 and sum(t[1] for t in totals) > 50


def test_plain_rows_take_the_columnar_path_entirely(cast):
    data_rows = [person(i, cast.b111.code) for i in range(30)]
    _, columnar, _, _ = checker_for(cast.c11, HEADER)
    fast, slow, blank = columnar(as_bytes(data_rows), 1)
    assert (fast.num_rows, slow, blank) == (30, [], 0)
    assert fast.column("citizen_id").to_pylist() == [r[4] for r in data_rows]
    assert fast.column("phone").to_pylist()[3] == "+84900000003"


@pytest.mark.parametrize(
    "cells, why",
    [
        (["1", '"a\nb"', *["x"] * (len(HEADER) - 2)], "a record over two lines"),
        (["1", "x", "x"], "a row with fewer cells"),
        (["1", "\udcff\udcfe", *["x"] * (len(HEADER) - 2)], "bytes that are not UTF-8"),
    ],
)
def test_batches_it_cannot_map_line_for_line_go_row_by_row(cast, cells, why):
    _, columnar, _, _ = checker_for(cast.c11, HEADER)
    with pytest.raises(Fallback):
        columnar((",".join(cells) + "\n").encode("utf-8", "surrogateescape"), 1)


def test_import_with_and_without_the_columnar_pass_is_identical(cast, tmp_path):
    """A messy file, in batches some of which fall back to row by row: same members, same errors,
    dashboards exact either way."""
    data_rows = [person(i, [cast.b111.code, cast.b112.code][i % 2]) for i in range(30)]
    data_rows[3] = person(3, cast.b111.code, **{"Ngày sinh": "30/02/2002"})
    data_rows[5] = person(5, cast.b111.code, **{"Số CCCD": " " + data_rows[2][4]})  # the same person, spaced
    data_rows[8] = person(8, cast.b111.code, **{"Số CCCD": data_rows[7][4]})
    data_rows[11] = person(11, cast.b111.code, **{"Họ và tên": "  Trần  Thị   Bình "})
    data_rows[13] = ["", "Lê Văn\nNam", *person(13, cast.b111.code)[2:]]  # a record over two lines
    data_rows[17] = person(17, cast.b111.code, **{"Số CCCD": cast.m_b111_0.citizen_id})  # on record
    data_rows[21] = [""] * len(HEADER)  # blank
    data_rows[24] = person(24, cast.b112.code, **{"SĐT": "0912 345 678", "Mã chi đoàn": f" {cast.b112.code.lower()} "})
    data_rows[26] = person(27, cast.b112.code, **{"Số CCCD": f" {data_rows[27][4]}"})  # row by row, and first
    codes = [r[4].strip() for r in data_rows if len(r) > 4 and r[4]]
    results = []
    for columnar in (True, False):
        rollups.dashboards_recount()  # the figures start exact (the members of the run before are gone)
        stats_recount()
        path = write(tmp_path / f"c{columnar}.csv", data_rows)
        report = import_csv(path, unit=cast.c11.code, batch=6, columnar=columnar)
        results.append(((report.read, report.imported, report.rejected), member_rows(codes), errors_of(path)))
        after = rollup_snapshot()
        rollups.dashboards_recount()
        assert rollup_snapshot() == after
        stats_exact()
        fresh = [c for c in codes if c != cast.m_b111_0.citizen_id]
        MemberStatusRecord.objects.filter(member__citizen_id__in=fresh).delete()
        Member.objects.filter(citizen_id__in=fresh).delete()
    assert results[0][0] == (29, 24, 5)
    assert results[0] == results[1]
    assert [e["Dòng"] for e in results[0][2]] == ["5", "7", "10", "19", "29"]

"""RowChecker: the same verdicts as members.services.clean_member_data, plus what an import adds."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from conftest import make_cccd
from doanso.core import vn
from doanso.core.models import RuleSet
from doanso.core.rules import rules_on
from doanso.imports.rows import ROW_COLUMNS, RowChecker, normalize_phone, parse_date
from doanso.members.models import Member
from doanso.members.services import clean_member_data

TODAY = date(2026, 6, 15)
DOB = date(2004, 5, 17)


def base(**extra) -> dict:
    data = {
        "full_name": "Nguyễn Văn An",
        "date_of_birth": DOB,
        "sex": "M",
        "citizen_id": make_cccd(DOB, "M", province="089"),
        "admitted_on": date(2021, 3, 26),
        "ethnicity": "01",
        "religion": "00",
    }
    data.update(extra)
    return data


# (label, overrides) — each row is checked by both and must get the same verdict on the same fields.
CASES = [
    ("good", {}),
    ("good with phone and e-mail", {"phone": "0912 345 678", "email": "an@vi-du.vn", "occupation": "Công nhân"}),
    ("good old 11-digit phone", {"phone": "01688123456"}),
    ("good female", {"sex": "F", "full_name": "Trần Thị Bình", "citizen_id": make_cccd(DOB, "F", province="001")}),
    ("good Party member", {"party_joined_on": date(2024, 9, 2)}),
    ("good issue date", {"citizen_id_issued_on": date(2021, 6, 1), "citizen_id_issued_place": "Cục CS QLHC"}),
    ("missing name", {"full_name": ""}),
    ("one-word name", {"full_name": "An"}),
    ("digits in name", {"full_name": "Nguyễn Văn 2"}),
    ("missing birth date", {"date_of_birth": None}),
    ("future birth date", {"date_of_birth": TODAY + timedelta(days=3)}),
    ("over 100", {"date_of_birth": date(1920, 1, 1), "citizen_id": make_cccd(date(1920, 1, 1), "M", province="089")}),
    ("missing sex", {"sex": ""}),
    ("bad sex", {"sex": "X"}),
    ("missing CCCD", {"citizen_id": ""}),
    ("short CCCD", {"citizen_id": "08920400001"}),
    ("letters in CCCD", {"citizen_id": "08920400000A"}),
    ("CCCD year contradicts", {"citizen_id": make_cccd(date(2005, 1, 1), "M", province="089")}),
    ("CCCD sex contradicts", {"citizen_id": make_cccd(DOB, "F", province="089")}),
    ("CCCD unknown prefix", {"citizen_id": make_cccd(DOB, "M", province="003")}),
    ("unknown ethnicity", {"ethnicity": "99"}),
    ("unknown religion", {"religion": "77"}),
    ("bad phone", {"phone": "0123"}),
    ("letters in phone", {"phone": "0912 ABC DEF"}),
    ("foreign phone", {"phone": "+33 6 12 34 56 78"}),
    ("bad e-mail", {"email": "an@"}),
    ("legacy id", {"legacy_id_9": "12345"}),
    ("issued in the future", {"citizen_id_issued_on": TODAY + timedelta(days=1)}),
    ("issued before birth", {"citizen_id_issued_on": DOB - timedelta(days=1)}),
    ("missing admission", {"admitted_on": None}),
    ("admission in the future", {"admitted_on": TODAY + timedelta(days=1)}),
    ("admitted at 15", {"admitted_on": date(2020, 1, 1)}),
    ("admitted at 31", {"date_of_birth": date(1990, 1, 1), "admitted_on": date(2021, 6, 1),
                         "citizen_id": make_cccd(date(1990, 1, 1), "M", province="089")}),
    ("admitted on the 16th birthday", {"admitted_on": date(2020, 5, 17)}),
    ("admitted the day before", {"admitted_on": date(2020, 5, 16)}),
    ("Party before 18", {"party_joined_on": date(2021, 1, 1)}),
    ("Party in the future", {"party_joined_on": TODAY + timedelta(days=10)}),
    ("bad position", {"position": "chief"}),
    ("several errors", {"full_name": "X", "sex": "?", "phone": "12", "email": "nope"}),
]  # fmt: skip


def service_verdict(data: dict) -> set[str]:
    try:
        clean_member_data(data)
    except ValidationError as exc:
        return set(exc.message_dict)
    return set()


@pytest.fixture
def frozen_today(monkeypatch):
    monkeypatch.setattr("doanso.members.services._today", lambda: TODAY)
    return TODAY


@pytest.mark.parametrize("label,overrides", CASES, ids=[c[0] for c in CASES])
def test_same_verdicts_as_clean_member_data(cast, frozen_today, label, overrides):
    data = base(**overrides)
    checker = RowChecker(unit=cast.p1, today=TODAY)
    clean, errors = checker.check({**data, "branch_code": cast.b111.code})
    expected = service_verdict(data)
    assert {e.field for e in errors} == expected, label
    assert (clean is None) == bool(expected)
    if label.startswith("good"):
        assert not expected
    for e in errors:
        assert e.reason and e.field


def test_clean_row_matches_what_the_model_computes(cast, frozen_today):
    data = base(full_name="  nguyễn   thị ngọc   Ánh ", sex="F", citizen_id=make_cccd(DOB, "F", province="089"),
                phone="+84 912-345-678", occupation=" Công  nhân ")  # fmt: skip
    data["full_name"] = "  Nguyễn   Thị Ngọc   Ánh "
    checker = RowChecker(unit=cast.p1, today=TODAY)
    clean, errors = checker.check({**data, "branch_code": cast.b111.code.lower()})
    assert errors == []
    assert list(clean) == ROW_COLUMNS
    service, _ = clean_member_data(data)
    probe = Member(**service)
    probe.set_derived_name_fields()
    probe.set_placement(cast.b111)
    for field in ("full_name", "family_name", "given_name", "sort_key", "search_name", "search_given", "unit_path",
                  "scope1", "scope2", "scope3", "citizen_id", "phone", "occupation", "date_of_birth", "admitted_on"):  # fmt: skip
        assert clean[field] == getattr(probe, field), field
    assert clean["full_name"] == "Nguyễn Thị Ngọc Ánh"
    assert clean["unit_id"] == cast.b111.pk and clean["ethnicity_id"] == "01" and clean["religion_id"] == "00"
    assert clean["status"] == "active" and clean["status_since"] == data["admitted_on"]
    row = checker.as_row(clean, 7)
    assert row[0] == 7 and len(row) == len(ROW_COLUMNS) + 1


def test_cells_as_spreadsheets_give_them(cast, frozen_today):
    checker = RowChecker(unit=cast.p1, today=TODAY)
    cid = make_cccd(date(1999, 12, 31), "F", province="001")
    raw = {
        "full_name": "Lê Thị\u0301 Hoa".replace("\u0301", "") + "",  # plain NFC
        "date_of_birth": (date(1999, 12, 31) - date(1899, 12, 30)).days,  # Excel serial number
        "sex": "nữ",
        "citizen_id": int(cid),  # Excel dropped the leading zeros
        "admitted_on": "26/3/17",
        "ethnicity": "Khmer",
        "religion": "phat giao",
        "phone": 912345678,
        "is_salaried": "x",
        "federation_member": "Có",
        "citizen_id_issued_on": datetime(2021, 4, 1, 0, 0),
        "position": "Bí thư",
        "branch_code": f"  {cast.b112.code} ",
    }
    clean, errors = checker.check(raw)
    assert errors == []
    assert clean["date_of_birth"] == date(1999, 12, 31)
    assert clean["citizen_id"] == cid
    assert clean["admitted_on"] == date(2017, 3, 26)
    assert clean["ethnicity_id"] == "05" and clean["religion_id"] == "01"
    assert clean["phone"] == "+84912345678"
    assert clean["is_salaried"] is True and clean["federation_member"] is True
    assert clean["student_association_member"] is False
    assert clean["citizen_id_issued_on"] == date(2021, 4, 1)
    assert clean["position"] == "secretary"
    assert clean["unit_id"] == cast.b112.pk


def test_name_normalised_from_nfd(cast, frozen_today):
    checker = RowChecker(unit=cast.p1, today=TODAY)
    import unicodedata

    nfd = unicodedata.normalize("NFD", "Nguyễn  Văn   Đạt")
    clean, errors = checker.check({**base(full_name=nfd), "branch_code": cast.b111.code})
    assert errors == [] and clean["full_name"] == "Nguyễn Văn Đạt" and clean["search_name"] == "nguyen van dat"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("05/02/2025", date(2025, 2, 5)),
        ("5/2/25", date(2025, 2, 5)),
        ("5/2/98", date(1998, 2, 5)),
        ("05-02-2025", date(2025, 2, 5)),
        ("05.02.2025", date(2025, 2, 5)),
        ("2025-02-05", date(2025, 2, 5)),
        ("45693", date(2025, 2, 5)),
        ("31/02/2025", None),
        ("13/13/2025", None),
        ("hôm qua", None),
        ("2025", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text, TODAY) == expected


def test_bad_cells_reported_per_field(cast, frozen_today):
    checker = RowChecker(unit=cast.p1, today=TODAY)
    raw = {**base(date_of_birth="31/02/2004", ethnicity="Người sao Hỏa", is_salaried="maybe"), "branch_code": "NOPE"}
    clean, errors = checker.check(raw)
    assert clean is None
    by_field = {e.field: e for e in errors}
    assert by_field["date_of_birth"].value == "31/02/2004"
    assert "dd/mm/yyyy" in by_field["date_of_birth"].reason
    assert "Người sao Hỏa" in by_field["ethnicity"].reason
    assert "is_salaried" in by_field
    assert "NOPE" in by_field["branch_code"].reason


def test_branch_must_be_an_open_branch_in_the_subtree(cast, frozen_today):
    from doanso.organisations.models import Unit

    checker = RowChecker(unit=cast.c11, today=TODAY)
    assert checker.placement(cast.b111.code) is not None
    for code in (cast.b121.code, cast.c11.code, cast.p1.code, ""):  # other commune, not branches, empty
        _, errors = checker.check({**base(), "branch_code": code})
        assert [e.field for e in errors] == ["branch_code"], code
    Unit.objects.filter(pk=cast.b112.pk).update(closed_on=TODAY)
    _, errors = RowChecker(unit=cast.c11, today=TODAY).check({**base(), "branch_code": cast.b112.code})
    assert [e.field for e in errors] == ["branch_code"]


def test_text_longer_than_the_column_is_refused(cast, frozen_today):
    checker = RowChecker(unit=cast.p1, today=TODAY)
    _, errors = checker.check({**base(occupation="x" * 121), "branch_code": cast.b111.code})
    assert [e.field for e in errors] == ["occupation"]


def test_unknown_prefix_can_be_accepted_but_contradictions_never(cast, frozen_today):
    checker = RowChecker(unit=cast.p1, today=TODAY, accept_unknown_prefix=True)
    clean, errors = checker.check(
        {**base(citizen_id=make_cccd(DOB, "M", province="003")), "branch_code": cast.b111.code}
    )
    assert errors == [] and clean is not None and checker.warnings
    _, errors = checker.check({**base(citizen_id=make_cccd(DOB, "F", province="003")), "branch_code": cast.b111.code})
    assert [e.field for e in errors] == ["citizen_id"]
    assert "Giới tính" in errors[0].reason


def test_rule_set_in_force_on_the_admission_day(cast, frozen_today):
    RuleSet.objects.create(effective_from=date(2022, 1, 1), values={"admission_min_age": 17}, note="Thử")
    checker = RowChecker(unit=cast.p1, today=TODAY)
    for day in (date(2021, 12, 31), date(2022, 1, 1), date(2025, 1, 1), date(1990, 1, 1)):
        assert checker.rules_on(day).admission_min_age == rules_on(day).admission_min_age
    # 16 years old: fine under the old set, too young under the new one
    data = base(admitted_on=date(2020, 6, 1))
    assert checker.check({**data, "branch_code": cast.b111.code})[1] == []
    data = base(admitted_on=date(2022, 6, 1), date_of_birth=date(2006, 1, 1),
                citizen_id=make_cccd(date(2006, 1, 1), "M", province="089"))  # fmt: skip
    _, errors = checker.check({**data, "branch_code": cast.b111.code})
    assert [e.field for e in errors] == ["admitted_on"]
    assert service_verdict(data) == {"admitted_on"}


def test_fast_phone_path_agrees_with_vn_normalize_phone():
    rnd = random.Random(5)
    prefixes = ["03", "05", "07", "08", "09", "02", "01", "04", "06", "00"]
    for _ in range(5000):
        s = rnd.choice(prefixes) + "".join(rnd.choice("0123456789") for _ in range(rnd.choice([8, 9, 10])))
        for form in (s, "+84" + s[1:]):
            try:
                expected = vn.normalize_phone(form)
            except vn.PhoneError:
                expected = "error"
            try:
                got = normalize_phone(form)
            except vn.PhoneError:
                got = "error"
            assert got == expected, form

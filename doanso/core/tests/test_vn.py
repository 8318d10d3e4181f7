"""Vietnamese text and identity helpers (conventions.md §1, §2, §4, §7.1)."""

from __future__ import annotations

import random
import unicodedata
from datetime import date

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from doanso.core import vn

# conventions.md §4: verified ICU/CLDR `vi` order (PyICU 2.17 / ICU 72, PostgreSQL vi-VN-x-icu).
ICU_VI_SEQUENCE = [
    "Anh",
    "Ánh",
    "Ăn",
    "Ân",
    "Ấn",
    "Dũng",
    "Dương",
    "Đạt",
    "Ha",
    "Hà",
    "Hả",
    "Hã",
    "Há",
    "Hạ",
    "Oanh",
    "Ô",
    "Ơn",
    "Uyên",
    "Ư",
    "Ưng",
    "Ý",
    "Yến",
]


def shuffled(items, seed=7):
    items = list(items)
    random.Random(seed).shuffle(items)
    return items


# ---------------------------------------------------------------- name order


def test_single_given_names_follow_the_verified_icu_sequence():
    for seed in range(5):
        assert sorted(shuffled(ICU_VI_SEQUENCE, seed), key=vn.name_sort_key) == ICU_VI_SEQUENCE


def test_plain_python_sort_would_get_it_wrong():
    # guards the test above: the sequence really needs the Vietnamese key
    assert sorted(ICU_VI_SEQUENCE) != ICU_VI_SEQUENCE


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("An", "Anh"),  # a shorter word first
        ("Anh", "Ánh"),  # tones only break ties …
        ("Ánh", "Ăn"),  # … letters decide first (ă after a, whatever the tone)
        ("Ân", "Ấn"),
        ("Dương", "Đạt"),  # đ after every d
        ("Dũng", "Dương"),  # u before ư
        ("Ha", "Hà"),
        ("Hà", "Hả"),  # ngang, huyền, hỏi, ngã, sắc, nặng
        ("Hả", "Hã"),
        ("Hã", "Há"),
        ("Há", "Hạ"),
        ("Oanh", "Ô"),
        ("Ô", "Ơn"),
        ("Uyên", "Ư"),
        ("Ưng", "Ý"),
        ("Ý", "Yến"),
        ("Yến", "Zoe"),  # foreign letters in Latin order
        ("Vy", "Wendy"),
    ],
)
def test_pairwise_vietnamese_order(before, after):
    assert vn.name_sort_key(before) < vn.name_sort_key(after)


def test_full_names_are_ordered_by_given_then_middle_then_family():
    expected = [
        "Trần An",  # tên An before Anh, whatever the họ
        "Nguyễn Văn An",
        "Lê Anh",  # no đệm before any đệm
        "Bùi Thị Anh",
        "Đặng Thị Anh",  # same tên and đệm: họ decides, B before Đ
        "Nguyễn Văn Anh",
        "Bùi Ánh",  # every "Anh" before every "Ánh" (tên compared in full first)
        "Nguyễn Thị Ngọc Ánh",
        "Hồ Văn Đạt",
        "Âu Thị Hà",
        "Lê Văn Ưng",
    ]
    assert sorted(shuffled(expected), key=vn.name_sort_key) == expected


def test_given_name_tone_decides_before_family_name_letters():
    # tuple order (tên, đệm, họ): "Đặng Anh" < "Bùi Ánh" although B < Đ
    assert vn.name_sort_key("Đặng Anh") < vn.name_sort_key("Bùi Ánh")
    # and the đệm is compared in full before the họ
    assert vn.name_sort_key("Võ Thị Anh") < vn.name_sort_key("Bùi Thị Ánh")
    assert vn.name_sort_key("Võ An Anh") < vn.name_sort_key("Bùi Ân Anh")


def test_family_first_order_is_available():
    names = ["Bùi Văn Anh", "Nguyễn An", "Đặng Thị Bình", "Âu Văn Dũng"]
    key = lambda n: vn.name_sort_key(n, order="family_middle_given")  # noqa: E731
    assert sorted(names, key=key) == ["Âu Văn Dũng", "Bùi Văn Anh", "Đặng Thị Bình", "Nguyễn An"]


def test_sort_key_ignores_case_spacing_and_unicode_form():
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Ánh")
    assert nfd != "Nguyễn Thị Ánh"
    assert vn.name_sort_key(nfd) == vn.name_sort_key("Nguyễn Thị Ánh")
    assert vn.name_sort_key("  nguyễn   thị  ÁNH ") == vn.name_sort_key("Nguyễn Thị Ánh")


def test_sort_key_is_digits_only_so_any_collation_agrees():
    for name in ICU_VI_SEQUENCE + ["Nguyễn Thị Ngọc Ánh", "Ksor H'Bia", "Nông Thị Xuân-Mai"]:
        key = vn.name_sort_key(name)
        assert key.isdigit(), key


@pytest.mark.django_db
def test_sort_key_agrees_with_postgresql_icu_collation():
    """On PostgreSQL (built with ICU), ORDER BY … COLLATE "vi-VN-x-icu" is the reference."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's ICU collations")
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_collation WHERE collname = 'vi-VN-x-icu'")
        if cur.fetchone() is None:
            pytest.skip("PostgreSQL built without ICU")
    families = ["Nguyễn", "Trần", "Lê", "Đặng", "Âu", "Ông", "Ưng", "Bùi", "Vũ", "Võ", "Hồ", "Hà", "Ksor"]
    middles = ["", "Văn", "Thị", "Thị Ngọc", "Đức", "Hữu", "Ngọc", "Anh", "An", "H'"]
    givens = ICU_VI_SEQUENCE + ["An", "Hạnh", "Hanh", "Lương", "Lượng", "Bình", "Thư", "Thu", "H'Bia", "Hbia"]
    rng = random.Random(42)
    names = {
        " ".join(p for p in (rng.choice(families), rng.choice(middles), rng.choice(givens)) if p) for _ in range(600)
    }
    rows = [(n, *vn.split_name(n).__dict__.values()) for n in names]
    with connection.cursor() as cur:
        cur.execute("CREATE TEMPORARY TABLE vn_names (n text, family text, middle text, given text)")
        cur.executemany("INSERT INTO vn_names VALUES (%s, %s, %s, %s)", rows)
        cur.execute(
            'SELECT n FROM vn_names ORDER BY given COLLATE "vi-VN-x-icu", middle COLLATE "vi-VN-x-icu", '
            'family COLLATE "vi-VN-x-icu"'
        )
        icu_order = [r[0] for r in cur.fetchall()]
        cur.execute("DROP TABLE vn_names")
    assert sorted(names, key=vn.name_sort_key) == icu_order


# ---------------------------------------------------------------- folding and splitting


def test_fold_strips_tones_and_maps_d_bar():
    assert vn.fold("Nguyễn Văn Đạt") == "nguyen van dat"
    assert vn.fold("ĐẶNG THỊ ƯỚC") == "dang thi uoc"
    assert vn.fold("Bru - Vân Kiều") == "bru van kieu"  # one space between words
    assert vn.fold("  Hồ   Thị\tNgọc  Ánh ") == "ho thi ngoc anh"
    assert vn.fold("ÐINH") == "dinh"  # legacy look-alike Ð (U+00D0)
    assert vn.fold("") == "" and vn.fold(None) == ""


def test_fold_nfd_input_equals_nfc_input():
    text = "Nguyễn Thị Ngọc Ánh, Đắk Lắk"
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text
    assert vn.fold(nfd) == vn.fold(text) == "nguyen thi ngoc anh dak lak"


def test_split_name():
    assert vn.split_name("Nguyễn Thị Ngọc Ánh") == vn.NameParts("Nguyễn", "Thị Ngọc", "Ánh")
    assert vn.split_name("Trần An") == vn.NameParts("Trần", "", "An")
    assert vn.split_name("  Lê   Văn  Tám ") == vn.NameParts("Lê", "Văn", "Tám")
    assert vn.split_name("Mai") == vn.NameParts("", "", "Mai")
    nfd = unicodedata.normalize("NFD", "Đặng Ánh")
    assert vn.split_name(nfd) == vn.NameParts("Đặng", "", "Ánh")


def test_search_forms_put_the_given_name_first():
    assert vn.search_forms("Nguyễn Thị Ngọc Ánh") == ("nguyen thi ngoc anh", "anh nguyen thi ngoc")
    assert vn.search_forms("Mai") == ("mai", "mai")


# ---------------------------------------------------------------- citizen ID


def test_citizen_id_worked_example():
    check = vn.check_citizen_id("087084000999", date(1984, 6, 1), "M")
    assert check.errors == [] and check.warnings == []
    assert check.number == "087084000999"
    assert vn.citizen_id_birth_place("087084000999") == "Đồng Tháp"


@pytest.mark.parametrize("raw", ["08708400099", "0870840009999", "08708400099A", "", None, "087-084-000-99x"])
def test_citizen_id_not_12_digits_is_a_hard_error(raw):
    check = vn.check_citizen_id(raw, date(1984, 6, 1), "M")
    assert check.errors == ["Số CCCD phải gồm đúng 12 chữ số."]
    assert check.warnings == []


def test_citizen_id_separators_are_ignored():
    check = vn.check_citizen_id(" 087 084.000-999 ")
    assert check.errors == [] and check.number == "087084000999"


def test_citizen_id_unknown_province_prefix_is_a_warning():
    check = vn.check_citizen_id("003084000999", date(1984, 1, 1), "M")  # 003 is not among the 63 codes
    assert check.errors == []
    assert len(check.warnings) == 1 and "003" in check.warnings[0] and "63 tỉnh" in check.warnings[0]
    assert vn.citizen_id_birth_place("003084000999") is None


def test_citizen_id_year_mismatch_is_a_warning_naming_the_decoded_year():
    check = vn.check_citizen_id("087084000999", date(1985, 1, 1), "M")
    assert check.errors == []
    assert len(check.warnings) == 1 and "1984" in check.warnings[0]


@pytest.mark.parametrize(
    ("number", "year", "sex", "year_warning", "sex_warning"),
    [
        ("001203000123", 2003, "M", False, False),  # 2 = male born 20xx
        ("001303000123", 2003, "F", False, False),  # 3 = female born 20xx
        ("001203000123", 2003, "F", False, True),
        ("001099000123", 1999, "M", False, False),  # 0 = male born 19xx
        ("001199000123", 1999, "F", False, False),  # 1 = female born 19xx
        ("001003000123", 2003, "M", True, False),  # decodes to 1903
        ("001403000123", 2103, "M", False, False),  # 4 = male born 21xx
        ("001503000123", 2003, "M", True, True),  # 5 = female born 21xx
    ],
)
def test_citizen_id_century_and_sex_digit(number, year, sex, year_warning, sex_warning):
    check = vn.check_citizen_id(number, date(year, 5, 5), sex)
    assert check.errors == []
    assert any("Năm sinh" in w for w in check.warnings) == year_warning
    assert any("Giới tính" in w for w in check.warnings) == sex_warning


def test_citizen_id_sex_mismatch_is_a_warning():
    assert vn.check_citizen_id("001203000123", date(2003, 1, 1), "M").warnings == []  # 2 = male, 2000s
    check = vn.check_citizen_id("001203000123", date(2003, 1, 1), "F")
    assert check.errors == [] and check.warnings == ["Giới tính không khớp với chữ số thứ 4 của số CCCD."]
    assert vn.check_citizen_id("001303000123", date(2003, 1, 1), "F").warnings == []


def test_citizen_id_mask():
    assert vn.mask_citizen_id("079203001234") == "0792******34"


# ---------------------------------------------------------------- phones


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0912345678", "+84912345678"),
        ("0912 345 678", "+84912345678"),
        ("0912.345.678", "+84912345678"),
        ("0912-345-678", "+84912345678"),
        ("(0912) 345 678", "+84912345678"),
        ("+84912345678", "+84912345678"),
        ("+84 912 345 678", "+84912345678"),
        ("+84 (0) 912 345 678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("0084912345678", "+84912345678"),
        ("0084 912 345 678", "+84912345678"),
        ("024 3825 1234", "+842438251234"),  # landline, 11 digits with the 0
        ("0398765432", "+84398765432"),
    ],
)
def test_normalize_phone_formats(raw, e164):
    assert vn.normalize_phone(raw) == e164


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("01621234567", "+84321234567"),
        ("0169 123 4567", "+84391234567"),
        ("01201234567", "+84701234567"),
        ("01211234567", "+84791234567"),
        ("01231234567", "+84831234567"),
        ("01271234567", "+84811234567"),
        ("01861234567", "+84561234567"),
        ("01881234567", "+84581234567"),
        ("01991234567", "+84591234567"),
        ("+84 162 123 4567", "+84321234567"),
    ],
)
def test_normalize_phone_maps_old_11_digit_mobile_prefixes(old, new):
    assert vn.normalize_phone(old) == new


def test_old_prefix_table_matches_conventions():
    expected = {
        "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036", "0167": "037", "0168": "038",
        "0169": "039", "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078", "0123": "083",
        "0124": "084", "0125": "085", "0127": "081", "0129": "082", "0186": "056", "0188": "058", "0199": "059",
    }  # fmt: skip
    for old, new in expected.items():
        assert vn.normalize_phone(f"{old}1234567") == f"+84{new[1:]}1234567"


@pytest.mark.parametrize(
    "raw",
    [
        "0123456789",  # 012 is not a range in use since 2018
        "0912",
        "12345",
        "09123456789012",
        "0912 ABC DEF",  # letters are not a keypad here
        "0912345678 ext 12",
        "0912345678x",
        "+1 650 253 0000",  # not Vietnamese
        "+84",
        "số điện thoại",
    ],
)
def test_normalize_phone_rejects_invalid_numbers(raw):
    with pytest.raises(vn.PhoneError) as exc:
        vn.normalize_phone(raw)
    assert "Số điện thoại" in str(exc.value)


def test_normalize_phone_empty_is_empty():
    assert vn.normalize_phone("") == "" and vn.normalize_phone(None) == "" and vn.normalize_phone("  ") == ""


def test_format_phone_national():
    assert vn.format_phone("+84912345678") == "0912 345 678"
    assert vn.format_phone("") == ""


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2025, 2, 5), "ngày 05 tháng 02 năm 2025"),
        (date(2025, 1, 9), "ngày 09 tháng 01 năm 2025"),
        (date(2025, 3, 15), "ngày 15 tháng 3 năm 2025"),
        (date(2025, 3, 1), "ngày 01 tháng 3 năm 2025"),
        (date(2025, 9, 30), "ngày 30 tháng 9 năm 2025"),
        (date(2013, 10, 29), "ngày 29 tháng 10 năm 2013"),
        (date(2025, 12, 31), "ngày 31 tháng 12 năm 2025"),
    ],
)
def test_long_date_padding_rule(day, text):
    assert vn.long_date(day) == text


def test_long_date_with_place():
    assert vn.long_date(date(2025, 2, 5), "Hà Nội") == "Hà Nội, ngày 05 tháng 02 năm 2025"


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2000, 6, 15), date(2016, 6, 14), 15),
        (date(2000, 6, 15), date(2016, 6, 15), 16),  # the birthday itself
        (date(2000, 6, 15), date(2030, 12, 31), 30),
        (date(2000, 6, 15), date(2031, 6, 15), 31),
        (date(2000, 6, 15), date(2000, 6, 15), 0),
        (date(2008, 2, 29), date(2024, 2, 28), 15),
        (date(2008, 2, 29), date(2024, 2, 29), 16),  # leap year: the real birthday
        (date(2008, 2, 29), date(2025, 2, 28), 16),  # non-leap year: not yet …
        (date(2008, 2, 29), date(2025, 3, 1), 17),  # … counted from 1 March
        (date(2007, 3, 1), date(2024, 2, 29), 16),
    ],
)
def test_age_on(born, on, age):
    assert vn.age_on(born, on) == age


# Text a form or a file may carry: Vietnamese in NFC and NFD, every kind of white space, controls.
_TEXT_PIECES = ["Nguyễn", "Nguye\u0302\u0303n", "Thị", "Ánh", "A\u0301nh", " ", "  ", "\t", "\n", "\xa0", "\u2003",
                "\u2028", "\x85", "\x1f", "'", "-", "x", "đ", "\u0301"]  # fmt: skip


@given(st.lists(st.sampled_from(_TEXT_PIECES), max_size=8).map("".join))
@settings(max_examples=400)
def test_nfc_fast_path_agrees_with_the_definition(text):
    """vn.nfc skips the work for text already clean; it must answer what the plain definition does."""
    import re

    assert vn.nfc(text) == re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


@given(
    st.lists(
        st.sampled_from(
            [
                "Nguyễn",
                "Trần",
                "Thị",
                "Văn",
                "Ngọc",
                "Ánh",
                "K'Brơi",
                "H'Hen",
                "Y",
                "Đạt",
                "Nguye\u0302\u0303n",
                " ",
                "  ",
            ]
        ),
        min_size=1,
        max_size=6,
    ).map(" ".join)
)
@settings(max_examples=300)
def test_derived_name_fields_as_the_parts_define_them(name):
    """The name columns, with the per-word sort codes cached, are those the uncached functions give."""
    from doanso.members.models import derived_name_fields

    derived_name_fields(name)  # warm the caches with this name's words
    full, family, given_name, sort_key, search_name, search_given = derived_name_fields(name)
    assert full == vn.nfc(name)
    cached = vn._letters_and_tones
    vn._letters_and_tones = cached.__wrapped__
    try:
        assert sort_key == vn.name_sort_key(full)
    finally:
        vn._letters_and_tones = cached
    assert (search_name, search_given) == vn.search_forms(full)
    assert (family, given_name) == (vn.split_name(full).family[:40], vn.split_name(full).given[:40])

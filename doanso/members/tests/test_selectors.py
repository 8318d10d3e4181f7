"""Reads of the member registry: scope, filters, search, Vietnamese name order, totals, query count."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from conftest import member_data
from doanso.accounts.models import User
from doanso.core import vn
from doanso.core.scope import ScopeError
from doanso.members import selectors
from doanso.members.choices import MemberStatus
from doanso.members.models import Member
from doanso.members.selectors import MemberFilters, member_list
from doanso.members.services import member_change_status, member_create
from doanso.organisations.choices import UnitKind
from doanso.organisations.services import unit_create


@pytest.fixture
def acc(cast):
    return SimpleNamespace(**cast.users)


def ids(actor, unit, **filters) -> set[int]:
    page = member_list(actor=actor, unit=unit, filters=MemberFilters(**filters), page_size=1000)
    assert page.total == len(page.rows)
    return {m.pk for m in page.rows}


def members_under(*units) -> set[int]:
    return set(Member.objects.filter(unit__in=units).values_list("pk", flat=True))


def names(page) -> list[str]:
    return [m.full_name for m in page.rows]


# ---------------------------------------------------------------- subtree and scope


def test_list_includes_descendants_by_default(cast, acc):
    assert ids(acc.c11, cast.c11) == members_under(cast.b111, cast.b112)
    assert ids(acc.p1, cast.p1) == members_under(cast.b111, cast.b112, cast.b121, cast.b122)
    assert ids(acc.central, cast.tw) == set(Member.objects.values_list("pk", flat=True))
    assert len(ids(acc.central, cast.tw)) == 24


def test_list_can_exclude_descendants(cast, acc):
    assert ids(acc.c11, cast.c11, include_descendants=False) == set()
    assert ids(acc.c11, cast.b111, include_descendants=False) == members_under(cast.b111)
    assert MemberFilters.from_params({"include_descendants": "0"}).include_descendants is False
    assert MemberFilters.from_params({}).include_descendants is True


def test_sibling_commune_members_never_appear(cast, acc):
    c12_members = members_under(cast.b121, cast.b122)
    assert not ids(acc.c11, cast.c11) & c12_members
    with pytest.raises(ScopeError):
        member_list(actor=acc.c11, unit=cast.c12, filters=MemberFilters())
    with pytest.raises(ScopeError):
        member_list(actor=acc.c11, unit=cast.p1, filters=MemberFilters())  # the parent is out of scope too
    # even when searching for them by CCCD, phone or name
    outsider = cast.m_b121_0
    for q in (outsider.citizen_id, vn.format_phone(outsider.phone), outsider.full_name, vn.fold(outsider.given_name)):
        assert not ids(acc.c11, cast.c11, q=q), q
        assert outsider.pk in ids(acc.c12, cast.c12, q=q), q


def test_member_account_and_stranger_see_no_list(cast, acc):
    with pytest.raises(ScopeError):
        member_list(actor=acc.member_b111, unit=cast.b111, filters=MemberFilters())
    inactive = acc.c11
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    inactive.refresh_from_db()
    with pytest.raises(ScopeError):
        member_list(actor=inactive, unit=cast.c11, filters=MemberFilters())


def test_member_get_scope(cast, acc):
    m = cast.m_b111_1
    assert selectors.member_get(actor=acc.c11, pk=m.pk) == m
    assert selectors.member_get(actor=acc.c11_clerk, pk=m.pk) == m
    with pytest.raises(Member.DoesNotExist):
        selectors.member_get(actor=acc.c12, pk=m.pk)
    with pytest.raises(Member.DoesNotExist):
        selectors.member_get(actor=acc.member_b111, pk=m.pk)  # not their own record
    assert selectors.member_get(actor=acc.member_b111, pk=cast.m_b111_0.pk) == cast.m_b111_0
    assert selectors.member_of_account(acc.member_b111) == cast.m_b111_0
    assert selectors.member_of_account(acc.c11) is None


# ---------------------------------------------------------------- filters


def test_status_filter(cast, acc):
    m = cast.m_b111_2
    member_change_status(
        actor=acc.c11, member=m, status=MemberStatus.AGED_OUT, effective_on=date(2025, 9, 1), reason="Đủ tuổi"
    )
    everyone = members_under(cast.b111, cast.b112)
    assert ids(acc.c11, cast.c11) == everyone - {m.pk}  # default: current members only
    assert ids(acc.c11, cast.c11, status="aged_out") == {m.pk}
    assert ids(acc.c11, cast.c11, status="all") == everyone
    assert ids(acc.c11, cast.c11, status="active") == everyone - {m.pk}
    member_change_status(
        actor=acc.c11, member=cast.m_b112_0, status="in_transit", effective_on=date(2025, 9, 1), reason="Chuyển"
    )
    assert cast.m_b112_0.pk in ids(acc.c11, cast.c11)  # in transit is still on the rolls
    assert cast.m_b112_0.pk not in ids(acc.c11, cast.c11, status="active")


def test_sex_filter(cast, acc):
    women = set(
        Member.objects.filter(unit__in=[cast.b111, cast.b112], full_name__contains=" Thị ").values_list("pk", flat=True)
    )
    assert women  # the cast has women in C11
    assert ids(acc.c11, cast.c11, sex="F") == women
    assert ids(acc.c11, cast.c11, sex="M") == members_under(cast.b111, cast.b112) - women


def test_age_band_filter(cast, acc):
    today = timezone.localdate()

    def born(age: int, days_after_birthday: int) -> date:
        birthday = (
            today.replace(year=today.year - age)
            if not (today.month == 2 and today.day == 29)
            else date(today.year - age, 3, 1)
        )
        return date.fromordinal(birthday.toordinal() - days_after_birthday)

    young = member_create(
        actor=acc.c11,
        unit=cast.b111,
        data=member_data("Lâm Thị Mười Bảy", dob=born(17, 0), sex="F", admitted_on=today),
    )
    eighteen_tomorrow = member_create(
        actor=acc.c11,
        unit=cast.b111,
        data=member_data("Lâm Thị Sắp", dob=born(18, -1), sex="F", admitted_on=today),
    )
    just_eighteen = member_create(
        actor=acc.c11,
        unit=cast.b111,
        data=member_data("Lâm Thị Vừa", dob=born(18, 0), sex="F", admitted_on=today),
    )
    thirty_one = member_create(
        actor=acc.c11,
        unit=cast.b111,
        data=member_data("Lâm Văn Già", dob=born(31, 0), admitted_on=date(born(31, 0).year + 20, 1, 1)),
    )
    u18 = ids(acc.c11, cast.c11, age_band="u18")
    assert {young.pk, eighteen_tomorrow.pk} <= u18 and just_eighteen.pk not in u18
    assert just_eighteen.pk in ids(acc.c11, cast.c11, age_band="18_22")
    assert ids(acc.c11, cast.c11, age_band="o30") == {thirty_one.pk}
    # every band agrees with age_on
    for band, (low, high) in selectors.AGE_BANDS.items():
        expected = {
            m.pk for m in Member.objects.filter(unit__in=[cast.b111, cast.b112]) if low <= m.age_on(today) <= high
        }
        assert ids(acc.c11, cast.c11, age_band=band) == expected, band


def test_ethnicity_unit_kind_and_sector_filters(cast, acc):
    khmer = member_create(actor=acc.c11, unit=cast.b112, data=member_data("Thạch Thị Sa Rết", sex="F", ethnicity="05"))
    assert ids(acc.p1, cast.p1, ethnicity="05") == {khmer.pk}
    assert khmer.pk not in ids(acc.p1, cast.p1, ethnicity="01")
    gb = unit_create(
        actor=acc.p1, parent=cast.p1, code="T89-CDCS", name="Chi đoàn cơ sở Bệnh viện", kind=UnitKind.GRASSROOTS_BRANCH
    )
    nurse = member_create(actor=acc.p1, unit=gb, data=member_data("Lâm Thị Hạnh", sex="F"))
    assert ids(acc.p1, cast.p1, unit_kind=UnitKind.GRASSROOTS_BRANCH) == {nurse.pk}
    assert nurse.pk not in ids(acc.p1, cast.p1, unit_kind=UnitKind.BRANCH)
    # C22 is a school; its branches inherit the sector
    assert ids(acc.p2, cast.p2, sector="school") == members_under(cast.b221, cast.b222)
    assert ids(acc.p2, cast.p2, sector="locality") == members_under(cast.b211, cast.b212)


def test_invalid_filters_are_refused(cast, acc):
    for bad in ({"status": "ghost"}, {"sex": "X"}, {"age_band": "99"}, {"q": "a" * 101}):
        with pytest.raises(ValidationError) as info:
            member_list(actor=acc.c11, unit=cast.c11, filters=MemberFilters(**bad))
        assert set(bad) <= set(info.value.message_dict)


# ---------------------------------------------------------------- search


def test_search_by_name_without_diacritics(cast, acc):
    an = cast.m_b111_0  # Nguyễn Văn An
    assert an.full_name == "Nguyễn Văn An"
    for q in ("nguyen van an", "Nguyễn Văn An", "NGUYEN VAN", "nguyễn", "an nguyen"):
        assert an.pk in ids(acc.c11, cast.c11, q=q), q
    assert ids(acc.c11, cast.c11, q="nguyen van an") == {an.pk}
    assert ids(acc.c11, cast.c11, q="van an") == set()  # prefixes of the full name or of the given-first form


def test_search_by_given_name(cast, acc):
    anh = {cast.m_b112_0.pk, cast.m_b122_0.pk}  # Phạm Thị Ánh, Hồ Thị Ngọc Ánh
    assert {Member.objects.get(pk=pk).given_name for pk in anh} == {"Ánh"}
    assert ids(acc.p1, cast.p1, q="anh") == anh
    assert ids(acc.p1, cast.p1, q="Ánh") == anh
    assert ids(acc.c11, cast.c11, q="anh") == {cast.m_b112_0.pk}


def test_search_by_citizen_id(cast, acc):
    m = cast.m_b112_1
    assert ids(acc.c11, cast.c11, q=m.citizen_id) == {m.pk}
    spaced = f"{m.citizen_id[:3]} {m.citizen_id[3:6]} {m.citizen_id[6:]}"
    assert ids(acc.c11, cast.c11, q=spaced) == {m.pk}
    assert ids(acc.c11, cast.c11, q=m.citizen_id[:-1] + ("0" if m.citizen_id[-1] != "0" else "1")) == set()


def test_search_by_phone_in_any_common_format(cast, acc):
    m = cast.m_b112_2
    national = vn.format_phone(m.phone)  # "0912 3xx xxx"
    digits = national.replace(" ", "")
    forms = [
        digits,
        national,
        m.phone,
        f"+84 {digits[1:4]} {digits[4:7]} {digits[7:]}",
        f"84{digits[1:]}",
        f"0084{digits[1:]}",
        f"{digits[:4]}.{digits[4:7]}.{digits[7:]}",
        f"{digits[:4]}-{digits[4:7]}-{digits[7:]}",
        f"({digits[:4]}) {digits[4:]}",
    ]
    for q in forms:
        assert ids(acc.c11, cast.c11, q=q) == {m.pk}, q


def test_search_by_old_11_digit_number(cast, acc):
    m = member_create(actor=acc.c11, unit=cast.b111, data=member_data("Lâm Văn Cũ", phone="0321234567"))
    assert ids(acc.c11, cast.c11, q="0162 123 4567") == {m.pk}


def test_number_searches_are_index_range_scans_on_postgresql(cast, acc):
    """CCCD prefix, CCCD and phone searches read an index, not the 6.5 M-row table: on PostgreSQL
    the key columns compare byte by byte ("C"), so the CCCD unique index serves LIKE '079…%'."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans and collations")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT column_name, collation_name FROM information_schema.columns WHERE table_name = %s "
            "AND column_name IN ('sort_key', 'citizen_id', 'phone')",
            [Member._meta.db_table],
        )
        assert dict(cur.fetchall()) == {"sort_key": "C", "citizen_id": "C", "phone": "C"}
        cur.execute("SET LOCAL enable_seqscan = off")
        for q in ("07920112345", "079201123456", "0912345678"):
            sql, params = Member.objects.filter(selectors.search_q(q)).values("pk").query.sql_with_params()
            cur.execute(f"EXPLAIN {sql}", params)
            plan = " ".join(row[0] for row in cur.fetchall())
            assert "Index" in plan and "Seq Scan" not in plan, (q, plan)


# ---------------------------------------------------------------- order, paging, totals


def test_list_is_in_vietnamese_name_order(cast, acc):
    page = member_list(actor=acc.p1, unit=cast.p1, filters=MemberFilters(), page_size=100)
    assert names(page) == [
        "Nguyễn Văn An",
        "Phạm Thị Ánh",  # tên Ánh: đệm "Thị" before "Thị Ngọc"
        "Hồ Thị Ngọc Ánh",
        "Trần Thị Bình",
        "Huỳnh Văn Đạt",  # Đ after D, before H
        "Võ Thị Hà",
        "Đặng Quốc Hùng",
        "Đỗ Minh Khoa",
        "Bùi Thị Lan",
        "Lê Hoàng Minh",
        "Ngô Văn Phúc",
        "Dương Thị Yến",
    ]


def test_order_follows_tones_then_family(cast, acc):
    for name in ("Bùi Ánh", "Đặng Anh", "Âu Anh", "Lê Ân", "Lê Ăn", "Lê Thị Anh"):
        member_create(actor=acc.c11, unit=cast.b111, data=member_data(name))
    page = member_list(actor=acc.c11, unit=cast.b111, filters=MemberFilters(q="a"), page_size=100)
    assert [n for n in names(page) if n.split()[-1] in {"Anh", "Ánh", "Ăn", "Ân"}] == [
        "Âu Anh",
        "Đặng Anh",
        "Lê Thị Anh",
        "Bùi Ánh",
        "Lê Ăn",
        "Lê Ân",
    ]


def test_paging(cast, acc):
    f = MemberFilters()
    all_rows = names(member_list(actor=acc.p1, unit=cast.p1, filters=f, page_size=100))
    p1 = member_list(actor=acc.p1, unit=cast.p1, filters=f, page=1, page_size=5)
    p3 = member_list(actor=acc.p1, unit=cast.p1, filters=f, page=3, page_size=5)
    assert names(p1) == all_rows[:5] and names(p3) == all_rows[10:]
    assert (p1.total, p1.num_pages, p1.has_next, p1.has_previous, p1.start_index) == (12, 3, True, False, 1)
    assert (p3.has_next, p3.has_previous, p3.start_index) == (False, True, 11)


@pytest.mark.parametrize("status", ["", "all", "active", "aged_out", "removed"])
def test_rollup_total_equals_a_real_count(cast, acc, status):
    member_change_status(
        actor=acc.c11, member=cast.m_b111_0, status="aged_out", effective_on=date(2025, 9, 1), reason="Đủ tuổi"
    )
    member_change_status(
        actor=acc.c12, member=cast.m_b121_1, status="removed", effective_on=date(2025, 9, 1), reason="Bỏ sinh hoạt"
    )
    filters = MemberFilters(status=status)
    assert filters.only_status
    for actor, unit, inc in (
        (acc.central, cast.tw, True),
        (acc.p1, cast.p1, True),
        (acc.c11, cast.c11, True),
        (acc.c11, cast.b111, False),
        (acc.c12, cast.b121, True),
        (acc.p2, cast.p2, True),
    ):
        filters.include_descendants = inc
        page = member_list(actor=actor, unit=unit, filters=filters, page_size=1000)
        qs = Member.objects.in_subtree(unit) if inc else Member.objects.filter(unit=unit)
        assert page.total == qs.filter(status__in=filters.statuses()).count() == len(page.rows)


def test_query_count_per_page(cast, acc, django_assert_max_num_queries):
    # the actor as the request sees it after authentication (unit and role loaded with the user)
    actor = User.objects.select_related("unit", "role").get(pk=acc.p1.pk)
    for filters in (
        MemberFilters(),
        MemberFilters(status="all"),
        MemberFilters(q="anh", sex="F"),
        MemberFilters(age_band="18_22"),
    ):
        with django_assert_max_num_queries(3):
            page = member_list(actor=actor, unit=cast.p1, filters=filters, page_size=20)
            for m in page.rows:  # what a list page shows
                _ = (m.unit.name, m.ethnicity.name, m.masked_citizen_id, m.phone_display)

"""The dashboard rollups stay exact through every member write, and a full rebuild gives the same rows."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from conftest import member_data
from doanso.dashboards.services import dashboards_recount, dashboards_recount_with_ancestors
from doanso.members import services as members
from doanso.members.models import MemberFacet
from doanso.organisations import services as units

from .helpers import direct, direct_events, snapshot

pytestmark = pytest.mark.django_db
DIMS = ("status", "sex", "eth", "rel", "born", "party")


def facets_of(unit) -> dict:
    out = {}
    for dim, key, n in MemberFacet.objects.filter(unit=unit).exclude(count=0).values_list("dim", "key", "count"):
        out.setdefault(dim, {})[key] = n
    return out


def assert_exact(cast):
    """Every non-root unit's rows equal a direct count, and a full rebuild changes nothing."""
    before = snapshot()
    for key, unit in cast.units.items():
        unit.refresh_from_db()
        if unit.depth == 0:
            continue
        got = facets_of(unit)
        for dim in DIMS:
            want = {k: n for k, n in direct(unit, dim).items() if n}
            assert got.get(dim, {}) == want, (key, dim)
    dashboards_recount()
    assert snapshot() == before


def test_the_cast_is_counted(cast):
    assert facets_of(cast.p1)["status"] == {"active": 12}
    assert facets_of(cast.b111)["sex"] == dict(direct(cast.b111, "sex"))
    assert_exact(cast)


def test_admission_status_change_edit_and_transfer_are_live(cast):
    today = timezone.localdate()
    new = members.member_create(
        actor=cast.users["c11"], unit=cast.b111,
        data=member_data("Đinh Thị Hoa", dob=date(today.year - 16, 1, 2), sex="F", admitted_on=today, party_joined_on=None),
    )  # fmt: skip
    assert facets_of(cast.p1)["sex"]["F"] == direct(cast.p1, "sex")["F"]
    assert direct_events(cast.p1, today.year)["admitted"] == 1
    m = cast.members["m_b112_1"]
    members.member_change_status(
        actor=cast.users["c11"], member=m, status="aged_out", effective_on=today, reason="Đủ tuổi"
    )
    assert facets_of(cast.c11)["status"] == {"active": 6, "aged_out": 1}
    members.member_update(
        actor=cast.users["c11"], member=new, data={"sex": "M", "religion": "01"}, accept_warnings=True
    )
    assert facets_of(cast.b111)["rel"] == {"00": 3, "01": 1}
    members.members_relocate(actor=cast.users["c11"], member_ids=[new.pk], to_unit=cast.b211, on=today, reason="Chuyển")
    assert facets_of(cast.p2)["status"]["active"] == 13
    assert facets_of(cast.p1)["status"]["active"] == 11
    assert direct_events(cast.p2, today.year) == {"admitted": 1, "transfer_in": 1}
    assert direct_events(cast.p1, today.year) == {"aged_out": 1, "transfer_out": 1}
    assert_exact(cast)


def test_party_date_counts(cast):
    m = cast.members["m_b121_2"]
    members.member_update(actor=cast.users["c12"], member=m, data={"party_joined_on": date(2024, 5, 19)})
    assert facets_of(cast.c12)["party"] == {"1": 1}
    assert_exact(cast)


def test_tree_move_and_merge_move_the_figures(cast):
    today = timezone.localdate()
    members.members_relocate(
        actor=cast.users["c11"], member_ids=[cast.members["m_b111_0"].pk], to_unit=cast.b211, on=today, reason="Chuyển"
    )
    units.unit_move(actor=cast.users["central"], unit=cast.c12, new_parent=cast.p2, on=today)
    cast.c12.refresh_from_db()
    assert facets_of(cast.p1)["status"] == {"active": 5}
    assert facets_of(cast.p2)["status"] == {"active": 19}
    units.unit_merge(actor=cast.users["central"], absorbed=cast.b122, survivor=cast.b221, on=today)
    assert facets_of(cast.b221)["status"] == {"active": 6}
    assert facets_of(cast.c12)["status"] == {"active": 3}
    assert_exact(cast)


def test_merge_revert_and_split(cast):
    today = timezone.localdate()
    change = units.unit_merge(
        actor=cast.users["p1"], absorbed=cast.c12, survivor=cast.c11, on=today - timedelta(days=2)
    )
    assert facets_of(cast.c11)["status"] == {"active": 12}
    assert_exact(cast)
    units.unit_merge_revert(actor=cast.users["p1"], change=change, on=today)
    assert facets_of(cast.c11)["status"] == {"active": 6}
    assert_exact(cast)


def test_recount_of_some_units_repairs_them(cast):
    MemberFacet.objects.filter(unit__in=[cast.b111, cast.c11, cast.p1]).update(count=99)
    dashboards_recount_with_ancestors([cast.b111])
    assert_exact(cast)

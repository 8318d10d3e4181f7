"""The dashboard rollups stay exact through every member write, and a full rebuild gives the same rows."""

from collections import Counter
from datetime import date, timedelta

import pytest
from django.utils import timezone

from conftest import member_data
from doanso.dashboards.services import dashboards_recount, dashboards_recount_with_ancestors
from doanso.members import rollups
from doanso.members import services as members
from doanso.members.models import MemberEvent, MemberFacet
from doanso.organisations import services as units

from .helpers import direct, direct_events, snapshot

pytestmark = pytest.mark.django_db
DIMS = ("status", "sex", "eth", "rel", "born", "party")


def facets_of(unit) -> dict:
    """A unit's facets as its dashboard reads them: its rows, or a branch's live count."""
    if rollups.keeps_rows(unit):
        rows = MemberFacet.objects.filter(unit=unit).exclude(count=0).values_list("dim", "key", "count")
    else:
        rows = [(*k, n) for k, n in rollups.live_figures([unit.pk])[unit.pk].facets.items() if n]
    out = {}
    for dim, key, n in rows:
        out.setdefault(dim, {})[key] = n
    return out


def events_of(unit, year: int) -> dict:
    if rollups.keeps_rows(unit):
        rows = MemberEvent.objects.filter(unit=unit, year=year).values_list("kind", "count")
    else:
        rows = [(k[2], n) for k, n in rollups.live_figures([unit.pk], year)[unit.pk].events.items()]
    out: Counter = Counter()
    for kind, n in rows:
        out[kind] += n
    return {k: n for k, n in out.items() if n}


def assert_exact(cast):
    """Every non-root unit's figures (a branch's counted live, the others' from their rows, branches
    keeping none) equal a direct count, and a full rebuild changes nothing."""
    before = snapshot()
    year = timezone.localdate().year
    for key, unit in cast.units.items():
        unit.refresh_from_db()
        if unit.depth == 0:
            continue
        if not rollups.keeps_rows(unit):
            assert not any(k[1] == unit.pk for k in before), key
        got = facets_of(unit)
        for dim in DIMS:
            want = {k: n for k, n in direct(unit, dim).items() if n}
            assert got.get(dim, {}) == want, (key, dim)
        assert events_of(unit, year) == {k: n for k, n in direct_events(unit, year).items() if n}, key
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


def test_a_branch_moved_to_another_commune_takes_its_figures(cast):
    """A branch keeps no rows: the communes and provinces it leaves and joins take its members'
    figures and their admissions, counted from its members."""
    today = timezone.localdate()
    new = members.member_create(
        actor=cast.users["c11"], unit=cast.b111,
        data=member_data("Đinh Thị Hoa", dob=date(today.year - 17, 1, 2), sex="F", admitted_on=today),
    )  # fmt: skip
    members.member_change_status(
        actor=cast.users["c11"],
        member=cast.members["m_b111_1"],
        status="aged_out",
        effective_on=today,
        reason="Đủ tuổi",
    )
    assert events_of(cast.c11, today.year) == {"admitted": 1, "aged_out": 1}
    units.unit_move(actor=cast.users["central"], unit=cast.b111, new_parent=cast.c21, on=today)
    cast.b111.refresh_from_db()
    assert facets_of(cast.c11)["status"] == {"active": 3}
    assert facets_of(cast.c21)["status"] == {"active": 9, "aged_out": 1}
    assert facets_of(cast.p2)["sex"]["F"] == direct(cast.p2, "sex")["F"]
    assert events_of(cast.c11, today.year) == {}
    assert events_of(cast.c21, today.year) == {"admitted": 1, "aged_out": 1}
    assert events_of(cast.b111, today.year) == {"admitted": 1, "aged_out": 1}
    assert new.pk in set(cast.b111.members.values_list("pk", flat=True))
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
    MemberFacet.objects.filter(unit__in=[cast.c11, cast.p1]).update(count=99)
    dashboards_recount_with_ancestors([cast.b111])
    assert_exact(cast)

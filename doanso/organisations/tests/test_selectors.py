"""Reads of the organisation tree: always from the actor's scope."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from doanso.organisations import selectors, services
from doanso.organisations.choices import UnitKind
from doanso.organisations.models import Unit


@pytest.fixture
def acc(cast):
    return SimpleNamespace(**cast.users)


def test_unit_get_only_within_scope(cast, acc):
    assert selectors.unit_get(actor=acc.c11, pk=cast.b111.pk) == cast.b111
    assert selectors.unit_get(actor=acc.p1, pk=cast.b111.pk) == cast.b111
    for actor, unit in ((acc.c12, cast.b111), (acc.c11, cast.c12), (acc.c11, cast.p1), (acc.p2, cast.b111)):
        with pytest.raises(Unit.DoesNotExist):
            selectors.unit_get(actor=actor, pk=unit.pk)
    with pytest.raises(Unit.DoesNotExist):  # a member account sees no units
        selectors.unit_get(actor=acc.member_b111, pk=cast.b111.pk)
    with pytest.raises(Unit.DoesNotExist):  # the clerk may view but not manage
        selectors.unit_get(actor=acc.c11_clerk, pk=cast.b111.pk, action="manage")
    assert selectors.unit_get(actor=acc.c11_clerk, pk=cast.b111.pk) == cast.b111


def test_unit_children_in_name_order_without_closed(cast, acc):
    spare = services.unit_create(
        actor=acc.c11, parent=cast.c11, code="T89-C11-0", name="Chi đoàn Ấp Bình", kind=UnitKind.BRANCH
    )
    assert [u.name for u in selectors.unit_children(actor=acc.c11, unit=cast.c11)] == sorted(
        [cast.b111.name, cast.b112.name, spare.name]
    )
    services.unit_close(actor=acc.c11, unit=spare)
    assert spare not in selectors.unit_children(actor=acc.c11, unit=cast.c11)
    assert spare in selectors.unit_children(actor=acc.c11, unit=cast.c11, include_closed=True)
    assert list(selectors.unit_children(actor=acc.c12, unit=cast.c11)) == []


def test_unit_children_as_of_follows_effective_dated_parentage(cast, acc):
    moved_on = date(2025, 9, 1)
    services.unit_move(actor=acc.p1, unit=cast.b112, new_parent=cast.c12, on=moved_on)
    day_before = moved_on - timedelta(days=1)
    assert set(selectors.unit_children_as_of(actor=acc.p1, unit=cast.c11, day=day_before)) == {cast.b111, cast.b112}
    assert set(selectors.unit_children_as_of(actor=acc.p1, unit=cast.c12, day=day_before)) == {cast.b121, cast.b122}
    assert set(selectors.unit_children_as_of(actor=acc.p1, unit=cast.c11, day=moved_on)) == {cast.b111}
    assert set(selectors.unit_children_as_of(actor=acc.p1, unit=cast.c12, day=moved_on)) == {
        cast.b121,
        cast.b122,
        cast.b112,
    }
    # before the units were founded there was nothing
    assert list(selectors.unit_children_as_of(actor=acc.p1, unit=cast.c11, day=date(2025, 6, 30))) == []


def test_unit_children_as_of_keeps_units_that_left_for_another_province(cast, acc):
    """Past years' figures stay attached to the tree as it was then, for the province that lost the unit too."""
    services.unit_move(actor=acc.central, unit=cast.c11, new_parent=cast.p2, on=date(2025, 9, 1))
    before, after = date(2025, 8, 31), date(2025, 9, 1)
    assert set(selectors.unit_children_as_of(actor=acc.p1, unit=cast.p1, day=before)) == {cast.c11, cast.c12}
    assert set(selectors.unit_children_as_of(actor=acc.p1, unit=cast.p1, day=after)) == {cast.c12}
    assert cast.c11 not in selectors.unit_children_as_of(actor=acc.p2, unit=cast.p2, day=before)
    assert cast.c11 in selectors.unit_children_as_of(actor=acc.p2, unit=cast.p2, day=after)
    # but only for a unit in the actor's scope
    assert list(selectors.unit_children_as_of(actor=acc.p2, unit=cast.p1, day=before)) == []
    assert list(selectors.unit_children_as_of(actor=acc.c12, unit=cast.p1, day=before)) == []
    assert list(selectors.unit_children_as_of(actor=acc.member_b111, unit=cast.c11, day=before)) == []


def test_unit_children_as_of_after_merge(cast, acc):
    services.unit_merge(actor=acc.p1, absorbed=cast.c12, survivor=cast.c11, on=date(2025, 10, 1))
    assert set(selectors.unit_children_as_of(actor=acc.p1, unit=cast.p1, day=date(2025, 9, 30))) == {cast.c11, cast.c12}
    assert set(selectors.unit_children_as_of(actor=acc.p1, unit=cast.p1, day=date(2025, 10, 1))) == {cast.c11}
    assert set(selectors.unit_children_as_of(actor=acc.p1, unit=cast.c11, day=date(2025, 10, 1))) == {
        cast.b111,
        cast.b112,
        cast.b121,
        cast.b122,
    }


def test_unit_search_ignores_diacritics_and_scope(cast, acc):
    # "Đoàn xã Mỹ Hòa" and its branches "Chi đoàn 1/2 xã Mỹ Hòa"; the commune (shallower) first
    expected = [cast.c11.pk, cast.b111.pk, cast.b112.pk]
    assert [u.pk for u in selectors.unit_search(actor=acc.central, q="my hoa")] == expected
    assert [u.pk for u in selectors.unit_search(actor=acc.central, q="Mỹ Hòa")] == expected
    assert [u.pk for u in selectors.unit_search(actor=acc.central, q="MY HOA")] == expected
    assert cast.c11 in selectors.unit_search(actor=acc.p1, q="xa my")
    assert selectors.unit_search(actor=acc.p2, q="my hoa") == []  # outside P2's subtree
    assert [u.pk for u in selectors.unit_search(actor=acc.central, q="t96-c21")] == [cast.c21.pk]  # by code
    # names that start with the query first, then shallower units
    found = selectors.unit_search(actor=acc.central, q="chi doan 1")
    assert found and all(u.kind == UnitKind.BRANCH for u in found)
    assert selectors.unit_search(actor=acc.central, q="  ") == []


def test_unit_search_skips_closed_units_unless_asked(cast, acc):
    spare = services.unit_create(
        actor=acc.c11, parent=cast.c11, code="T89-C11-0", name="Chi đoàn Ấp Bình Hòa", kind=UnitKind.BRANCH
    )
    services.unit_close(actor=acc.c11, unit=spare)
    assert spare not in selectors.unit_search(actor=acc.c11, q="binh hoa")
    assert spare in selectors.unit_search(actor=acc.c11, q="binh hoa", include_closed=True)


def test_breadcrumbs_link_only_within_scope(cast, acc):
    crumbs = selectors.unit_breadcrumbs(actor=acc.c11, unit=cast.b111)
    assert [c.unit.pk for c in crumbs] == [cast.tw.pk, cast.p1.pk, cast.c11.pk, cast.b111.pk]
    assert [c.linkable for c in crumbs] == [False, False, True, True]


def test_units_for_choice(cast, acc):
    units = list(selectors.units_for_choice(actor=acc.c11, kinds={UnitKind.BRANCH}))
    assert units == [cast.b111, cast.b112]
    assert list(selectors.units_for_choice(actor=acc.c11_clerk, action="manage")) == []
    assert set(selectors.units_for_choice(actor=acc.p2)) == {
        cast.p2,
        cast.c21,
        cast.c22,
        *(getattr(cast, f"b2{i}{j}") for i in (1, 2) for j in (1, 2)),
    }


def test_unit_changes_newest_first(cast, acc):
    services.unit_update(actor=acc.c11, unit=cast.b111, data={"name": "Chi đoàn A"})
    services.unit_update(actor=acc.c11, unit=cast.b111, data={"name": "Chi đoàn B"})
    kinds = [c.kind for c in selectors.unit_changes(unit=cast.b111)]
    assert kinds == ["rename", "rename", "create"]
    assert selectors.unit_changes(unit=cast.b111).first().details == {"old": "Chi đoàn A"}

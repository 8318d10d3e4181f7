"""The set-based rollups (`load_added`, summed up the tree level by level) against the per-unit recount."""

from __future__ import annotations

from datetime import date

import pytest

from doanso.members import rollups
from doanso.members.models import Member, MemberEvent, MemberFacet, MemberUnitChange
from doanso.organisations.models import Unit

pytestmark = pytest.mark.django_db


def rows() -> dict:
    facets = MemberFacet.objects.exclude(count=0).values_list("unit_id", "dim", "key", "count")
    events = MemberEvent.objects.exclude(count=0).values_list("unit_id", "year", "month", "kind", "count")
    return {("f", *r[:-1]): r[-1] for r in facets} | {("e", *r[:-1]): r[-1] for r in events}


def test_members_on_every_level_are_summed_once(cast):
    """Members straight on a commune that also has branches, on a province and on the root (counted
    nowhere): a unit's rows then come both from its own members and from its children's."""
    for key, unit in {"m_b111_1": "c11", "m_b112_1": "c11", "m_b211_2": "p2", "m_b221_0": "tw"}.items():
        m = cast.members[key]
        m.set_placement(cast.units[unit])
        m.save()
    m = cast.members["m_b122_0"]
    MemberUnitChange.objects.create(
        member=m, from_unit=cast.units["b111"], to_unit=m.unit, effective_on=date(2025, 9, 1)
    )
    rollups.dashboards_recount(Unit.objects.all())
    per_unit = rows()
    assert per_unit[("f", cast.units["c11"].pk, "status", "active")] == 6
    assert per_unit[("f", cast.units["p2"].pk, "status", "active")] == 11  # one moved to the root
    assert per_unit[("e", cast.units["c12"].pk, 2025, 9, "transfer_in")] == 1

    rollups.dashboards_recount()
    assert rows() == per_unit

    # In two ranges, the second added to the rows the first wrote.
    MemberFacet.objects.all().delete()
    MemberEvent.objects.all().delete()
    ids = sorted(Member.objects.values_list("pk", flat=True))
    rollups.load_added(ids[0], ids[7])
    rollups.load_added(ids[8], ids[-1])
    assert rows() == {k: n for k, n in per_unit.items() if not k[-1].startswith("transfer")}


def test_member_writes_wait_while_a_first_load_holds_the_register(cast):
    """A first load adds the figures of every member from its first id at the end: a member written
    meanwhile would be counted twice, so writes that count are refused, with nothing left behind."""
    from django.core.exceptions import ValidationError

    from conftest import member_data
    from doanso.members.models import MemberStat, RegisterLock
    from doanso.members.services import member_change_status, member_create

    actor = cast.users["c11"]
    lock = RegisterLock.objects.create(reason="import_members --first-load quoc-gia.csv")
    before = (Member.objects.count(), rows(), dict(MemberStat.objects.values_list("id", "count")))
    with pytest.raises(ValidationError, match=r"đang được nạp lần đầu \(import_members --first-load quoc-gia.csv"):
        member_create(actor=actor, unit=cast.b111, data=member_data("Lê Thị Chờ", admitted_on=date(2024, 3, 26)))
    member = cast.m_b111_1
    with pytest.raises(ValidationError, match="chưa thể thêm, sửa, chuyển hay đổi tình trạng"):
        member_change_status(
            actor=actor, member=member, status="deceased", effective_on=date(2026, 1, 5), reason="Từ trần"
        )
    member.refresh_from_db()
    assert member.status == "active"
    assert (Member.objects.count(), rows(), dict(MemberStat.objects.values_list("id", "count"))) == before
    lock.delete()  # the load added its figures
    created = member_create(actor=actor, unit=cast.b111, data=member_data("Lê Thị Chờ", admitted_on=date(2024, 3, 26)))
    assert Member.objects.filter(pk=created.pk).exists()


def test_migration_0006_deletes_branch_rows_and_keeps_the_others(cast):
    """Rows written for branches before they stopped keeping any are deleted; a commune's stay."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("doanso.members.migrations.0006_branches_keep_no_rollup_rows")
    MemberFacet.objects.create(unit=cast.b111, dim="sex", key="M", count=5)
    MemberEvent.objects.create(unit=cast.b111, year=2025, month=3, kind="admitted", count=2)
    commune = set(MemberFacet.objects.filter(unit=cast.c11).values_list("dim", "key", "count"))
    assert commune
    migration.delete_branch_rows(apps, None)
    branches = Unit.objects.filter(kind__in=rollups.HOLDING_KINDS)
    assert not MemberFacet.objects.filter(unit__in=branches).exists()
    assert not MemberEvent.objects.filter(unit__in=branches).exists()
    assert set(MemberFacet.objects.filter(unit=cast.c11).values_list("dim", "key", "count")) == commune

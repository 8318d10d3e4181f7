"""Writes to the organisation tree: create, update, move, merge (and revert), split, close, reopen.

Every refused operation is checked to have changed nothing: units, paths, parentage,
change log, audit, member placement and rollups.
"""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone

from conftest import member_data
from doanso.core.models import AuditEvent
from doanso.core.scope import ScopeError
from doanso.members.choices import MemberStatus
from doanso.members.models import Member, MemberStat, MemberUnitChange
from doanso.members.selectors import MemberFilters, member_list, member_queryset
from doanso.members.services import member_change_status, member_create
from doanso.organisations import services
from doanso.organisations.choices import ChangeKind, Sector, UnitKind
from doanso.organisations.models import Unit, UnitChange, UnitParentage
from doanso.organisations.selectors import unit_children_as_of

D0 = date(2025, 7, 1)  # the cast's founding date


def today() -> date:
    return timezone.localdate()


# ---------------------------------------------------------------- helpers


def state() -> dict:
    """Everything a tree operation may touch."""
    return {
        "units": sorted(
            Unit.objects.values_list(
                "pk",
                "code",
                "name",
                "kind",
                "sector",
                "parent_id",
                "path",
                "depth",
                "closed_on",
                "merged_into_id",
                "child_count",
                "name_search",
            )
        ),
        "parentage": sorted(UnitParentage.objects.values_list("pk", "unit_id", "parent_id", "valid_from", "valid_to")),
        "changes": sorted(UnitChange.objects.values_list("pk", "unit_id", "kind", "reverted_by_id", "details")),
        "audit": AuditEvent.objects.count(),
        "members": sorted(
            Member.objects.values_list("pk", "unit_id", "unit_path", "scope1", "scope2", "scope3", "status", "version")
        ),
        "stats": sorted(MemberStat.objects.filter(count__gt=0).values_list("unit_id", "status", "count")),
        "member_moves": MemberUnitChange.objects.count(),
    }


def assert_refused(exc_type, fn, *, field: str | None = None, contains: str = ""):
    """`fn` raises `exc_type` (with a Vietnamese message on `field`) and leaves the database as it was."""
    before = state()
    with pytest.raises(exc_type) as info:
        fn()
    err = info.value
    if field is not None:
        assert isinstance(err, ValidationError)
        assert field in err.message_dict, err.message_dict
        message = " ".join(err.message_dict[field])
    else:
        message = str(err)
    assert contains in message, message
    assert state() == before
    return message


def rollup() -> dict:
    return {(u, s): n for u, s, n in MemberStat.objects.filter(count__gt=0).values_list("unit_id", "status", "count")}


def group_by() -> dict:
    rows = Member.objects.values("unit_id", "status").annotate(n=Count("id")).order_by()
    return {(r["unit_id"], r["status"]): r["n"] for r in rows}


def assert_rollups_exact():
    assert rollup() == group_by()


def members_of(unit: Unit) -> set[int]:
    return set(Member.objects.filter(unit=unit).values_list("pk", flat=True))


def listed(actor, unit: Unit, **filters) -> set[int]:
    unit.refresh_from_db()
    return set(member_queryset(actor=actor, unit=unit, filters=MemberFilters(**filters)).values_list("pk", flat=True))


def assert_placement_consistent():
    """Every member's denormalised placement matches its unit's path."""
    for m in Member.objects.select_related("unit"):
        ids = m.unit.ancestor_ids()
        assert m.unit_path == m.unit.path
        assert [m.scope1, m.scope2, m.scope3] == [ids[i] if len(ids) > i else None for i in (1, 2, 3)]


def assert_paths_consistent():
    for u in Unit.objects.select_related("parent"):
        if u.parent is None:
            assert u.path == f"/{u.pk}/" and u.depth == 0
        else:
            assert u.path == f"{u.parent.path}{u.pk}/"
            assert u.depth == u.parent.depth + 1
        assert u.child_count == Unit.objects.filter(parent=u, closed_on__isnull=True).count(), u


@pytest.fixture
def acc(cast):
    """The cast's accounts by key (cast.c11 is the unit, acc.c11 its secretary's account)."""
    return SimpleNamespace(**cast.users)


def fresh(*objs):
    for o in objs:
        o.refresh_from_db()
    return objs


def make_unit(actor, parent, code, kind, name=None, **kw):
    return services.unit_create(
        actor=actor, parent=parent, code=code, name=name or f"Đơn vị {code}", kind=kind, founded_on=D0, **kw
    )


# ---------------------------------------------------------------- create


def test_create_places_the_unit_and_records_it(cast, acc):
    before_audit = AuditEvent.objects.count()
    unit = services.unit_create(
        actor=acc.c11,
        parent=cast.c11,
        code="T89-C11-3",
        name="Chi đoàn  Ấp Mỹ  Phú",
        kind=UnitKind.BRANCH,
        founded_on=date(2025, 9, 2),
        decision_number="12-QĐ/ĐTN",
    )
    unit.refresh_from_db()
    cast.c11.refresh_from_db()
    assert unit.path == f"{cast.c11.path}{unit.pk}/"
    assert unit.depth == cast.c11.depth + 1 == 3
    assert unit.name == "Chi đoàn Ấp Mỹ Phú" and unit.name_search == "chi doan ap my phu"
    assert unit.sector == Sector.LOCALITY  # inherited
    assert cast.c11.child_count == 3
    p = UnitParentage.objects.get(unit=unit)
    assert (p.parent_id, p.valid_from, p.valid_to) == (cast.c11.pk, date(2025, 9, 2), None)
    change = UnitChange.objects.get(unit=unit)
    assert (change.kind, change.effective_on, change.decision_number) == (
        ChangeKind.CREATE,
        date(2025, 9, 2),
        "12-QĐ/ĐTN",
    )
    event = AuditEvent.objects.get(target_type="organisations.unit", target_id=unit.pk)
    assert event.action == "create" and event.actor_id == acc.c11.pk
    assert event.changes["name"] == [None, "Chi đoàn Ấp Mỹ Phú"]
    assert AuditEvent.objects.count() == before_audit + 1


@pytest.mark.parametrize("code", ["", "x", "mã đơn vị", "T89 C11 3", "-T89", "A" * 31, "T89/C11"])
def test_create_rejects_bad_code_format(cast, acc, code):
    assert_refused(
        ValidationError,
        lambda: services.unit_create(
            actor=acc.c11, parent=cast.c11, code=code, name="Chi đoàn mới", kind=UnitKind.BRANCH
        ),
        field="code",
        contains="Mã đơn vị",
    )


def test_create_rejects_duplicate_code_whatever_the_case(cast, acc):
    msg = assert_refused(
        ValidationError,
        lambda: services.unit_create(
            actor=acc.c11, parent=cast.c11, code="t96-c21-1", name="Chi đoàn mới", kind=UnitKind.BRANCH
        ),
        field="code",
    )
    assert "đã được dùng" in msg


def test_create_rejects_kind_not_allowed_under_parent(cast, acc):
    msg = assert_refused(
        ValidationError,
        lambda: services.unit_create(
            actor=acc.p1, parent=cast.p1, code="T89-X", name="Chi đoàn X", kind=UnitKind.BRANCH
        ),
        field="parent",
    )
    assert "không thể trực thuộc" in msg and "Tỉnh đoàn An Giang" in msg
    assert_refused(
        ValidationError,
        lambda: services.unit_create(actor=acc.c11, parent=cast.b111, code="T89-X", name="Tổ", kind=UnitKind.BRANCH),
        field="parent",
    )
    assert_refused(
        ValidationError,
        lambda: services.unit_create(actor=acc.c11, parent=cast.c11, code="T89-X", name="X", kind="tổ"),
        field="kind",
    )


def test_create_rejects_closed_parent(cast, acc):
    empty = make_unit(acc.p1, cast.p1, "T89-C13", UnitKind.GRASSROOTS)
    services.unit_close(actor=acc.p1, unit=empty)
    empty.refresh_from_db()
    msg = assert_refused(
        ValidationError,
        lambda: services.unit_create(
            actor=acc.p1, parent=empty, code="T89-C13-1", name="Chi đoàn", kind=UnitKind.BRANCH
        ),
        field="parent",
    )
    assert "đã giải thể" in msg


def test_create_rejects_future_founding_date(cast, acc):
    msg = assert_refused(
        ValidationError,
        lambda: services.unit_create(
            actor=acc.c11,
            parent=cast.c11,
            code="T89-C11-9",
            name="Chi đoàn 9",
            kind=UnitKind.BRANCH,
            founded_on=today() + timedelta(days=1),
        ),
        field="founded_on",
    )
    assert "sau ngày hôm nay" in msg


def test_create_rejects_empty_name(cast, acc):
    assert_refused(
        ValidationError,
        lambda: services.unit_create(actor=acc.c11, parent=cast.c11, code="T89-C11-9", name="  ", kind=UnitKind.BRANCH),
        field="name",
    )


def test_create_outside_scope_or_without_permission(cast, acc):
    assert_refused(
        ScopeError,
        lambda: services.unit_create(actor=acc.c11, parent=cast.c12, code="T89-C12-9", name="X", kind=UnitKind.BRANCH),
        contains="ngoài phạm vi",
    )
    assert_refused(
        ScopeError,
        lambda: services.unit_create(
            actor=acc.c11_clerk, parent=cast.c11, code="T89-C11-9", name="X", kind=UnitKind.BRANCH
        ),
        contains="không có quyền",
    )
    assert_refused(
        ScopeError,
        lambda: services.unit_create(
            actor=acc.member_b111, parent=cast.b111, code="T89-C11-9", name="X", kind=UnitKind.BRANCH
        ),
    )


# ---------------------------------------------------------------- update / rename


def test_rename_records_unit_change_and_audit_old_to_new(cast, acc):
    old = cast.b111.name
    services.unit_update(actor=acc.c11, unit=cast.b111, data={"name": "Chi đoàn Ấp Mỹ Lợi"}, version_name=old)
    cast.b111.refresh_from_db()
    assert cast.b111.name == "Chi đoàn Ấp Mỹ Lợi" and cast.b111.name_search == "chi doan ap my loi"
    change = UnitChange.objects.filter(unit=cast.b111).first()
    assert change.kind == ChangeKind.RENAME and change.details == {"old": old}
    assert old in change.summary and "Chi đoàn Ấp Mỹ Lợi" in change.summary
    event = AuditEvent.objects.filter(target_type="organisations.unit", target_id=cast.b111.pk).first()
    assert event.action == "update" and event.actor_id == acc.c11.pk
    assert event.changes == {"name": [old, "Chi đoàn Ấp Mỹ Lợi"]}


def test_update_other_fields_records_update(cast, acc):
    services.unit_update(
        actor=acc.c11,
        unit=cast.b111,
        data={"address": "Ấp  Mỹ Phú", "founded_on": date(2020, 3, 26), "sector": "school"},
    )
    change = UnitChange.objects.filter(unit=cast.b111).first()
    assert change.kind == ChangeKind.UPDATE
    event = AuditEvent.objects.filter(target_type="organisations.unit", target_id=cast.b111.pk).first()
    assert event.changes == {
        "address": ["", "Ấp Mỹ Phú"],
        "founded_on": ["01/07/2025", "26/03/2020"],
        "sector": ["locality", "school"],
    }


def test_update_without_change_records_nothing(cast, acc):
    before = state()
    services.unit_update(actor=acc.c11, unit=cast.b111, data={"name": cast.b111.name})
    assert state() == before


def test_update_refusals_change_nothing(cast, acc):
    b = cast.b111
    assert_refused(
        ValidationError,
        lambda: services.unit_update(actor=acc.c11, unit=b, data={"name": "Tên mới"}, version_name="Tên cũ hơn"),
        field="name",
        contains="tải lại",
    )
    assert_refused(
        ValidationError, lambda: services.unit_update(actor=acc.c11, unit=b, data={"name": " "}), field="name"
    )
    assert_refused(
        ValidationError, lambda: services.unit_update(actor=acc.c11, unit=b, data={"parent": cast.c12}), field="parent"
    )
    assert_refused(
        ValidationError, lambda: services.unit_update(actor=acc.c11, unit=b, data={"code": "X1"}), field="code"
    )
    assert_refused(
        ValidationError, lambda: services.unit_update(actor=acc.c11, unit=b, data={"sector": "bogus"}), field="sector"
    )
    assert_refused(
        ValidationError,
        lambda: services.unit_update(actor=acc.c11, unit=b, data={"founded_on": today() + timedelta(days=3)}),
        field="founded_on",
    )
    assert_refused(ScopeError, lambda: services.unit_update(actor=acc.c12, unit=b, data={"name": "X"}))
    assert_refused(ScopeError, lambda: services.unit_update(actor=acc.c11_clerk, unit=b, data={"name": "X"}))


# ---------------------------------------------------------------- move


def test_move_branch_between_communes_rewrites_placement_and_keeps_history(cast, acc):
    on = date(2025, 9, 1)
    b, c11, c12 = cast.b111, cast.c11, cast.c12
    moved = members_of(b)
    assert moved and moved <= listed(acc.c11, c11)
    change = services.unit_move(actor=acc.p1, unit=b, new_parent=c12, on=on, decision_number="5-QĐ/TĐTN")
    fresh(b, c11, c12)
    assert b.parent_id == c12.pk and b.path == f"{c12.path}{b.pk}/" and b.depth == 3
    assert (c11.child_count, c12.child_count) == (1, 3)
    # member lists follow the unit
    assert moved <= listed(acc.c12, c12)
    assert not moved & listed(acc.c11, c11)
    assert moved == listed(acc.c12, b)
    assert Member.objects.filter(pk__in=moved, scope2=c12.pk, scope3=b.pk, unit_path=b.path).count() == len(moved)
    # effective-dated parentage: closed and reopened
    rows = list(
        UnitParentage.objects.filter(unit=b).order_by("valid_from").values_list("parent_id", "valid_from", "valid_to")
    )
    assert rows == [(c11.pk, D0, on), (c12.pk, on, None)]
    # the tree as it was then
    before_day = on - timedelta(days=1)
    assert b in unit_children_as_of(actor=acc.p1, unit=c11, day=before_day)
    assert b not in unit_children_as_of(actor=acc.p1, unit=c12, day=before_day)
    assert b not in unit_children_as_of(actor=acc.p1, unit=c11, day=on)
    assert b in unit_children_as_of(actor=acc.p1, unit=c12, day=on)
    # dated change and audit
    assert (change.kind, change.effective_on, change.details) == (
        ChangeKind.MOVE,
        on,
        {"from_parent": c11.pk, "to_parent": c12.pk},
    )
    event = AuditEvent.objects.filter(target_type="organisations.unit", target_id=b.pk).first()
    assert event.action == "move" and event.changes == {"parent": [c11.name, c12.name]}
    assert_paths_consistent()
    assert_placement_consistent()
    assert_rollups_exact()


def test_move_subtree_to_another_depth_rewrites_every_descendant(cast, acc):
    """Move a commune (with its branches and members) under an intermediate unit of another province."""
    block = make_unit(acc.central, cast.p2, "T96-KHOI", UnitKind.INTERMEDIATE, name="Đoàn Khối cơ quan tỉnh Cà Mau")
    c11, b111, b112 = cast.c11, cast.b111, cast.b112
    moved = members_of(b111) | members_of(b112)
    services.unit_move(actor=acc.central, unit=c11, new_parent=block)
    fresh(c11, b111, b112, block)
    assert (c11.depth, b111.depth, b112.depth) == (3, 4, 4)
    assert b111.path == f"{block.path}{c11.pk}/{b111.pk}/"
    assert Member.objects.filter(pk__in=moved, scope1=cast.p2.pk, scope2=block.pk, scope3=c11.pk).count() == len(moved)
    # member lists at every level follow the move
    assert moved <= listed(acc.p2, cast.p2)
    assert not moved & listed(acc.p1, cast.p1)
    assert moved == listed(acc.central, block)
    assert members_of(b111) == listed(acc.central, b111)  # depth 4: found by path
    assert listed(acc.p1, cast.p1) == members_of(cast.b121) | members_of(cast.b122)
    # the province account that lost the unit no longer sees it
    assert not Unit.objects.restrict(acc.p1).filter(pk__in=[c11.pk, b111.pk]).exists()
    assert_paths_consistent()
    assert_placement_consistent()
    assert_rollups_exact()


def test_move_into_itself_or_a_descendant_is_refused(cast, acc):
    outer = make_unit(acc.p1, cast.p1, "T89-K1", UnitKind.INTERMEDIATE)
    inner = make_unit(acc.p1, outer, "T89-K2", UnitKind.INTERMEDIATE)
    assert_refused(
        ValidationError,
        lambda: services.unit_move(actor=acc.p1, unit=outer, new_parent=inner),
        field="new_parent",
        contains="trực thuộc của nó",
    )
    assert_refused(
        ValidationError,
        lambda: services.unit_move(actor=acc.p1, unit=outer, new_parent=outer),
        field="new_parent",
        contains="chính nó",
    )


def test_move_into_closed_unit_is_refused(cast, acc):
    closed = make_unit(acc.p1, cast.p1, "T89-C19", UnitKind.GRASSROOTS)
    services.unit_close(actor=acc.p1, unit=closed)
    closed.refresh_from_db()
    assert_refused(
        ValidationError,
        lambda: services.unit_move(actor=acc.p1, unit=cast.b111, new_parent=closed),
        field="new_parent",
        contains="giải thể",
    )


def test_commune_cannot_move_its_branch_under_a_sibling_commune(cast, acc):
    assert_refused(
        ScopeError,
        lambda: services.unit_move(actor=acc.c11, unit=cast.b111, new_parent=cast.c12),
        contains="ngoài phạm vi",
    )
    assert_refused(ScopeError, lambda: services.unit_move(actor=acc.c12, unit=cast.b111, new_parent=cast.c12))
    assert_refused(ScopeError, lambda: services.unit_move(actor=acc.c11_clerk, unit=cast.b111, new_parent=cast.c11))


def test_move_other_refusals(cast, acc):
    assert_refused(
        ValidationError,
        lambda: services.unit_move(actor=acc.p1, unit=cast.b111, new_parent=cast.p1),
        field="new_parent",
        contains="không thể trực thuộc",
    )
    assert_refused(
        ValidationError,
        lambda: services.unit_move(actor=acc.p1, unit=cast.b111, new_parent=cast.c11),
        field="new_parent",
        contains="đã trực thuộc",
    )
    assert_refused(
        ValidationError,
        lambda: services.unit_move(actor=acc.p1, unit=cast.b111, new_parent=cast.c12, on=today() + timedelta(days=1)),
        field="effective_on",
    )
    assert_refused(
        ValidationError,
        lambda: services.unit_move(actor=acc.p1, unit=cast.b111, new_parent=cast.c12, on=D0 - timedelta(days=1)),
        field="effective_on",
        contains="01/07/2025",
    )
    assert_refused(
        ValidationError, lambda: services.unit_move(actor=acc.c11, unit=cast.c11, new_parent=cast.b111), field="unit"
    )


# ---------------------------------------------------------------- merge


def test_merge_branches_moves_members_and_closes_the_absorbed(cast, acc):
    on = date(2025, 10, 1)
    absorbed, survivor, c11 = cast.b112, cast.b111, cast.c11
    came = members_of(absorbed)
    kept = members_of(survivor)
    change = services.unit_merge(actor=acc.c11, absorbed=absorbed, survivor=survivor, on=on, decision_number="9-QĐ")
    fresh(absorbed, survivor, c11)
    assert absorbed.closed_on == on and absorbed.merged_into_id == survivor.pk
    assert members_of(survivor) == came | kept and members_of(absorbed) == set()
    assert c11.child_count == 1
    assert change.kind == ChangeKind.MERGE and change.details["members"] == sorted(came)
    moves = MemberUnitChange.objects.filter(unit_change=change)
    assert {(m.member_id, m.from_unit_id, m.to_unit_id, m.effective_on) for m in moves} == {
        (pk, absorbed.pk, survivor.pk, on) for pk in came
    }
    assert UnitParentage.objects.get(unit=absorbed, valid_from=D0).valid_to == on
    assert not UnitParentage.objects.filter(unit=absorbed, valid_to__isnull=True).exists()
    assert {
        e.action
        for e in AuditEvent.objects.filter(target_type="organisations.unit", target_id__in=[absorbed.pk, survivor.pk])
    } >= {"merge", "merge_in"}
    assert rollup()[(survivor.pk, MemberStatus.ACTIVE)] == 6
    assert_rollups_exact()
    assert_placement_consistent()
    assert_paths_consistent()


def test_merge_keeps_rollups_exact_with_non_current_members(cast, acc):
    aged = cast.m_b112_0
    member_change_status(
        actor=acc.c11, member=aged, status=MemberStatus.AGED_OUT, effective_on=date(2025, 8, 1), reason="Đủ 30 tuổi"
    )
    services.unit_merge(actor=acc.c11, absorbed=cast.b112, survivor=cast.b111, on=date(2025, 9, 1))
    aged.refresh_from_db()
    assert aged.unit_id == cast.b112.pk  # only members on the rolls move
    assert_rollups_exact()


def test_merge_communes_moves_sub_units_and_members(cast, acc):
    absorbed, survivor = cast.c12, cast.c11
    branches = [cast.b121, cast.b122]
    came = members_of(cast.b121) | members_of(cast.b122)
    change = services.unit_merge(actor=acc.p1, absorbed=absorbed, survivor=survivor)
    fresh(absorbed, survivor, cast.p1, *branches)
    assert absorbed.closed_on == today() and absorbed.merged_into_id == survivor.pk
    assert all(b.parent_id == survivor.pk and b.path.startswith(survivor.path) for b in branches)
    assert survivor.child_count == 4 and absorbed.child_count == 0 and cast.p1.child_count == 1
    assert set(change.details["children"]) == {b.pk for b in branches}
    assert came <= listed(acc.c11, survivor)
    assert Member.objects.filter(pk__in=came, scope2=survivor.pk).count() == len(came)
    for b in branches:
        rows = list(
            UnitParentage.objects.filter(unit=b).order_by("valid_from", "id").values_list("parent_id", "valid_to")
        )
        assert rows == [(absorbed.pk, today()), (survivor.pk, None)]
    assert_rollups_exact()
    assert_placement_consistent()
    assert_paths_consistent()


def test_merge_across_kinds_is_refused(cast, acc):
    msg = assert_refused(
        ValidationError,
        lambda: services.unit_merge(actor=acc.p1, absorbed=cast.b111, survivor=cast.c12),
        field="survivor",
    )
    assert "không cùng cấp" in msg


def test_merge_ancestor_and_descendant_is_refused(cast, acc):
    outer = make_unit(acc.p1, cast.p1, "T89-K1", UnitKind.INTERMEDIATE)
    inner = make_unit(acc.p1, outer, "T89-K2", UnitKind.INTERMEDIATE)
    for absorbed, survivor in ((inner, outer), (outer, inner)):
        assert_refused(
            ValidationError,
            lambda a=absorbed, s=survivor: services.unit_merge(actor=acc.p1, absorbed=a, survivor=s),
            field="survivor",
            contains="trực thuộc",
        )


def test_merge_into_itself_closed_or_out_of_scope_is_refused(cast, acc):
    assert_refused(
        ValidationError,
        lambda: services.unit_merge(actor=acc.c11, absorbed=cast.b111, survivor=cast.b111),
        field="survivor",
    )
    assert_refused(ScopeError, lambda: services.unit_merge(actor=acc.c11, absorbed=cast.b111, survivor=cast.b121))
    assert_refused(ScopeError, lambda: services.unit_merge(actor=acc.c11_clerk, absorbed=cast.b112, survivor=cast.b111))


def test_merge_members_into_a_unit_that_keeps_no_rolls_is_refused(cast, acc):
    gb = make_unit(acc.p1, cast.p1, "T89-CDCS", UnitKind.GRASSROOTS_BRANCH, name="Chi đoàn cơ sở Bệnh viện")
    member_create(actor=acc.p1, unit=gb, data=member_data("Lâm Thị Thảo", sex="F"))
    assert_refused(
        ValidationError,
        lambda: services.unit_merge(actor=acc.p1, absorbed=gb, survivor=cast.c11),
        field="survivor",
        contains="không trực tiếp quản lý đoàn viên",
    )


def test_posting_the_same_merge_twice_is_a_clear_error(cast, acc):
    absorbed, survivor = cast.b112, cast.b111
    services.unit_merge(actor=acc.c11, absorbed=absorbed, survivor=survivor)
    # the second post carries the page's stale objects
    msg = assert_refused(
        ValidationError,
        lambda: services.unit_merge(actor=acc.c11, absorbed=absorbed, survivor=survivor),
        field="absorbed",
    )
    assert "đã được hợp nhất" in msg
    assert_rollups_exact()


def test_merge_into_a_closed_survivor_is_refused(cast, acc):
    services.unit_merge(actor=acc.c11, absorbed=cast.b112, survivor=cast.b111)
    cast.b112.refresh_from_db()
    spare = make_unit(acc.c11, cast.c11, "T89-C11-3", UnitKind.BRANCH)
    assert_refused(
        ValidationError,
        lambda: services.unit_merge(actor=acc.c11, absorbed=spare, survivor=cast.b112),
        field="survivor",
        contains="đã giải thể hoặc đã được hợp nhất",
    )


# ---------------------------------------------------------------- merge revert


def test_merge_revert_moves_back_exactly_what_came(cast, acc):
    absorbed, survivor = cast.b112, cast.b111
    came = members_of(absorbed)
    kept = members_of(survivor)
    merge = services.unit_merge(actor=acc.c11, absorbed=absorbed, survivor=survivor, on=date(2025, 9, 1))
    newcomer = member_create(actor=acc.c11, unit=survivor, data=member_data("Kim Văn Lộc"))
    revert = services.unit_merge_revert(actor=acc.c11, change=merge, on=date(2025, 9, 15))
    fresh(absorbed, survivor, cast.c11, merge)
    assert absorbed.closed_on is None and absorbed.merged_into_id is None
    assert members_of(absorbed) == came
    assert members_of(survivor) == kept | {newcomer.pk}
    assert merge.reverted_by_id == revert.pk
    assert revert.kind == ChangeKind.MERGE_REVERT and sorted(revert.details["members"]) == sorted(came)
    assert cast.c11.child_count == 2
    back = MemberUnitChange.objects.filter(unit_change=revert)
    assert {(m.member_id, m.from_unit_id, m.to_unit_id) for m in back} == {
        (pk, survivor.pk, absorbed.pk) for pk in came
    }
    rows = list(
        UnitParentage.objects.filter(unit=absorbed)
        .order_by("valid_from")
        .values_list("parent_id", "valid_from", "valid_to")
    )
    assert rows == [(cast.c11.pk, D0, date(2025, 9, 1)), (cast.c11.pk, date(2025, 9, 15), None)]
    assert came == listed(acc.c11, absorbed)
    assert_rollups_exact()
    assert_placement_consistent()
    assert_paths_consistent()


def test_merge_revert_returns_sub_units(cast, acc):
    merge = services.unit_merge(actor=acc.p1, absorbed=cast.c12, survivor=cast.c11)
    services.unit_merge_revert(actor=acc.p1, change=merge)
    fresh(cast.c11, cast.c12, cast.b121, cast.b122)
    assert cast.b121.parent_id == cast.c12.pk and cast.b122.parent_id == cast.c12.pk
    assert (cast.c11.child_count, cast.c12.child_count) == (2, 2)
    assert members_of(cast.b121) <= listed(acc.c12, cast.c12)
    assert not members_of(cast.b121) & listed(acc.c11, cast.c11)
    assert_rollups_exact()
    assert_placement_consistent()
    assert_paths_consistent()


def test_merge_revert_refusals(cast, acc):
    merge = services.unit_merge(actor=acc.c11, absorbed=cast.b112, survivor=cast.b111, on=date(2025, 9, 1))
    assert_refused(
        ValidationError,
        lambda: services.unit_merge_revert(actor=acc.c11, change=merge, on=date(2025, 8, 1)),
        field="effective_on",
    )
    assert_refused(ScopeError, lambda: services.unit_merge_revert(actor=acc.c12, change=merge))
    services.unit_merge_revert(actor=acc.c11, change=merge)
    assert_refused(
        ValidationError,
        lambda: services.unit_merge_revert(actor=acc.c11, change=merge),
        field="change",
        contains="đã được hủy",
    )
    create = UnitChange.objects.get(unit=cast.b111, kind=ChangeKind.CREATE)
    assert_refused(ValidationError, lambda: services.unit_merge_revert(actor=acc.c11, change=create), field="change")


# ---------------------------------------------------------------- split


def test_split_branch_and_close_the_original(cast, acc):
    b = cast.b111
    m0, m1, m2 = sorted(members_of(b))
    parts = [
        {"code": "T89-C11-1A", "name": "Chi đoàn 1A", "member_ids": [m0, m1]},
        {"code": "T89-C11-1B", "name": "Chi đoàn 1B", "member_ids": [m2]},
    ]
    a, bb = services.unit_split(actor=acc.c11, unit=b, parts=parts, close_original=True, on=date(2025, 10, 1))
    fresh(b, a, bb, cast.c11)
    assert b.closed_on == date(2025, 10, 1) and b.merged_into_id is None
    assert (a.parent_id, bb.parent_id) == (cast.c11.pk, cast.c11.pk)
    assert a.kind == bb.kind == UnitKind.BRANCH
    assert members_of(a) == {m0, m1} and members_of(bb) == {m2} and members_of(b) == set()
    assert cast.c11.child_count == 3  # b112, 1A, 1B
    change = UnitChange.objects.get(unit=b, kind=ChangeKind.SPLIT)
    assert [p["members"] for p in change.details["parts"]] == [[m0, m1], [m2]]
    assert MemberUnitChange.objects.filter(unit_change=change).count() == 3
    assert listed(acc.c11, a) == {m0, m1}
    assert not UnitParentage.objects.filter(unit=b, valid_to__isnull=True).exists()
    assert_rollups_exact()
    assert_placement_consistent()
    assert_paths_consistent()


def test_split_commune_moves_chosen_children(cast, acc):
    c = cast.c11
    keep_members = members_of(cast.b111)
    (new,) = services.unit_split(
        actor=acc.p1, unit=c, parts=[{"code": "T89-C14", "name": "Đoàn xã Mỹ Hòa Hưng", "child_ids": [cast.b112.pk]}]
    )
    fresh(c, new, cast.b112, cast.p1)
    assert c.closed_on is None
    assert cast.b112.parent_id == new.pk and cast.b112.path == f"{new.path}{cast.b112.pk}/"
    assert (c.child_count, new.child_count, cast.p1.child_count) == (1, 1, 3)
    assert listed(acc.p1, new) == members_of(cast.b112)
    assert listed(acc.p1, c) == keep_members
    assert_rollups_exact()
    assert_placement_consistent()
    assert_paths_consistent()


def test_split_refusals_change_nothing(cast, acc):
    b = cast.b111
    m0, m1, m2 = sorted(members_of(b))
    stranger = cast.m_b112_0.pk
    msg = assert_refused(
        ValidationError,
        lambda: services.unit_split(
            actor=acc.c11,
            unit=b,
            close_original=True,
            parts=[
                {"code": "T89-C11-1A", "name": "1A", "member_ids": [m0]},
                {"code": "T89-C11-1B", "name": "1B", "member_ids": [m1]},
            ],
        ),
        field="parts",
    )
    assert "phải được chia" in msg
    msg = assert_refused(
        ValidationError,
        lambda: services.unit_split(
            actor=acc.c11,
            unit=b,
            parts=[
                {"code": "T89-C11-1A", "name": "1A", "member_ids": [m0, m1]},
                {"code": "T89-C11-1B", "name": "1B", "member_ids": [m1, m2]},
            ],
        ),
        field="parts",
    )
    assert "hai nơi" in msg
    assert_refused(
        ValidationError,
        lambda: services.unit_split(
            actor=acc.c11, unit=b, parts=[{"code": "T89-C11-1A", "name": "1A", "member_ids": [stranger]}]
        ),
        field="parts",
        contains="không thuộc",
    )
    assert_refused(
        ValidationError,
        lambda: services.unit_split(
            actor=acc.p1, unit=cast.c11, parts=[{"code": "T89-C14", "name": "X", "child_ids": [cast.b121.pk]}]
        ),
        field="parts",
    )
    assert_refused(ValidationError, lambda: services.unit_split(actor=acc.c11, unit=b, parts=[]), field="parts")
    # a part's own validation (duplicate code) rolls back the whole split
    assert_refused(
        ValidationError,
        lambda: services.unit_split(
            actor=acc.c11,
            unit=b,
            parts=[
                {"code": "T89-C11-1A", "name": "1A", "member_ids": [m0]},
                {"code": "T89-C11-2", "name": "1B", "member_ids": [m1]},
            ],
        ),
        field="code",
    )
    assert_refused(
        ScopeError,
        lambda: services.unit_split(
            actor=acc.c12, unit=b, parts=[{"code": "T89-C11-1A", "name": "1A", "member_ids": [m0]}]
        ),
    )


# ---------------------------------------------------------------- close / reopen


def test_close_refused_while_members_or_children_remain(cast, acc):
    msg = assert_refused(ValidationError, lambda: services.unit_close(actor=acc.c11, unit=cast.b111), field="unit")
    assert "3 đoàn viên" in msg
    msg = assert_refused(ValidationError, lambda: services.unit_close(actor=acc.p1, unit=cast.c11), field="unit")
    assert "2 đơn vị trực thuộc" in msg
    assert_refused(ValidationError, lambda: services.unit_close(actor=acc.c11, unit=cast.c11), field="unit")
    assert_refused(ScopeError, lambda: services.unit_close(actor=acc.c12, unit=cast.b111))


def test_close_counts_only_members_on_the_rolls(cast, acc):
    b = cast.b111
    for m in Member.objects.filter(unit=b):
        member_change_status(
            actor=acc.c11, member=m, status=MemberStatus.LEFT, effective_on=today(), reason="Chuyển đi nước ngoài"
        )
    services.unit_close(actor=acc.c11, unit=b, reason="Không còn đoàn viên")
    b.refresh_from_db()
    assert b.closed_on == today()
    assert_rollups_exact()


def test_close_twice_refused_then_reopen(cast, acc):
    spare = make_unit(acc.c11, cast.c11, "T89-C11-3", UnitKind.BRANCH)
    change = services.unit_close(
        actor=acc.c11, unit=spare, on=date(2025, 8, 1), decision_number="3-QĐ", reason="Sáp nhập ấp"
    )
    spare.refresh_from_db()
    cast.c11.refresh_from_db()
    assert change.kind == ChangeKind.CLOSE and spare.closed_on == date(2025, 8, 1)
    assert cast.c11.child_count == 2
    msg = assert_refused(ValidationError, lambda: services.unit_close(actor=acc.c11, unit=spare), field="unit")
    assert "01/08/2025" in msg
    assert_refused(
        ValidationError,
        lambda: services.unit_reopen(actor=acc.c11, unit=spare, on=date(2025, 7, 15)),
        field="effective_on",
    )
    reopen = services.unit_reopen(actor=acc.c11, unit=spare, on=date(2025, 9, 1))
    spare.refresh_from_db()
    cast.c11.refresh_from_db()
    assert reopen.kind == ChangeKind.REOPEN and spare.closed_on is None and cast.c11.child_count == 3
    rows = list(
        UnitParentage.objects.filter(unit=spare)
        .order_by("valid_from")
        .values_list("parent_id", "valid_from", "valid_to")
    )
    assert rows == [(cast.c11.pk, D0, date(2025, 8, 1)), (cast.c11.pk, date(2025, 9, 1), None)]
    assert_refused(ValidationError, lambda: services.unit_reopen(actor=acc.c11, unit=spare), field="unit")


def test_reopen_refused_for_a_merged_unit(cast, acc):
    services.unit_merge(actor=acc.c11, absorbed=cast.b112, survivor=cast.b111)
    cast.b112.refresh_from_db()
    assert_refused(
        ValidationError,
        lambda: services.unit_reopen(actor=acc.c11, unit=cast.b112),
        field="unit",
        contains="hủy lần hợp nhất",
    )


def test_member_list_total_stays_exact_through_tree_changes(cast, acc):
    services.unit_merge(actor=acc.p1, absorbed=cast.c12, survivor=cast.c11)
    services.unit_move(actor=acc.central, unit=cast.b111, new_parent=cast.c21)
    for actor, unit in ((acc.p1, cast.p1), (acc.p2, cast.p2), (acc.p1, cast.c11), (acc.central, cast.tw)):
        unit.refresh_from_db()
        page = member_list(actor=actor, unit=unit, filters=MemberFilters(), page_size=100)
        assert page.total == len(page.rows) == Member.objects.in_subtree(unit).count()

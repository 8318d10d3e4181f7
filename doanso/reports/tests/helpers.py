"""A dated story on the test cast, and a direct (row by row, in Python) recount to check the SQL against.

Story (2026):
- 10/05 (Q2): a new member is admitted in B111;
- 15/05 (Q2): one member of B121 (Đoàn phường Long Xuyên, P1) is removed from the rolls;
- 20/05 (Q2): one member of B111 transfers to B211 (Cà Mau);
- 15/08 (Q3): Đoàn phường Long Xuyên (C12, P1) merges into Đoàn xã Tân Thành (C21, P2): its branches move;
- 20/08 (Q3): one member of B112 ages out.
"""

from __future__ import annotations

from datetime import date

from conftest import member_data
from doanso.members.models import Member, MemberStatusRecord, MemberUnitChange
from doanso.members.services import member_create, member_record_status, members_relocate
from doanso.organisations.models import Unit, UnitParentage
from doanso.organisations.services import unit_merge
from doanso.reports.periods import Period

Q2 = Period(2026, "Q2")
Q3 = Period(2026, "Q3")
Y2026 = Period(2026, "Y")
TODAY = date(2026, 11, 24)  # the reports are asked "today"; every event is before it
MERGED_ON = date(2026, 8, 15)


def tell_story(cast) -> dict:
    central = cast.users["central"]
    new = member_create(
        actor=cast.users["c11"], unit=cast.b111,
        data=member_data("Lâm Thị Kim", dob=date(2008, 2, 1), sex="F", admitted_on=date(2026, 5, 10),
                         ethnicity="02", religion="01"),
    )  # fmt: skip
    member_record_status(
        actor=central, member=cast.m_b121_1, status="removed", effective_on=date(2026, 5, 15), reason="Bỏ sinh hoạt"
    )
    members_relocate(
        actor=central, member_ids=[cast.m_b111_2.pk], to_unit=cast.b211, on=date(2026, 5, 20), reason="Chuyển sinh hoạt"
    )
    unit_merge(actor=central, absorbed=cast.c12, survivor=cast.c21, on=MERGED_ON, decision_number="12-QĐ/TĐTN")
    member_record_status(
        actor=central, member=cast.m_b112_0, status="aged_out", effective_on=date(2026, 8, 20), reason="Đủ 30 tuổi"
    )
    return {"new": new}


# ---------------------------------------------------------------- direct recount (no SQL tricks)


def _parent_on(unit_id: int, day: date) -> int | None:
    for p in UnitParentage.objects.filter(unit_id=unit_id).order_by("valid_from", "id"):
        if p.valid_from <= day and (p.valid_to is None or p.valid_to > day):
            return p.parent_id
    return -1  # did not exist on that day


def _unit_on(member: Member, day: date) -> int:
    unit_id = member.unit_id
    for change in MemberUnitChange.objects.filter(member=member).order_by("-effective_on", "-id"):
        if change.effective_on > day:
            unit_id = change.from_unit_id
    return unit_id


def _status_on(member: Member, day: date) -> str | None:
    status = None
    for r in MemberStatusRecord.objects.filter(member=member).order_by("effective_on", "id"):
        if r.effective_on <= day:
            status = r.status
    return status


def direct_count(root: Unit, row: Unit, day: date, *, status_day: date) -> int:
    """Members on the rolls on `status_day` held on `day` by a unit whose chain of parents on `day`
    passes through `row` (a child of `root` on `day`)."""
    n = 0
    for member in Member.objects.all():
        unit_id = _unit_on(member, day)
        chain = [unit_id]
        while chain[-1] not in (None, -1, root.pk):
            chain.append(_parent_on(chain[-1], day))
        if row.pk in chain and root.pk in chain and _status_on(member, status_day) in ("active", "in_transit"):
            n += 1
    return n

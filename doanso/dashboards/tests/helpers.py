"""Direct queries the dashboard figures are checked against, and rollup snapshots."""

from __future__ import annotations

from collections import Counter

from doanso.members.models import Member, MemberEvent, MemberFacet, MemberStatusRecord, MemberUnitChange

CURRENT = ["active", "in_transit"]


def snapshot() -> dict:
    """The rollups as {(table, key…): count}, zero rows left out."""
    out = {}
    for unit_id, dim, key, n in MemberFacet.objects.exclude(count=0).values_list("unit_id", "dim", "key", "count"):
        out[("f", unit_id, dim, key)] = n
    rows = MemberEvent.objects.exclude(count=0).values_list("unit_id", "year", "month", "kind", "count")
    for unit_id, year, month, kind, n in rows:
        out[("e", unit_id, year, month, kind)] = n
    return out


def direct(unit, dim: str) -> Counter:
    """A facet of `unit`'s subtree counted straight from the member table."""
    members = Member.objects.filter(unit_path__startswith=unit.path)
    if dim == "status":
        return Counter(members.values_list("status", flat=True))
    members = members.filter(status__in=CURRENT)
    if dim == "party":
        return Counter({"1": members.filter(party_joined_on__isnull=False).count()})
    field = {"sex": "sex", "eth": "ethnicity_id", "rel": "religion_id"}.get(dim)
    if field:
        return Counter(members.values_list(field, flat=True))
    return Counter(str(d.year) for d in members.values_list("date_of_birth", flat=True))


def direct_events(unit, year: int) -> Counter:
    """The year's events of `unit`'s subtree straight from the status records and unit changes."""
    out: Counter = Counter()
    records = MemberStatusRecord.objects.filter(member__unit_path__startswith=unit.path, effective_on__year=year)
    for status, previous in records.values_list("status", "previous_status"):
        if status == "active" and not previous:
            out["admitted"] += 1
        elif status in ("aged_out", "removed", "expelled", "deceased", "left"):
            out[status] += 1
    moves = MemberUnitChange.objects.filter(unit_change__isnull=True, effective_on__year=year)
    for src, dst in moves.values_list("from_unit__path", "to_unit__path"):
        inside_src, inside_dst = src.startswith(unit.path), dst.startswith(unit.path)
        if inside_dst and not inside_src:
            out["transfer_in"] += 1
        elif inside_src and not inside_dst:
            out["transfer_out"] += 1
    return out

"""Writes of the dashboards area: only the repair of the rollups (the member services keep them)."""

from __future__ import annotations

from collections.abc import Iterable

from doanso.members.rollups import dashboards_recount as _recount
from doanso.organisations.models import Unit


def dashboards_recount(units: Iterable[Unit] | None = None) -> int:
    """Rebuild the dashboard rollups from the raw tables: of `units` (each a whole-subtree figure), or of all."""
    return _recount(units)


def dashboards_recount_with_ancestors(units: Iterable[Unit]) -> int:
    """After raw writes to the members of `units` (benchmarks, repairs): those units and their ancestors."""
    ids: set[int] = set()
    for unit in units:
        ids.update(unit.ancestor_ids())
    return _recount(Unit.objects.filter(pk__in=ids, depth__gt=0).order_by("path"))

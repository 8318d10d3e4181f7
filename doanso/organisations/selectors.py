"""Reads of the organisation tree, always from the actor's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from doanso.core import vn

from .models import Unit, UnitChange, UnitParentage


def unit_get(*, actor: Any, pk: int, action: str = "view") -> Unit:
    unit = (
        Unit.objects.restrict(actor, action)
        .select_related("parent", "province", "ward", "merged_into")
        .filter(pk=pk)
        .first()
    )
    if unit is None:
        raise Unit.DoesNotExist
    return unit


def unit_children(*, actor: Any, unit: Unit, include_closed: bool = False) -> QuerySet[Unit]:
    qs = Unit.objects.restrict(actor, "view").filter(parent=unit)
    if not include_closed:
        qs = qs.filter(closed_on__isnull=True)
    return qs.order_by("name")


def unit_children_as_of(*, actor: Any, unit: Unit, day: date) -> QuerySet[Unit]:
    """Children of `unit` as the tree stood on `day` (effective-dated parentage).

    Scope is checked on `unit`, not on where its past children hang today: a unit
    that has since moved to another province still counts under `unit` for `day`.
    """
    if not Unit.objects.restrict(actor, "view").filter(pk=unit.pk).exists():
        return Unit.objects.none()
    ids = (
        UnitParentage.objects.filter(parent=unit, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .values("unit_id")
    )
    return Unit.objects.filter(pk__in=ids).order_by("name")


def unit_search(*, actor: Any, q: str, limit: int = 30, include_closed: bool = False) -> list[Unit]:
    """Units in scope whose name (with or without diacritics) or code contains `q`."""
    folded = vn.fold(q)
    if not folded:
        return []
    qs = Unit.objects.restrict(actor, "view")
    if not include_closed:
        qs = qs.filter(closed_on__isnull=True)
    words = folded.split(" ")
    cond = Q(code__iexact=q.strip())
    name_cond = Q()
    for word in words:
        name_cond &= Q(name_search__contains=word)
    qs = qs.filter(cond | name_cond).select_related("parent")
    # Prefer names that start with the query, then shallower units.
    rows = list(qs.order_by("depth", "name_search")[: limit * 3])
    rows.sort(key=lambda u: (not u.name_search.startswith(folded), folded not in u.name_search, u.depth, u.name_search))
    return rows[:limit]


@dataclass
class Crumb:
    unit: Unit
    linkable: bool


def unit_breadcrumbs(*, actor: Any, unit: Unit) -> list[Crumb]:
    """Ancestors as read-only crumbs: names of units above the actor's are shown, never linked."""
    ids = unit.ancestor_ids()
    units = {u.pk: u for u in Unit.objects.filter(pk__in=ids).only("pk", "name", "path", "kind", "depth")}
    home = getattr(actor, "unit", None)
    return [Crumb(units[i], bool(home and units[i].path.startswith(home.path))) for i in ids if i in units]


def unit_changes(*, unit: Unit) -> QuerySet[UnitChange]:
    return UnitChange.objects.filter(unit=unit).select_related("actor").order_by("-effective_on", "-id")


def units_for_choice(*, actor: Any, action: str = "view", kinds: set[str] | None = None) -> QuerySet[Unit]:
    qs = Unit.objects.restrict(actor, action).filter(closed_on__isnull=True)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return qs.order_by("path")

"""Reads of imports: batches of units in the actor's subtree (member.manage or unit.manage), their rows."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from doanso.core import scope
from doanso.organisations.models import Unit

from .models import ImportBatch, ImportKind, ImportRow, Outcome

PERMS = {ImportKind.MEMBERS: "member.manage", ImportKind.UNITS: "unit.manage"}
GROUPS = {
    "create": [Outcome.CREATE],
    "update": [Outcome.UPDATE, Outcome.SAME],
    "conflict": [Outcome.CONFLICT],
    "error": [Outcome.ERROR],
}


def _visible(actor: Any) -> QuerySet[ImportBatch]:
    if not scope.is_official(actor):
        return ImportBatch.objects.none()
    kinds = [k for k, perm in PERMS.items() if perm in actor.role.permissions]
    return ImportBatch.objects.filter(unit__path__startswith=actor.unit.path, kind__in=kinds)


def batch_list(*, actor: Any, unit: Unit, limit: int = 50) -> QuerySet[ImportBatch]:
    """Imports into `unit` and its subtree, newest first (the unit must be in the actor's scope)."""
    scope.require(actor, "member.view", unit)
    return _visible(actor).filter(unit__path__startswith=unit.path).select_related("unit", "owner")[:limit]


def batch_get(*, actor: Any, pk: int) -> ImportBatch:
    """One batch of the actor's subtree; ImportBatch.DoesNotExist (a 404) otherwise."""
    return _visible(actor).select_related("unit", "owner", "job", "confirmed_by").get(pk=pk)


def batch_rows(*, batch: ImportBatch, group: str = "error", page: int = 1, page_size: int = 50) -> Page:
    qs = ImportRow.objects.filter(batch=batch, outcome__in=GROUPS.get(group, GROUPS["error"])).order_by("number")
    return Paginator(qs, page_size).get_page(page)


def batch_errors(*, batch: ImportBatch, limit: int | None = None) -> QuerySet[ImportRow]:
    """Rows that cannot be written as they are: errors and people registered elsewhere."""
    qs = ImportRow.objects.filter(batch=batch, outcome__in=[Outcome.ERROR, Outcome.CONFLICT]).order_by("number")
    return qs[:limit] if limit else qs

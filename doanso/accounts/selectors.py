"""Reads of accounts, always from the actor's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from doanso.organisations.models import Unit

from .models import Role, User


def account_list(*, actor: Any, unit: Unit | None = None) -> QuerySet[User]:
    qs = User.objects.restrict(actor, "view").filter(kind=User.Kind.OFFICIAL).select_related("unit", "role")
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs.order_by("unit__path", "-role__rank", "username")


def account_get(*, actor: Any, pk: int) -> User:
    account = User.objects.restrict(actor, "view").select_related("unit", "role").filter(pk=pk).first()
    if account is None:
        raise User.DoesNotExist
    return account


def roles_grantable(*, actor: Any, unit: Unit | None = None) -> list[Role]:
    if not getattr(actor, "role_id", None):
        return []
    roles = [r for r in Role.objects.all() if r.is_no_stronger_than(actor.role)]
    if unit is not None and unit.pk == actor.unit_id:
        roles = [r for r in roles if r.rank < actor.role.rank]
    return roles

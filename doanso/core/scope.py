"""The one permission mechanism: every read starts from `Model.objects.restrict(actor, action)`.

An official account acts within its unit's subtree and within its role's
permissions; a member account sees only its own record. Each scoped model says
how its rows hang in the tree (`scope_path_field`, or a `scope_subtree` hook)
and, optionally, what a member may see of it (`scope_for_member`). Views, the
API, exports and services never filter by hand: they call `restrict` or
`require`, so a new page cannot leak another unit's data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import models

if TYPE_CHECKING:
    from doanso.organisations.models import Unit

# Permission codes a role may hold. "<domain>.<action>".
PERMISSIONS: dict[str, str] = {
    "unit.view": "Xem cây tổ chức",
    "unit.manage": "Thành lập, đổi tên, chuyển, hợp nhất, chia tách, giải thể đơn vị",
    "member.view": "Xem danh sách, hồ sơ đoàn viên",
    "member.manage": "Thêm, sửa hồ sơ, ghi nhận trạng thái đoàn viên",
    "member.export": "Xuất danh sách đoàn viên",
    "account.view": "Xem tài khoản",
    "account.manage": "Cấp, sửa, khóa tài khoản cho đơn vị trực thuộc",
    "audit.view": "Xem lịch sử thay đổi",
    "rules.manage": "Ban hành bộ quy định (chỉ Trung ương)",
}


class ScopeError(PermissionDenied):
    """Raised when an actor reaches outside its subtree or its role. Message is Vietnamese."""


def is_official(actor: Any) -> bool:
    return bool(
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and actor.is_active
        and getattr(actor, "unit_id", None)
        and getattr(actor, "role_id", None)
    )


def has_perm(actor: Any, perm: str) -> bool:
    return is_official(actor) and perm in actor.role.permissions


def in_scope(actor: Any, unit: Unit | None) -> bool:
    """Is `unit` the actor's unit or one of its descendants?"""
    return bool(unit is not None and is_official(actor) and unit.path.startswith(actor.unit.path))


def require(actor: Any, perm: str, unit: Unit | None = None) -> None:
    """Raise ScopeError unless the actor holds `perm` and `unit` lies in its subtree."""
    if not is_official(actor):
        raise ScopeError("Tài khoản của bạn không có quyền thực hiện thao tác này.")
    if perm not in actor.role.permissions:
        raise ScopeError(f"Vai trò “{actor.role.name}” không có quyền: {PERMISSIONS.get(perm, perm)}.")
    if unit is not None and not unit.path.startswith(actor.unit.path):
        raise ScopeError("Đơn vị này nằm ngoài phạm vi quản lý của tài khoản.")


def restrict(qs: models.QuerySet, actor: Any, action: str = "view") -> models.QuerySet:
    model = qs.model
    domain = getattr(model, "scope_domain", model._meta.model_name)
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return qs.none()
    if not is_official(actor):
        member_id = getattr(actor, "member_id", None)
        hook = getattr(model, "scope_for_member", None)
        if member_id and hook and action == "view":
            return hook(qs, member_id)
        return qs.none()
    if f"{domain}.{action}" not in actor.role.permissions:
        return qs.none()
    hook = getattr(model, "scope_subtree", None)
    if hook is not None:
        return hook(qs, actor.unit)
    return qs.filter(**{f"{model.scope_path_field}__startswith": actor.unit.path})


class ScopedQuerySet(models.QuerySet):
    def restrict(self, actor: Any, action: str = "view") -> models.QuerySet:
        return restrict(self, actor, action)

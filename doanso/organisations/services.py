"""Writes to the organisation tree. Each is atomic, scoped, validated, locked, dated and audited."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from doanso.core import audit, vn
from doanso.core.scope import require

from .choices import ALLOWED_CHILDREN, MEMBER_HOLDING_KINDS, ChangeKind, Sector, UnitKind, can_merge
from .models import Unit, UnitChange, UnitParentage

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,29}$")
AUDIT_FIELDS = ["code", "name", "short_name", "kind", "sector", "parent", "province", "ward", "address", "founded_on", "closed_on"]  # fmt: skip


def _today() -> date:
    return timezone.localdate()


def _lock(*units: Unit) -> list[Unit]:
    ids = sorted({u.pk for u in units})
    locked = {u.pk: u for u in Unit.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    return [locked[u.pk] for u in units]


def _check_date(on: date | None, *, field: str = "effective_on", not_before: date | None = None) -> date:
    on = on or _today()
    if on > _today():
        raise ValidationError({field: "Ngày hiệu lực không được sau ngày hôm nay."})
    if not_before and on < not_before:
        raise ValidationError(
            {field: f"Ngày hiệu lực không được trước ngày {not_before:%d/%m/%Y} (thay đổi gần nhất của đơn vị)."}
        )
    return on


def _last_change_date(unit: Unit) -> date | None:
    last = UnitChange.objects.filter(unit=unit).order_by("-effective_on").values_list("effective_on", flat=True).first()
    return last


def _check_child_kind(parent: Unit, kind: str, *, field: str = "parent") -> None:
    if kind not in ALLOWED_CHILDREN.get(parent.kind, set()):
        raise ValidationError(
            {field: f"“{UnitKind(kind).label}” không thể trực thuộc “{UnitKind(parent.kind).label}” ({parent.name})."}
        )


def _refresh_child_counts(*units: Unit | None) -> None:
    for unit in {u.pk: u for u in units if u is not None}.values():
        n = Unit.objects.filter(parent=unit, closed_on__isnull=True).count()
        Unit.objects.filter(pk=unit.pk).update(child_count=n)


def _record(actor, unit: Unit, kind: str, on: date, summary: str, details: dict | None = None, decision: str = ""):
    change = UnitChange.objects.create(
        unit=unit, kind=kind, effective_on=on, summary=summary[:300], details=details or {}, actor=actor,
        decision_number=decision,
    )  # fmt: skip
    return change


def _members():
    # Apps talk through services: the member app owns member rows and their rollups.
    from doanso.members import services as member_services

    return member_services


# ---------------------------------------------------------------- create / update


@transaction.atomic
def unit_create(
    *,
    actor: Any,
    parent: Unit,
    code: str,
    name: str,
    kind: str,
    short_name: str = "",
    sector: str = "",
    province=None,
    ward=None,
    address: str = "",
    founded_on: date | None = None,
    decision_number: str = "",
) -> Unit:
    require(actor, "unit.manage", parent)
    (parent,) = _lock(parent)
    errors: dict[str, str] = {}
    code = (code or "").strip()
    name = vn.nfc(name)
    if not CODE_RE.match(code):
        errors["code"] = "Mã đơn vị gồm 2–30 ký tự chữ, số, dấu chấm, gạch ngang hoặc gạch dưới."
    elif Unit.objects.filter(code__iexact=code).exists():
        errors["code"] = f"Mã đơn vị “{code}” đã được dùng."
    if not name:
        errors["name"] = "Tên đơn vị không được để trống."
    if kind not in UnitKind.values:
        errors["kind"] = "Loại đơn vị không hợp lệ."
    if not parent.is_open:
        errors["parent"] = f"Đơn vị cấp trên “{parent.name}” đã giải thể."
    sector = sector or parent.sector
    if sector and sector not in Sector.values:
        errors["sector"] = "Khối không hợp lệ."
    if founded_on and founded_on > _today():
        errors["founded_on"] = "Ngày thành lập không được sau ngày hôm nay."
    if errors:
        raise ValidationError(errors)
    _check_child_kind(parent, kind)
    if ward is not None and province is None:
        province = ward.province
    unit = Unit(
        code=code, name=name, short_name=short_name.strip(), kind=kind, parent=parent, depth=parent.depth + 1, sector=sector,
        province=province, ward=ward, address=vn.nfc(address), founded_on=founded_on, name_search=vn.fold(name),
        path=f"{parent.path}tmp-{code}/",
    )  # fmt: skip
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError as exc:
        raise ValidationError({"code": f"Mã đơn vị “{code}” đã được dùng."}) from exc
    unit.path = f"{parent.path}{unit.pk}/"
    unit.save(update_fields=["path"])
    on = founded_on or _today()
    UnitParentage.objects.create(unit=unit, parent=parent, valid_from=on)
    _record(actor, unit, ChangeKind.CREATE, on, f"Thành lập {name} thuộc {parent.name}", decision=decision_number)
    audit.record(actor=actor, obj=unit, action="create", changes=audit.diff({}, audit.snapshot(unit, AUDIT_FIELDS)))
    _refresh_child_counts(parent)
    return unit


def unit_create_root(*, code: str, name: str, founded_on: date | None = None) -> Unit:
    """The Central Committee: created once by setup, not by any account."""
    unit = Unit.objects.create(
        code=code, name=name, kind=UnitKind.CENTRAL, depth=0, path="/tmp/", name_search=vn.fold(name)
    )
    unit.path = f"/{unit.pk}/"
    unit.founded_on = founded_on
    unit.save(update_fields=["path", "founded_on"])
    UnitParentage.objects.create(unit=unit, parent=None, valid_from=founded_on or date(1931, 3, 26))
    return unit


@transaction.atomic
def unit_update(*, actor: Any, unit: Unit, data: dict[str, Any], version_name: str | None = None) -> Unit:
    """Rename or correct a unit's details (not its place in the tree)."""
    require(actor, "unit.manage", unit)
    (unit,) = _lock(unit)
    if version_name is not None and version_name != unit.name:
        raise ValidationError({"name": "Đơn vị vừa được người khác cập nhật; hãy tải lại trang rồi sửa lại."})
    allowed = {"name", "short_name", "sector", "province", "ward", "address", "founded_on"}
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Trường này không sửa được ở đây."))
    before = audit.snapshot(unit, AUDIT_FIELDS)
    old_name = unit.name
    for key, value in data.items():
        setattr(unit, key, vn.nfc(value) if key in {"name", "short_name", "address"} else value)
    if not unit.name:
        raise ValidationError({"name": "Tên đơn vị không được để trống."})
    if unit.sector and unit.sector not in Sector.values:
        raise ValidationError({"sector": "Khối không hợp lệ."})
    if unit.founded_on and unit.founded_on > _today():
        raise ValidationError({"founded_on": "Ngày thành lập không được sau ngày hôm nay."})
    if unit.ward is not None and unit.province is None:
        unit.province = unit.ward.province
    unit.name_search = vn.fold(unit.name)
    unit.save()
    changes = audit.diff(before, audit.snapshot(unit, AUDIT_FIELDS))
    if not changes:
        return unit
    if "name" in changes:
        _record(
            actor, unit, ChangeKind.RENAME, _today(), f"Đổi tên “{old_name}” thành “{unit.name}”", {"old": old_name}
        )
    else:
        _record(actor, unit, ChangeKind.UPDATE, _today(), "Cập nhật thông tin đơn vị")
    audit.record(actor=actor, obj=unit, action="update", changes=changes)
    return unit


# ---------------------------------------------------------------- move


def _rebase(unit: Unit, new_parent: Unit) -> None:
    """Re-root `unit`'s subtree under `new_parent`: paths, depths, then member placement."""
    old_path = unit.path
    new_path = f"{new_parent.path}{unit.pk}/"
    delta = new_parent.depth + 1 - unit.depth
    Unit.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + delta,
    )
    Unit.objects.filter(pk=unit.pk).update(parent=new_parent)
    unit.refresh_from_db()
    _members().members_refresh_placement(subtree_root=unit, old_path=old_path)


@transaction.atomic
def unit_move(
    *, actor: Any, unit: Unit, new_parent: Unit, on: date | None = None, decision_number: str = ""
) -> UnitChange:
    require(actor, "unit.manage", unit)
    require(actor, "unit.manage", new_parent)
    if unit.pk == actor.unit_id:
        raise ValidationError({"unit": "Không thể chuyển chính đơn vị của tài khoản."})
    unit, new_parent = _lock(unit, new_parent)
    old_parent = unit.parent
    if unit.depth == 0:
        raise ValidationError({"unit": "Không thể chuyển Trung ương Đoàn."})
    if not unit.is_open or not new_parent.is_open:
        raise ValidationError(
            {"new_parent": "Không thể chuyển đơn vị đã giải thể, hoặc chuyển vào đơn vị đã giải thể."}
        )
    if new_parent.path.startswith(unit.path):
        raise ValidationError(
            {"new_parent": "Không thể chuyển một đơn vị vào chính nó hoặc vào đơn vị trực thuộc của nó."}
        )
    if old_parent and new_parent.pk == old_parent.pk:
        raise ValidationError({"new_parent": f"Đơn vị đã trực thuộc “{new_parent.name}”."})
    _check_child_kind(new_parent, unit.kind, field="new_parent")
    on = _check_date(on, not_before=_last_change_date(unit))
    UnitParentage.objects.filter(unit=unit, valid_to__isnull=True).update(valid_to=on)
    UnitParentage.objects.create(unit=unit, parent=new_parent, valid_from=on)
    _rebase(unit, new_parent)
    _refresh_child_counts(old_parent, new_parent)
    change = _record(
        actor, unit, ChangeKind.MOVE, on, f"Chuyển {unit.name} từ {old_parent.name} sang {new_parent.name}",
        {"from_parent": old_parent.pk, "to_parent": new_parent.pk}, decision_number,
    )  # fmt: skip
    audit.record(actor=actor, obj=unit, action="move", changes={"parent": [old_parent.name, new_parent.name]})
    return change


# ---------------------------------------------------------------- merge


def _move_children(actor, children: list[Unit], target: Unit, on: date) -> None:
    for child in children:
        _check_child_kind(target, child.kind, field="survivor")
    for child in children:
        UnitParentage.objects.filter(unit=child, valid_to__isnull=True).update(valid_to=on)
        UnitParentage.objects.create(unit=child, parent=target, valid_from=on)
        _rebase(child, target)


@transaction.atomic
def unit_merge(
    *, actor: Any, absorbed: Unit, survivor: Unit, on: date | None = None, decision_number: str = ""
) -> UnitChange:
    """Merge `absorbed` into `survivor`: its members and sub-units move over, it closes."""
    require(actor, "unit.manage", absorbed)
    require(actor, "unit.manage", survivor)
    if absorbed.pk == survivor.pk:
        raise ValidationError({"survivor": "Không thể hợp nhất một đơn vị với chính nó."})
    absorbed, survivor = _lock(absorbed, survivor)
    if not absorbed.is_open:
        raise ValidationError({"absorbed": f"Đơn vị “{absorbed.name}” đã giải thể hoặc đã được hợp nhất."})
    if not survivor.is_open:
        raise ValidationError({"survivor": f"Đơn vị “{survivor.name}” đã giải thể hoặc đã được hợp nhất."})
    if absorbed.pk == actor.unit_id:
        raise ValidationError({"absorbed": "Không thể hợp nhất chính đơn vị của tài khoản vào đơn vị khác."})
    if not can_merge(absorbed.kind, survivor.kind):
        raise ValidationError(
            {
                "survivor": f"Không thể hợp nhất “{UnitKind(absorbed.kind).label}” vào “{UnitKind(survivor.kind).label}”: "
                "hai loại đơn vị này không cùng cấp."
            }
        )
    if survivor.path.startswith(absorbed.path) or absorbed.path.startswith(survivor.path):
        raise ValidationError({"survivor": "Không thể hợp nhất đơn vị cấp trên với đơn vị trực thuộc của nó."})
    on = _check_date(on, not_before=_last_change_date(absorbed))
    children = list(Unit.objects.filter(parent=absorbed, closed_on__isnull=True))
    member_ids = _members().member_ids_on_rolls(absorbed)
    if member_ids and survivor.kind not in MEMBER_HOLDING_KINDS:
        raise ValidationError(
            {"survivor": f"“{survivor.name}” không trực tiếp quản lý đoàn viên nên không nhận được đoàn viên."}
        )
    change = _record(
        actor, absorbed, ChangeKind.MERGE, on, f"Hợp nhất {absorbed.name} vào {survivor.name}",
        {"survivor": survivor.pk, "children": [c.pk for c in children], "members": member_ids}, decision_number,
    )  # fmt: skip
    _move_children(actor, children, survivor, on)
    if member_ids:
        _members().members_relocate(
            actor=actor, member_ids=member_ids, to_unit=survivor, on=on, unit_change=change,
            reason=f"Hợp nhất {absorbed.name} vào {survivor.name}",
        )  # fmt: skip
    Unit.objects.filter(pk=absorbed.pk).update(closed_on=on, merged_into=survivor)
    UnitParentage.objects.filter(unit=absorbed, valid_to__isnull=True).update(valid_to=on)
    absorbed.refresh_from_db()
    _refresh_child_counts(absorbed.parent, survivor, absorbed)
    audit.record(
        actor=actor, obj=absorbed, action="merge",
        changes={"closed_on": [None, on.strftime("%d/%m/%Y")], "merged_into": [None, survivor.name]},
        summary=change.summary,
    )  # fmt: skip
    audit.record(actor=actor, obj=survivor, action="merge_in", summary=change.summary)
    return change


@transaction.atomic
def unit_merge_revert(*, actor: Any, change: UnitChange, on: date | None = None) -> UnitChange:
    """Undo a merge by a later change: reopen the absorbed unit and move back what it brought."""
    change = UnitChange.objects.select_for_update().get(pk=change.pk)
    absorbed = change.unit
    require(actor, "unit.manage", absorbed)
    if change.kind != ChangeKind.MERGE:
        raise ValidationError({"change": "Chỉ hủy được một lần hợp nhất."})
    if change.reverted_by_id:
        raise ValidationError({"change": "Lần hợp nhất này đã được hủy trước đó."})
    survivor = Unit.objects.get(pk=change.details["survivor"])
    require(actor, "unit.manage", survivor)
    absorbed, survivor = _lock(absorbed, survivor)
    if absorbed.merged_into_id != survivor.pk:
        raise ValidationError({"change": "Đơn vị đã thay đổi sau lần hợp nhất này; không thể hủy tự động."})
    parent = absorbed.parent
    if parent is None or not parent.is_open:
        raise ValidationError({"change": "Đơn vị cấp trên cũ đã giải thể; hãy khôi phục đơn vị cấp trên trước."})
    on = _check_date(on, not_before=change.effective_on)
    Unit.objects.filter(pk=absorbed.pk).update(closed_on=None, merged_into=None)
    absorbed.refresh_from_db()
    UnitParentage.objects.create(unit=absorbed, parent=parent, valid_from=on)
    children = list(
        Unit.objects.filter(pk__in=change.details.get("children", []), parent=survivor, closed_on__isnull=True)
    )
    revert = _record(
        actor, absorbed, ChangeKind.MERGE_REVERT, on, f"Hủy hợp nhất {absorbed.name} vào {survivor.name}",
        {"merge": change.pk, "children": [c.pk for c in children]},
    )  # fmt: skip
    _move_children(actor, children, absorbed, on)
    member_ids = _members().member_ids_on_rolls(survivor, among=change.details.get("members", []))
    if member_ids:
        _members().members_relocate(
            actor=actor, member_ids=member_ids, to_unit=absorbed, on=on, unit_change=revert,
            reason=f"Hủy hợp nhất {absorbed.name}",
        )  # fmt: skip
    revert.details["members"] = member_ids
    revert.save(update_fields=["details"])
    change.reverted_by = revert
    change.save(update_fields=["reverted_by"])
    _refresh_child_counts(parent, survivor, absorbed)
    audit.record(
        actor=actor,
        obj=absorbed,
        action="merge_revert",
        changes={"closed_on": [change.effective_on.strftime("%d/%m/%Y"), None]},
    )
    return revert


# ---------------------------------------------------------------- split


@transaction.atomic
def unit_split(
    *,
    actor: Any,
    unit: Unit,
    parts: list[dict[str, Any]],
    close_original: bool = False,
    on: date | None = None,
    decision_number: str = "",
) -> list[Unit]:
    """Split `unit`: each part {code, name, member_ids, child_ids} becomes a new sibling unit."""
    require(actor, "unit.manage", unit)
    if unit.parent is None:
        raise ValidationError({"unit": "Không thể chia tách Trung ương Đoàn."})
    (unit,) = _lock(unit)
    if not unit.is_open:
        raise ValidationError({"unit": f"Đơn vị “{unit.name}” đã giải thể."})
    if not parts:
        raise ValidationError({"parts": "Cần ít nhất một đơn vị mới."})
    on = _check_date(on, not_before=_last_change_date(unit))
    open_children = {c.pk: c for c in Unit.objects.filter(parent=unit, closed_on__isnull=True)}
    on_rolls = set(_members().member_ids_on_rolls(unit))
    seen_members: set[int] = set()
    seen_children: set[int] = set()
    for i, part in enumerate(parts, start=1):
        mids = set(part.get("member_ids") or [])
        cids = set(part.get("child_ids") or [])
        if mids - on_rolls:
            raise ValidationError({"parts": f"Đơn vị mới thứ {i}: có đoàn viên không thuộc “{unit.name}”."})
        if cids - set(open_children):
            raise ValidationError({"parts": f"Đơn vị mới thứ {i}: có đơn vị không trực thuộc “{unit.name}”."})
        if mids & seen_members or cids & seen_children:
            raise ValidationError({"parts": f"Đơn vị mới thứ {i}: một đoàn viên hoặc đơn vị được chia vào hai nơi."})
        seen_members |= mids
        seen_children |= cids
    if close_original and (on_rolls - seen_members or set(open_children) - seen_children):
        raise ValidationError(
            {"parts": "Khi giải thể đơn vị cũ, mọi đoàn viên và đơn vị trực thuộc phải được chia vào các đơn vị mới."}
        )
    created: list[Unit] = []
    split = _record(actor, unit, ChangeKind.SPLIT, on, f"Chia tách {unit.name}", {"parts": []}, decision_number)
    for part in parts:
        new_unit = unit_create(
            actor=actor, parent=unit.parent, code=part.get("code", ""), name=part.get("name", ""), kind=unit.kind,
            sector=unit.sector, province=unit.province, ward=unit.ward, address=unit.address, founded_on=on, decision_number=decision_number,
        )  # fmt: skip
        _move_children(actor, [open_children[c] for c in part.get("child_ids") or []], new_unit, on)
        if part.get("member_ids"):
            _members().members_relocate(
                actor=actor, member_ids=list(part["member_ids"]), to_unit=new_unit, on=on, unit_change=split,
                reason=f"Chia tách {unit.name}",
            )  # fmt: skip
        split.details["parts"].append(
            {
                "unit": new_unit.pk,
                "members": list(part.get("member_ids") or []),
                "children": list(part.get("child_ids") or []),
            }
        )
        created.append(new_unit)
    split.save(update_fields=["details"])
    if close_original:
        Unit.objects.filter(pk=unit.pk).update(closed_on=on)
        UnitParentage.objects.filter(unit=unit, valid_to__isnull=True).update(valid_to=on)
    _refresh_child_counts(unit.parent, unit, *created)
    audit.record(
        actor=actor, obj=unit, action="split", summary=f"Chia tách thành: {', '.join(u.name for u in created)}"
    )
    return created


# ---------------------------------------------------------------- close / reopen


@transaction.atomic
def unit_close(
    *, actor: Any, unit: Unit, on: date | None = None, decision_number: str = "", reason: str = ""
) -> UnitChange:
    require(actor, "unit.manage", unit)
    if unit.pk == actor.unit_id or unit.parent is None:
        raise ValidationError({"unit": "Không thể giải thể chính đơn vị của tài khoản."})
    (unit,) = _lock(unit)
    if not unit.is_open:
        raise ValidationError({"unit": f"Đơn vị “{unit.name}” đã giải thể từ ngày {unit.closed_on:%d/%m/%Y}."})
    open_children = Unit.objects.filter(parent=unit, closed_on__isnull=True).count()
    on_rolls = len(_members().member_ids_on_rolls(unit))
    if open_children or on_rolls:
        raise ValidationError(
            {
                "unit": f"Đơn vị còn {open_children} đơn vị trực thuộc và {on_rolls} đoàn viên đang sinh hoạt; "
                "hãy chuyển hoặc hợp nhất trước khi giải thể."
            }
        )
    on = _check_date(on, not_before=_last_change_date(unit))
    Unit.objects.filter(pk=unit.pk).update(closed_on=on)
    UnitParentage.objects.filter(unit=unit, valid_to__isnull=True).update(valid_to=on)
    change = _record(actor, unit, ChangeKind.CLOSE, on, f"Giải thể {unit.name}. {reason}".strip(), {}, decision_number)
    audit.record(
        actor=actor, obj=unit, action="close", changes={"closed_on": [None, on.strftime("%d/%m/%Y")]}, note=reason
    )
    _refresh_child_counts(unit.parent)
    return change


@transaction.atomic
def unit_reopen(*, actor: Any, unit: Unit, on: date | None = None, decision_number: str = "") -> UnitChange:
    require(actor, "unit.manage", unit)
    (unit,) = _lock(unit)
    if unit.is_open:
        raise ValidationError({"unit": "Đơn vị đang hoạt động."})
    if unit.merged_into_id:
        raise ValidationError({"unit": "Đơn vị đã được hợp nhất: hãy hủy lần hợp nhất đó."})
    if unit.parent is None or not unit.parent.is_open:
        raise ValidationError({"unit": "Đơn vị cấp trên đã giải thể; hãy khôi phục đơn vị cấp trên trước."})
    on = _check_date(on, not_before=unit.closed_on)
    old = unit.closed_on
    Unit.objects.filter(pk=unit.pk).update(closed_on=None)
    UnitParentage.objects.create(unit=unit, parent=unit.parent, valid_from=on)
    change = _record(actor, unit, ChangeKind.REOPEN, on, f"Khôi phục hoạt động {unit.name}", {}, decision_number)
    audit.record(actor=actor, obj=unit, action="reopen", changes={"closed_on": [old.strftime("%d/%m/%Y"), None]})
    _refresh_child_counts(unit.parent)
    return change

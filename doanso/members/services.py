"""Writes to the member registry. Status changes only through dated status records."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone

from doanso.core import audit, vn
from doanso.core.memo import cached, memoized
from doanso.core.models import Ethnicity, Religion, Ward
from doanso.core.rules import rules_on
from doanso.core.scope import ScopeError, in_scope, require
from doanso.organisations.choices import MEMBER_HOLDING_KINDS
from doanso.organisations.models import Unit

from . import rollups
from .choices import ALLOWED_STATUS_CHANGES, MemberStatus, Position, Sex
from .models import SCOPE_LEVELS, Member, MemberStat, MemberStatusRecord, MemberUnitChange

# Fields an official may set on the record (status and placement have their own services).
EDITABLE_FIELDS = [
    "full_name", "date_of_birth", "sex", "ethnicity", "religion", "citizen_id", "citizen_id_issued_on",
    "citizen_id_issued_place", "legacy_id_9", "hometown", "permanent_ward", "permanent_address", "current_ward",
    "current_address", "phone", "email", "education_general", "education_professional", "political_theory",
    "it_level", "foreign_language", "occupation", "is_salaried", "party_joined_on", "position",
    "is_full_time_official", "card_number", "admitted_on", "admission_decision_number", "admission_place",
    "federation_member", "student_association_member",
]  # fmt: skip
REQUIRED_FIELDS = {"full_name", "date_of_birth", "sex", "citizen_id", "admitted_on"}
AUDIT_FIELDS = [*EDITABLE_FIELDS, "unit", "status"]


def _today() -> date:
    return timezone.localdate()


# ---------------------------------------------------------------- rollups


def _stat_add(unit_id: int, status: str, delta: int) -> None:
    if not delta:
        return
    rollups.require_register_open()
    if MemberStat.objects.filter(unit_id=unit_id, status=status).update(count=F("count") + delta):
        return
    try:
        with transaction.atomic():
            MemberStat.objects.create(unit_id=unit_id, status=status, count=delta)
    except IntegrityError:
        MemberStat.objects.filter(unit_id=unit_id, status=status).update(count=F("count") + delta)


def _stats_add(deltas: Counter) -> None:
    for (unit_id, status), delta in sorted(deltas.items()):
        _stat_add(unit_id, status, delta)


def stats_recount(units: Iterable[Unit] | None = None) -> int:
    """Rebuild the rollup from the member table (for repairs, seeds and checks)."""
    qs = Member.objects.all()
    stats = MemberStat.objects.all()
    if units is not None:
        ids = [u.pk for u in units]
        qs = qs.filter(unit_id__in=ids)
        stats = stats.filter(unit_id__in=ids)
    with transaction.atomic():
        stats.delete()
        rows = [
            MemberStat(unit_id=r["unit_id"], status=r["status"], count=r["n"])
            for r in qs.values("unit_id", "status").annotate(n=Count("id")).order_by()
        ]
        MemberStat.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


# ---------------------------------------------------------------- validation


def _choice_obj(model, value, field: str, label: str, errors: dict):
    if value in (None, ""):
        return None
    if isinstance(value, model):
        return value
    obj = cached((model._meta.label, value), lambda: model.objects.filter(pk=value).first())
    if obj is None:
        errors[field] = f"{label} “{value}” không có trong danh mục."
    return obj


def clean_member_data(
    data: dict[str, Any], *, instance: Member | None = None, accept_warnings: bool = False
) -> tuple[dict[str, Any], list[str]]:
    """Validate and normalise member fields. Raises ValidationError (Vietnamese, per field)."""
    errors: dict[str, str] = {}
    warnings: list[str] = []
    unknown = set(data) - set(EDITABLE_FIELDS)
    for key in unknown:
        errors[key] = "Trường này không sửa trực tiếp được (trạng thái và chi đoàn đổi qua nghiệp vụ)."
    merged = {f: getattr(instance, f) for f in EDITABLE_FIELDS} if instance else {}
    merged.update({k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    out: dict[str, Any] = {}
    text_fields = {
        f.name for f in Member._meta.fields if f.get_internal_type() in ("CharField", "EmailField", "TextField")
    }
    for key in EDITABLE_FIELDS:
        value = merged.get(key)
        if isinstance(value, str):
            value = vn.nfc(value)
        if value is None and key in text_fields:
            value = ""
        out[key] = value
    today = _today()
    labels = {f.name: str(f.verbose_name) for f in Member._meta.fields}
    for key in REQUIRED_FIELDS:
        if out.get(key) in (None, ""):
            # upper-case the first letter only: "Số CCCD", not str.capitalize()'s "Số cccd"
            errors[key] = f"{labels[key][:1].upper()}{labels[key][1:]}: không được để trống."
    name = out.get("full_name") or ""
    if name and len(name.split(" ")) < 2:
        errors["full_name"] = "Họ và tên: cần có ít nhất họ và tên (ví dụ: Nguyễn An)."
    if name and any(ch.isdigit() for ch in name):
        errors["full_name"] = "Họ và tên: không được chứa chữ số."
    dob = out.get("date_of_birth")
    if dob and dob > today:
        errors["date_of_birth"] = "Ngày sinh: không được sau ngày hôm nay."
    elif dob and vn.age_on(dob, today) > 100:
        errors["date_of_birth"] = "Ngày sinh: không hợp lý (trên 100 tuổi)."
    if out.get("sex") and out["sex"] not in Sex.values:
        errors["sex"] = "Giới tính: chỉ nhận Nam hoặc Nữ."
    if out.get("position") in (None, ""):
        out["position"] = Position.MEMBER
    elif out["position"] not in Position.values:
        errors["position"] = "Chức vụ Đoàn không hợp lệ."
    for flag in ("is_salaried", "is_full_time_official", "federation_member", "student_association_member"):
        out[flag] = bool(out.get(flag))
    out["ethnicity"] = _choice_obj(Ethnicity, out.get("ethnicity") or "01", "ethnicity", "Dân tộc", errors)
    out["religion"] = _choice_obj(Religion, out.get("religion") or "00", "religion", "Tôn giáo", errors)
    out["permanent_ward"] = _choice_obj(Ward, out.get("permanent_ward"), "permanent_ward", "Xã/phường", errors)
    out["current_ward"] = _choice_obj(Ward, out.get("current_ward"), "current_ward", "Xã/phường", errors)
    # Citizen ID: hard error unless 12 digits; the rest are warnings an official confirms.
    if out.get("citizen_id"):
        check = vn.check_citizen_id(out["citizen_id"], dob, out.get("sex"))
        if check.errors:
            errors["citizen_id"] = check.errors[0]
        else:
            out["citizen_id"] = check.number
            # re-check when the number, or what it is checked against (birth year, sex), changes
            changed = instance is None or (instance.citizen_id, instance.date_of_birth, instance.sex) != (
                check.number, dob, out.get("sex"),
            )  # fmt: skip
            if changed and check.warnings and not accept_warnings:
                errors["citizen_id"] = (
                    " ".join(check.warnings) + " Nếu thông tin đúng, hãy đánh dấu “Xác nhận thông tin CCCD” và lưu lại."
                )
            warnings.extend(check.warnings if changed else [])
    if out.get("legacy_id_9") and not (len(out["legacy_id_9"]) == 9 and out["legacy_id_9"].isdigit()):
        errors["legacy_id_9"] = "Số CMND cũ phải gồm đúng 9 chữ số."
    if out.get("citizen_id_issued_on"):
        if out["citizen_id_issued_on"] > today:
            errors["citizen_id_issued_on"] = "Ngày cấp CCCD: không được sau ngày hôm nay."
        elif dob and out["citizen_id_issued_on"] < dob:
            errors["citizen_id_issued_on"] = "Ngày cấp CCCD: không được trước ngày sinh."
    if out.get("phone"):
        try:
            out["phone"] = vn.normalize_phone(out["phone"])
        except vn.PhoneError as exc:
            errors["phone"] = f"{exc} (ví dụ: 0912 345 678)"
    if out.get("email"):
        try:
            validate_email(out["email"])
        except ValidationError:
            errors["email"] = "Thư điện tử không đúng định dạng (ví dụ: ten@vi-du.vn)."
    rules = rules_on(out.get("admitted_on"))
    admitted = out.get("admitted_on")
    if admitted and admitted > today:
        errors["admitted_on"] = "Ngày vào Đoàn: không được sau ngày hôm nay."
    elif admitted and dob and "date_of_birth" not in errors:
        age = vn.age_on(dob, admitted)
        too_young = age < rules.admission_min_age
        if rules.admission_min_age_counts_from_15_plus_1_day:
            # Union guides: "15 years + 1 day" is enough (the day after the 15th birthday)
            too_young = age < rules.admission_min_age - 1 or (
                age == rules.admission_min_age - 1 and vn.age_on(dob, admitted - timedelta(days=1)) < age
            )
        if too_young or age > rules.admission_max_age:
            errors["admitted_on"] = (
                f"Tuổi khi vào Đoàn là {age}, ngoài độ tuổi kết nạp "
                f"({rules.admission_min_age}–{rules.admission_max_age} tuổi)."
            )
    party = out.get("party_joined_on")
    if party and (party > today or (dob and vn.age_on(dob, party) < 18)):
        errors["party_joined_on"] = "Ngày vào Đảng không hợp lý (sau hôm nay hoặc trước 18 tuổi)."
    if errors:
        raise ValidationError(errors)
    return out, warnings


def _duplicate_message(actor: Any, existing: Member) -> str:
    if in_scope(actor, existing.unit):
        return (
            f"Số CCCD này đã có hồ sơ đoàn viên “{existing.full_name}” tại {existing.unit.name}; "
            "mỗi người chỉ có một hồ sơ."
        )
    return "Số CCCD này đã được đăng ký cho một đoàn viên ở đơn vị khác (ngoài phạm vi quản lý của bạn)."


def _check_holding_unit(actor: Any, unit: Unit) -> None:
    require(actor, "member.manage", unit)
    if unit.kind not in MEMBER_HOLDING_KINDS:
        raise ValidationError(
            {"unit": f"“{unit.name}” không phải chi đoàn: đoàn viên phải sinh hoạt tại một chi đoàn."}
        )
    if not unit.is_open:
        raise ValidationError({"unit": f"Chi đoàn “{unit.name}” đã giải thể."})


# ---------------------------------------------------------------- create / update


@transaction.atomic
def member_create(
    *, actor: Any, unit: Unit, data: dict[str, Any], accept_warnings: bool = False, note: str = ""
) -> Member:
    # The unit as it is now (locked), not as the caller read it: a move or a closure since then
    # changes where the member is placed and whether the branch may take members.
    unit = Unit.objects.select_for_update().filter(pk=unit.pk).first() or unit
    _check_holding_unit(actor, unit)
    # A person already on record matters more than any other problem in the form.
    existing = (
        Member.objects.select_related("unit").filter(citizen_id=vn.clean_citizen_id(data.get("citizen_id"))).first()
    )
    member, warnings = _member_prepare(actor=actor, unit=unit, data=data, existing=existing,
                                       accept_warnings=accept_warnings)  # fmt: skip
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:  # a concurrent create of the same person
        if not Member.objects.filter(citizen_id=member.citizen_id).exists():
            raise
        raise ValidationError({"citizen_id": "Số CCCD này vừa được đăng ký; hãy tìm hồ sơ đã có."}) from exc
    _members_created(actor=actor, created=[(member, "; ".join([*warnings, note]).strip("; "))])
    return member


def members_prepare(
    *, actor: Any, rows: list[tuple[Unit, dict[str, Any]]], accept_warnings: bool = False
) -> list[tuple[Member, list[str]] | ValidationError | ScopeError]:
    """Check many new records at once (a bulk admission, an import) without writing anything.

    Each row gets either the unsaved member (with its warnings) or the error that refuses it, as
    member_create would have answered; a citizen ID twice in the batch is refused the second time.
    Lock the rows' units for the caller's transaction. Write the accepted ones with members_insert.
    """
    unit_errors: dict[int, Exception] = {}
    for unit in {u.pk: u for u, _ in rows}.values():
        try:
            _check_holding_unit(actor, unit)
        except (ValidationError, ScopeError) as exc:
            unit_errors[unit.pk] = exc
    list(Unit.objects.select_for_update().filter(pk__in={u.pk for u, _ in rows}).values_list("pk", flat=True))
    ids = [vn.clean_citizen_id(data.get("citizen_id")) for _, data in rows]
    on_record = {m.citizen_id: m for m in Member.objects.select_related("unit").filter(citizen_id__in=set(ids) - {""})}
    seen: set[str] = set()
    out: list = []
    with memoized():
        for (unit, data), citizen_id in zip(rows, ids, strict=True):
            if unit.pk in unit_errors:
                out.append(unit_errors[unit.pk])
                continue
            if citizen_id and citizen_id in seen:
                out.append(
                    ValidationError({"citizen_id": f"Số CCCD {citizen_id} xuất hiện hai lần trong cùng một đợt."})
                )
                continue
            seen.add(citizen_id)
            try:
                out.append(_member_prepare(actor=actor, unit=unit, data=data, existing=on_record.get(citizen_id),
                                           accept_warnings=accept_warnings))  # fmt: skip
            except ValidationError as exc:
                out.append(exc)
    return out


def members_insert(*, actor: Any, prepared: list[tuple[Member, str]]) -> list[Member]:
    """Write members checked by members_prepare (member, note): one INSERT per table, rollups, history."""
    members = Member.objects.bulk_create([m for m, _ in prepared], batch_size=1000)
    _members_created(actor=actor, created=list(zip(members, [n for _, n in prepared], strict=True)))
    return members


def _member_prepare(
    *, actor: Any, unit: Unit, data: dict[str, Any], existing: Member | None, accept_warnings: bool
) -> tuple[Member, list[str]]:
    if existing:
        raise ValidationError({"citizen_id": _duplicate_message(actor, existing)})
    clean, warnings = clean_member_data(data, accept_warnings=accept_warnings)
    member = Member(**clean)
    member.set_derived_name_fields()
    member.set_placement(unit)
    member.status = MemberStatus.ACTIVE
    member.status_since = clean["admitted_on"]
    return member, warnings


def _members_created(*, actor: Any, created: list[tuple[Member, str]]) -> None:
    """What follows a new record: its first status record, the rollup, the history entry."""
    MemberStatusRecord.objects.bulk_create(
        [
            MemberStatusRecord(
                member=m,
                status=MemberStatus.ACTIVE,
                effective_on=m.admitted_on,
                decision_number=m.admission_decision_number or "",
                reason="Đăng ký hồ sơ đoàn viên",
                actor=actor,
            )  # fmt: skip
            for m, _ in created
        ],
        batch_size=1000,
    )
    _stats_add(Counter((m.unit_id, MemberStatus.ACTIVE) for m, _ in created))
    rollups.on_created(m for m, _ in created)
    audit.record_many(
        actor=actor,
        entries=[
            (m, "create", audit.diff({}, audit.snapshot(m, AUDIT_FIELDS)), note) for m, note in created
        ],  # fmt: skip
    )


@transaction.atomic
def member_update(
    *,
    actor: Any,
    member: Member,
    data: dict[str, Any],
    version: int | None = None,
    accept_warnings: bool = False,
    note: str = "",
) -> Member:
    member = Member.objects.select_for_update().select_related("unit").get(pk=member.pk)
    require(actor, "member.manage", member.unit)
    if version is not None and int(version) != member.version:
        raise ValidationError(
            {
                "__all__": "Hồ sơ vừa được người khác cập nhật (hoặc biểu mẫu đã được gửi). Hãy tải lại trang rồi sửa lại."
            }
        )
    clean, warnings = clean_member_data(data, instance=member, accept_warnings=accept_warnings)
    if clean["citizen_id"] != member.citizen_id:
        existing = (
            Member.objects.select_related("unit").filter(citizen_id=clean["citizen_id"]).exclude(pk=member.pk).first()
        )
        if existing:
            raise ValidationError({"citizen_id": _duplicate_message(actor, existing)})
    before = audit.snapshot(member, AUDIT_FIELDS)
    facets_before = {f: getattr(member, f) for f in rollups.FACET_FIELDS}
    for key, value in clean.items():
        setattr(member, key, value)
    member.set_derived_name_fields()
    changes = audit.diff(before, audit.snapshot(member, AUDIT_FIELDS))
    if not changes:
        return member
    member.version += 1
    member.save()
    rollups.on_updated(facets_before, member)
    audit.record(
        actor=actor, obj=member, action="update", changes=changes, note="; ".join([*warnings, note]).strip("; ")
    )
    return member


@transaction.atomic
def member_change_status(
    *,
    actor: Any,
    member: Member,
    status: str,
    effective_on: date | None,
    reason: str = "",
    decision_number: str = "",
) -> MemberStatusRecord:
    """Record a dated status change (aged out, removed, deceased…). The record is the change."""
    member = Member.objects.select_for_update().select_related("unit").get(pk=member.pk)
    require(actor, "member.manage", member.unit)
    return member_record_status(
        actor=actor, member=member, status=status, effective_on=effective_on, reason=reason,
        decision_number=decision_number,
    )  # fmt: skip


@transaction.atomic
def member_record_status(
    *,
    actor: Any,
    member: Member,
    status: str,
    effective_on: date | None,
    reason: str = "",
    decision_number: str = "",
) -> MemberStatusRecord:
    """The status change itself. Callers have checked authority: member_change_status checks scope;
    a procedure's case_act checks that the actor decides for the unit the case waits for."""
    [outcome] = members_record_status(
        actor=actor, changes=[StatusChange(member.pk, status, effective_on, reason, decision_number)]
    )
    if isinstance(outcome, ValidationError):
        raise outcome
    return outcome


@dataclass(frozen=True)
class StatusChange:
    member_id: int
    status: str
    effective_on: date | None
    reason: str = ""
    decision_number: str = ""


@transaction.atomic
def members_record_status(
    *, actor: Any, changes: list[StatusChange], check_only: bool = False
) -> list[MemberStatusRecord | ValidationError | None]:
    """Dated status changes of many members (a batch transfer, an ageing-out list) in a few queries.

    Locks the members, checks every change as member_record_status would; if any is refused nothing
    is written and each change gets its error (or None); otherwise each gets its new record.
    `check_only` checks without writing. One change per member.
    """
    ids = [c.member_id for c in changes]
    members = Member.objects.select_for_update().in_bulk(ids)
    today = _today()
    errors: list[ValidationError | None] = []
    for c in changes:
        member = members.get(c.member_id)
        problems = {}
        if member is None:
            problems["member"] = "Không tìm thấy đoàn viên."
        elif c.status not in MemberStatus.values:
            problems["status"] = "Trạng thái không hợp lệ."
        elif c.status not in ALLOWED_STATUS_CHANGES.get(member.status, set()):
            problems["status"] = (
                f"Không thể chuyển từ “{MemberStatus(member.status).label}” sang “{MemberStatus(c.status).label}”."
            )
        if not c.effective_on:
            problems["effective_on"] = "Ngày hiệu lực không được để trống."
        elif c.effective_on > today:
            problems["effective_on"] = "Ngày hiệu lực không được sau ngày hôm nay."
        elif member is not None and member.status_since and c.effective_on < member.status_since:
            problems["effective_on"] = (
                f"Ngày hiệu lực không được trước ngày {member.status_since:%d/%m/%Y} (lần thay đổi trước)."
            )
        if not (c.reason or "").strip():
            problems["reason"] = "Cần ghi lý do hoặc căn cứ thay đổi trạng thái."
        errors.append(ValidationError(problems) if problems else None)
    if len(set(ids)) != len(ids):
        raise ValueError("members_record_status: one change per member.")
    if check_only or any(errors):
        return errors
    records = MemberStatusRecord.objects.bulk_create(
        [
            MemberStatusRecord(
                member_id=c.member_id,
                status=c.status,
                previous_status=members[c.member_id].status,
                effective_on=c.effective_on,
                reason=vn.nfc(c.reason),
                decision_number=vn.nfc(c.decision_number),
                actor=actor,
            )  # fmt: skip
            for c in changes
        ],
        batch_size=1000,
    )
    deltas: Counter = Counter()
    by_target: dict[tuple[str, date], list[int]] = {}
    for c in changes:
        member = members[c.member_id]
        deltas[(member.unit_id, member.status)] -= 1
        deltas[(member.unit_id, c.status)] += 1
        by_target.setdefault((c.status, c.effective_on), []).append(member.pk)
    for (status, on), pks in by_target.items():
        Member.objects.filter(pk__in=pks).update(status=status, status_since=on, version=F("version") + 1)
    _stats_add(deltas)
    rollups.on_status_changed((members[c.member_id], c.status, c.effective_on) for c in changes)
    audit.record_many(
        actor=actor,
        entries=[
            (members[c.member_id], "status",
             {"status": [MemberStatus(members[c.member_id].status).label, MemberStatus(c.status).label]},
             f"{c.effective_on:%d/%m/%Y} — {c.reason}")
            for c in changes
        ],
    )  # fmt: skip
    return records


# ---------------------------------------------------------------- placement (used by tree changes)


def member_ids_on_rolls(unit: Unit, among: Iterable[int] | None = None) -> list[int]:
    """Members whose record is held by `unit` itself and who are still on the rolls."""
    qs = Member.objects.filter(unit=unit, status__in=[MemberStatus.ACTIVE, MemberStatus.IN_TRANSIT])
    if among is not None:
        qs = qs.filter(pk__in=list(among))
    return list(qs.order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def members_relocate(
    *, actor: Any, member_ids: list[int], to_unit: Unit, on: date, unit_change=None, reason: str = "",
    reasons: dict[int, str] | None = None,
) -> int:  # fmt: skip
    """Move members to another holding unit (merge, split, transfer). Keeps rollups exact, logs each
    move (with `reason`, or each member's own from `reasons`)."""
    if to_unit.kind not in MEMBER_HOLDING_KINDS:
        raise ValidationError({"unit": f"“{to_unit.name}” không phải chi đoàn nên không nhận được đoàn viên."})
    moved = 0
    facet_rows = list(Member.objects.select_for_update().filter(pk__in=member_ids).values("id", *rollups.FACET_FIELDS))
    rows = [(r["id"], r["unit_id"], r["status"]) for r in facet_rows]
    logs = []
    deltas: Counter = Counter()
    for pk, from_id, status in rows:
        if from_id == to_unit.pk:
            continue
        deltas[(from_id, status)] -= 1
        deltas[(to_unit.pk, status)] += 1
        logs.append(
            MemberUnitChange(
                member_id=pk,
                from_unit_id=from_id,
                to_unit=to_unit,
                effective_on=on,
                reason=(reasons or {}).get(pk, reason)[:200],
                unit_change=unit_change,
                actor=actor,
            )  # fmt: skip
        )
        moved += 1
    _stats_add(deltas)
    rollups.on_relocated(facet_rows, to_unit.pk, on, is_transfer=unit_change is None)
    MemberUnitChange.objects.bulk_create(logs, batch_size=1000)
    placement = Member(unit=to_unit)
    placement.set_placement(to_unit)
    Member.objects.filter(pk__in=[log.member_id for log in logs]).update(
        unit=to_unit,
        unit_path=to_unit.path,
        **{f"scope{i}": getattr(placement, f"scope{i}") for i in range(1, SCOPE_LEVELS + 1)},
        version=F("version") + 1,
    )
    return moved


def members_refresh_placement(*, subtree_root: Unit, old_path: str | None = None) -> int:
    """After a subtree moved (from `old_path`), rewrite the denormalised placement of every member
    in it; the dashboard rollups of the ancestors it left and joined follow (given `old_path`)."""
    if old_path is not None:
        rollups.on_subtree_moved(subtree_root, old_path)
    updated = 0
    for unit in Unit.objects.filter(path__startswith=subtree_root.path).only("pk", "path", "depth"):
        probe = Member(unit=unit)
        probe.set_placement(unit)
        updated += Member.objects.filter(unit_id=unit.pk).update(
            unit_path=unit.path, **{f"scope{i}": getattr(probe, f"scope{i}") for i in range(1, SCOPE_LEVELS + 1)}
        )
    return updated


def require_member_in_scope(actor: Any, member: Member, action: str = "view") -> None:
    if not Member.objects.restrict(actor, action).filter(pk=member.pk).exists():
        raise ScopeError("Đoàn viên này nằm ngoài phạm vi quản lý của tài khoản.")

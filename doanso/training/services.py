"""Writes of the self-improvement programme (chương trình rèn luyện).

A provincial-level unit (or the Central level) publishes the programme of a year for its subtree;
a member registers personal targets (registered → in progress → assessed); the branch confirms
the year-end result level. Every write checks scope, validates, locks, and leaves a history row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from doanso.core import audit, vn
from doanso.core.scope import ScopeError, is_official, require
from doanso.members.models import Member
from doanso.organisations.choices import MEMBER_HOLDING_KINDS, UnitKind
from doanso.organisations.models import Unit

from .choices import ProgrammeState, RegistrationState, ResultLevel
from .models import Programme, ProgrammeArea, Registration, RegistrationTarget, Reminder

# Levels that may publish a programme: the Central level and the provincial level.
PUBLISHING_KINDS = {UnitKind.CENTRAL, UnitKind.PROVINCE, UnitKind.CENTRAL_DIRECT}
MAX_AREAS = 12
MAX_TEXT = 2000


def _today() -> date:
    return timezone.localdate()


def programme_for(*, unit: Unit, year: int) -> Programme | None:
    """The published programme that applies to `unit` in `year`: the nearest ancestor's (or its own)."""
    ids = unit.ancestor_ids()
    rows = Programme.objects.filter(unit_id__in=ids, year=year, state=ProgrammeState.PUBLISHED).select_related("unit")
    return max(rows, key=lambda p: p.unit.depth, default=None)


def _clean_year(year: Any, *, allow_next: bool = True) -> int:
    try:
        number = int(year)
    except (TypeError, ValueError):
        raise ValidationError({"year": "Năm: phải là số (ví dụ 2026)."}) from None
    this_year = _today().year
    if number < 2000 or number > this_year + (1 if allow_next else 0):
        raise ValidationError({"year": f"Năm: chỉ nhận từ 2000 đến {this_year + (1 if allow_next else 0)}."})
    return number


def _clean_areas(areas: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    clean, errors = [], []
    for i, area in enumerate(areas, start=1):
        row = {k: vn.nfc(str(area.get(k) or "")) for k in ("name", "targets", "assessment")}
        if not any(row.values()):
            continue  # an empty slot on the form
        missing = [label for key, label in (("name", "tên nội dung"), ("targets", "chỉ tiêu"),
                                            ("assessment", "cách đánh giá")) if not row[key]]  # fmt: skip
        if missing:
            errors.append(f"Nội dung {i}: thiếu {', '.join(missing)}.")
        if len(row["name"]) > 200 or len(row["targets"]) > MAX_TEXT or len(row["assessment"]) > MAX_TEXT:
            errors.append(f"Nội dung {i}: quá dài (tên tối đa 200 ký tự, chỉ tiêu và cách đánh giá {MAX_TEXT}).")
        clean.append(row)
    if errors:
        raise ValidationError({"areas": errors})
    if not clean:
        raise ValidationError({"areas": "Chương trình cần ít nhất một nội dung rèn luyện."})
    if len(clean) > MAX_AREAS:
        raise ValidationError({"areas": f"Tối đa {MAX_AREAS} nội dung rèn luyện."})
    names = [a["name"].casefold() for a in clean]
    if len(set(names)) != len(names):
        raise ValidationError({"areas": "Có hai nội dung trùng tên."})
    return clean


@transaction.atomic
def programme_create(
    *,
    actor: Any,
    unit: Unit,
    year: Any,
    title: str,
    areas: Iterable[dict[str, Any]],
    introduction: str = "",
    publish: bool = False,
) -> Programme:
    """Draft (and optionally publish at once) the programme of a year for `unit`'s subtree."""
    require(actor, "member.manage", unit)
    unit = Unit.objects.get(pk=unit.pk)
    if unit.kind not in PUBLISHING_KINDS:
        raise ValidationError(
            {
                "unit": "Chỉ Trung ương Đoàn hoặc cấp tỉnh (Tỉnh/Thành đoàn, đơn vị trực thuộc Trung ương) "
                "mới ban hành chương trình rèn luyện."
            }  # fmt: skip
        )
    errors: dict[str, str] = {}
    year = _clean_year(year)
    title = vn.nfc(title or "")
    if not title:
        errors["title"] = "Tên chương trình: không được để trống."
    elif len(title) > 200:
        errors["title"] = "Tên chương trình: tối đa 200 ký tự."
    if errors:
        raise ValidationError(errors)
    clean = _clean_areas(areas)
    if Programme.objects.filter(unit=unit, year=year).exists():
        raise ValidationError({"year": f"{unit.name} đã có chương trình rèn luyện năm {year}."})
    try:
        with transaction.atomic():
            programme = Programme.objects.create(
                unit=unit, year=year, title=title, introduction=vn.nfc(introduction or ""), created_by=actor
            )
    except IntegrityError as exc:
        raise ValidationError({"year": f"{unit.name} đã có chương trình rèn luyện năm {year}."}) from exc
    ProgrammeArea.objects.bulk_create(
        [ProgrammeArea(programme=programme, position=i, **row) for i, row in enumerate(clean, start=1)]
    )
    audit.record(
        actor=actor,
        obj=programme,
        action="create",
        summary=f"Soạn chương trình rèn luyện năm {year}: {title} ({len(clean)} nội dung)",
    )
    if publish:
        programme = programme_publish(actor=actor, programme=programme)
    return programme


@transaction.atomic
def programme_update(
    *,
    actor: Any,
    programme: Programme,
    title: str,
    areas: Iterable[dict[str, Any]],
    introduction: str = "",
    version: int | None = None,
) -> Programme:
    """Edit a draft. A published programme is immutable (members have registered against it)."""
    programme = Programme.objects.select_for_update(of=("self",)).select_related("unit").get(pk=programme.pk)
    require(actor, "member.manage", programme.unit)
    if programme.is_published:
        raise ValidationError({"__all__": "Chương trình đã ban hành, không sửa được."})
    if version is not None and int(version) != programme.version:
        raise ValidationError({"__all__": "Chương trình vừa được người khác sửa; hãy tải lại trang."})
    title = vn.nfc(title or "")
    if not title:
        raise ValidationError({"title": "Tên chương trình: không được để trống."})
    clean = _clean_areas(areas)
    before = {"title": programme.title, "areas": [a.name for a in programme.areas.all()]}
    programme.areas.all().delete()  # a draft: no registration can point at its areas yet
    ProgrammeArea.objects.bulk_create(
        [ProgrammeArea(programme=programme, position=i, **row) for i, row in enumerate(clean, start=1)]
    )
    programme.title = title
    programme.introduction = vn.nfc(introduction or "")
    programme.version += 1
    programme.save()
    after = {"title": title, "areas": [a["name"] for a in clean]}
    audit.record(actor=actor, obj=programme, action="update", changes=audit.diff(before, after))
    return programme


@transaction.atomic
def programme_publish(*, actor: Any, programme: Programme) -> Programme:
    programme = Programme.objects.select_for_update(of=("self",)).select_related("unit").get(pk=programme.pk)
    require(actor, "member.manage", programme.unit)
    if programme.is_published:
        raise ValidationError({"__all__": "Chương trình đã được ban hành."})
    if not programme.areas.exists():
        raise ValidationError({"areas": "Chương trình cần ít nhất một nội dung rèn luyện."})
    programme.state = ProgrammeState.PUBLISHED
    programme.published_by = actor
    programme.published_at = timezone.now()
    programme.version += 1
    programme.save()
    audit.record(
        actor=actor,
        obj=programme,
        action="publish",
        changes={"state": [str(ProgrammeState.DRAFT.label), str(ProgrammeState.PUBLISHED.label)]},
        summary=f"Ban hành chương trình rèn luyện năm {programme.year} cho {programme.unit.name}",
    )
    return programme


# ---------------------------------------------------------------- a member's registration


def _require_self_or_manager(actor: Any, member: Member) -> None:
    """The member's own account, or an official who manages the member's branch."""
    if getattr(actor, "member_id", None) == member.pk and getattr(actor, "is_active", False):
        return
    if is_official(actor):
        require(actor, "member.manage", member.unit)
        return
    raise ScopeError("Tài khoản của bạn không có quyền thực hiện thao tác này.")


def _clean_targets(programme: Programme, targets: dict[Any, Any]) -> dict[int, str]:
    areas = {a.pk: a for a in programme.areas.all()}
    clean: dict[int, str] = {}
    errors = []
    for key, text in (targets or {}).items():
        try:
            area_id = int(key)
        except (TypeError, ValueError):
            area_id = None
        if area_id not in areas:
            errors.append("Có chỉ tiêu không thuộc nội dung nào của chương trình.")
            continue
        text = vn.nfc(str(text or ""))
        if len(text) > MAX_TEXT:
            errors.append(f"{areas[area_id].name}: chỉ tiêu tối đa {MAX_TEXT} ký tự.")
        if text:
            clean[area_id] = text
    if errors:
        raise ValidationError({"targets": errors})
    if not clean:
        raise ValidationError({"targets": "Hãy ghi chỉ tiêu cá nhân cho ít nhất một nội dung rèn luyện."})
    return clean


@transaction.atomic
def registration_create(*, actor: Any, member: Member, year: Any, targets: dict[Any, Any]) -> Registration:
    """A member registers personal targets for the year under the programme that applies to them."""
    member = Member.objects.select_for_update(of=("self",)).select_related("unit").get(pk=member.pk)
    _require_self_or_manager(actor, member)
    year = _clean_year(year)
    if year < _today().year:
        raise ValidationError({"year": f"Năm {year} đã qua, không đăng ký được nữa."})
    if member.status != "active":
        raise ValidationError({"member": f"{member.full_name} không ở trạng thái đang sinh hoạt."})
    programme = programme_for(unit=member.unit, year=year)
    if programme is None:
        raise ValidationError({"year": f"Chưa có chương trình rèn luyện năm {year} áp dụng cho {member.unit.name}."})
    if Registration.objects.filter(member=member, year=year).exists():
        raise ValidationError({"year": f"{member.full_name} đã đăng ký chương trình rèn luyện năm {year}."})
    clean = _clean_targets(programme, targets)
    try:
        with transaction.atomic():
            registration = Registration.objects.create(programme=programme, member=member, year=year)
    except IntegrityError as exc:
        raise ValidationError({"year": f"{member.full_name} đã đăng ký chương trình rèn luyện năm {year}."}) from exc
    RegistrationTarget.objects.bulk_create(
        [RegistrationTarget(registration=registration, area_id=a, text=t) for a, t in clean.items()]
    )
    Reminder.objects.filter(member=member, year=year, read_at__isnull=True).update(read_at=timezone.now())
    audit.record(
        actor=actor, obj=registration, action="create",
        summary=f"{member.full_name} đăng ký chương trình rèn luyện năm {year} ({len(clean)} chỉ tiêu)",
    )  # fmt: skip
    return registration


@transaction.atomic
def registration_update(
    *, actor: Any, registration: Registration, targets: dict[Any, Any], version: int | None = None
) -> Registration:
    """Change one's targets while the branch has not yet taken the registration in hand."""
    registration = (
        Registration.objects.select_for_update(of=("self",))
        .select_related("member__unit", "programme")
        .get(pk=registration.pk)
    )
    _require_self_or_manager(actor, registration.member)
    if registration.state != RegistrationState.REGISTERED:
        raise ValidationError(
            {"__all__": f"Đăng ký đang ở bước “{registration.get_state_display()}”, không sửa chỉ tiêu được nữa."}
        )
    if version is not None and int(version) != registration.version:
        raise ValidationError({"__all__": "Đăng ký vừa được thay đổi; hãy tải lại trang."})
    clean = _clean_targets(registration.programme, targets)
    before = {str(t.area_id): t.text for t in registration.targets.all()}
    registration.targets.all().delete()
    RegistrationTarget.objects.bulk_create(
        [RegistrationTarget(registration=registration, area_id=a, text=t) for a, t in clean.items()]
    )
    registration.version += 1
    registration.save(update_fields=["version"])
    changes = audit.diff(before, {str(k): v for k, v in clean.items()})
    audit.record(actor=actor, obj=registration, action="update", changes=changes, summary="Sửa chỉ tiêu rèn luyện")
    return registration


def _branch_members(unit: Unit, member_ids: Iterable[int]) -> dict[int, Member]:
    ids = {int(i) for i in member_ids}
    members = {m.pk: m for m in Member.objects.filter(pk__in=ids, unit=unit)}
    outside = ids - set(members)
    if outside:
        names = list(Member.objects.filter(pk__in=outside).values_list("full_name", flat=True)[:5])
        who = ", ".join(names) if names else "mã " + ", ".join(str(i) for i in sorted(outside)[:5])
        raise ValidationError({"members": f"Đoàn viên không thuộc {unit.name}: {who}."})
    return members


def _require_branch(actor: Any, unit: Unit) -> Unit:
    require(actor, "member.manage", unit)
    unit = Unit.objects.get(pk=unit.pk)
    if unit.kind not in MEMBER_HOLDING_KINDS:
        raise ValidationError({"unit": "Chọn một chi đoàn (nơi đoàn viên sinh hoạt)."})
    return unit


@transaction.atomic
def registrations_accept(*, actor: Any, unit: Unit, year: int, member_ids: Iterable[int]) -> int:
    """The branch takes registrations in hand: registered → in progress."""
    unit = _require_branch(actor, unit)
    members = _branch_members(unit, member_ids)
    rows = list(
        Registration.objects.select_for_update().filter(
            member_id__in=list(members), year=year, state=RegistrationState.REGISTERED
        )
    )
    now = timezone.now()
    for r in rows:
        r.state, r.started_at, r.version = RegistrationState.IN_PROGRESS, now, r.version + 1
        r.save(update_fields=["state", "started_at", "version"])
        audit.record(
            actor=actor, obj=r, action="accept",
            changes={"state": [str(RegistrationState.REGISTERED.label), str(RegistrationState.IN_PROGRESS.label)]},
        )  # fmt: skip
    return len(rows)


@transaction.atomic
def results_confirm(*, actor: Any, unit: Unit, year: Any, results: dict[Any, Any], reason: str = "") -> dict[str, int]:
    """The branch confirms the year-end result level of its members, all at once or not at all.

    `results` maps a member id to a level code (or to {"level": …, "note": …}). A result already
    confirmed changes only with a written reason, and the change is kept in the history.
    """
    unit = _require_branch(actor, unit)
    year = _clean_year(year, allow_next=False)
    parsed: dict[int, tuple[str, str]] = {}
    errors: list[str] = []
    for key, value in (results or {}).items():
        try:
            member_id = int(key)
        except (TypeError, ValueError):
            raise ValidationError({"results": "Mã đoàn viên không hợp lệ."}) from None
        level, note = (value.get("level"), value.get("note")) if isinstance(value, dict) else (value, "")
        if level in (None, ""):
            continue  # left blank on the bulk screen: nothing to confirm for this member
        parsed[member_id] = (str(level), vn.nfc(str(note or ""))[:300])
    if not parsed:
        raise ValidationError({"results": "Chưa chọn kết quả cho đoàn viên nào."})
    members = _branch_members(unit, parsed)
    registrations = {
        r.member_id: r for r in Registration.objects.select_for_update().filter(member_id__in=list(members), year=year)
    }
    reason = vn.nfc(reason or "")
    changed = unchanged = 0
    pending = []
    for member_id, (level, note) in parsed.items():
        name = members[member_id].full_name
        if level not in ResultLevel.values:
            errors.append(f"{name}: kết quả “{level}” không hợp lệ (chỉ nhận Xuất sắc, Tốt, Đạt, Không đạt).")
            continue
        r = registrations.get(member_id)
        if r is None:
            errors.append(f"{name}: chưa đăng ký chương trình rèn luyện năm {year}.")
            continue
        if r.result == level and r.state == RegistrationState.ASSESSED:
            unchanged += 1
            continue
        if r.state == RegistrationState.ASSESSED and not reason:
            errors.append(f"{name}: kết quả đã được xác nhận ({r.get_result_display()}); cần ghi lý do khi sửa.")
            continue
        pending.append((r, level, note))
    if errors:
        raise ValidationError({"results": errors})
    now = timezone.now()
    for r, level, note in pending:
        old_state, old_result = r.get_state_display(), r.get_result_display() if r.result else None
        r.state, r.result, r.result_note = RegistrationState.ASSESSED, level, note
        r.result_unit, r.result_confirmed_by, r.result_confirmed_at = unit, actor, now
        r.version += 1
        r.save()
        audit.record(
            actor=actor, obj=r, action="assess" if old_result is None else "correct",
            changes={"result": [old_result, r.get_result_display()], "state": [str(old_state), r.get_state_display()]},
            note=reason if old_result is not None else note,
        )  # fmt: skip
        changed += 1
    return {"changed": changed, "unchanged": unchanged}


# ---------------------------------------------------------------- reminders


@transaction.atomic
def reminders_send(*, actor: Any, unit: Unit, year: Any, member_ids: Iterable[int] | None = None) -> int:
    """Remind members of the branch who have not registered (all of them, or the chosen ones).

    An in-app reminder shown in the e-member book; an e-mail too where the member has one and mail is
    configured. A member already reminded today is not reminded again.
    """
    unit = _require_branch(actor, unit)
    year = _clean_year(year)
    programme = programme_for(unit=unit, year=year)
    if programme is None:
        raise ValidationError({"year": f"Chưa có chương trình rèn luyện năm {year} áp dụng cho {unit.name}."})
    qs = Member.objects.filter(unit=unit, status="active")
    if member_ids is not None:
        qs = qs.filter(pk__in=list(_branch_members(unit, member_ids)))
    registered = Registration.objects.filter(year=year).values("member_id")
    start_of_day = timezone.make_aware(datetime.combine(_today(), time.min))
    reminded_today = Reminder.objects.filter(year=year, created_at__gte=start_of_day).values("member_id")
    targets = list(qs.exclude(pk__in=registered).exclude(pk__in=reminded_today).only("id", "email", "full_name"))
    message = f"{unit.name} nhắc bạn đăng ký chương trình rèn luyện năm {year}: {programme.title}."
    Reminder.objects.bulk_create(
        [Reminder(member=m, year=year, unit=unit, sent_by=actor, message=message[:300]) for m in targets]
    )
    emails = [m.email for m in targets if m.email]
    if emails and getattr(settings, "EMAIL_NOTIFICATIONS", False):
        transaction.on_commit(lambda: _email_members(emails, message))
    if targets:
        audit.record(
            actor=actor, obj=unit, action="remind",
            summary=f"Nhắc {len(targets)} đoàn viên đăng ký chương trình rèn luyện năm {year}",
        )  # fmt: skip
    return len(targets)


def _email_members(recipients: list[str], message: str) -> None:
    from django.core.mail import send_mail

    for address in recipients:  # one mail each: members must not see one another's addresses
        send_mail("[Đoàn Số] Đăng ký chương trình rèn luyện", message, None, [address], fail_silently=True)


def reminders_mark_read(*, actor: Any, member: Member) -> int:
    """The member has opened their e-member book: their reminders are read."""
    if getattr(actor, "member_id", None) != member.pk:
        return 0
    return Reminder.objects.filter(member=member, read_at__isnull=True).update(read_at=timezone.now())

"""Outstanding members referred to the Party (đoàn viên ưu tú): the opener, the kind's hooks, stall flags.

The kind's states and transitions are data in kinds.py (PARTY_REFERRAL); `services.case_act` runs them
and calls the hooks registered here. Each step stores its date as `data["on"]`, so lists and counts
per year read the dates of the events, not of the typing.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from doanso.core import audit, vn
from doanso.core.rules import rules_on
from doanso.core.scope import require
from doanso.members.models import Member
from doanso.members.services import member_update

from . import services as case_services
from .choices import CaseKind
from .kinds import PARTY_REFERRAL, Transition
from .models import Case, CaseStep, CaseSubject, Notification

KIND = CaseKind.PARTY_REFERRAL
TOP_GRADE = "excellent"  # HTXS, the grade usually expected of a nominee


def _today() -> date:
    return timezone.localdate()


def _past_date(value: Any, field: str, label: str) -> date:
    day = case_services._as_date(value, field, label)
    if day > _today():
        raise ValidationError({field: f"{label}: không được sau ngày hôm nay."})
    return day


def _not_before(day: date, earlier: str | None, field: str, label: str, what: str) -> None:
    if earlier and day < date.fromisoformat(earlier):
        raise ValidationError({field: f"{label}: không được trước {what} ({date.fromisoformat(earlier):%d/%m/%Y})."})


def latest_grade(member: Member, actor: Any = None) -> tuple[str, str] | None:
    """The member's latest approved yearly grade (code, label), through the evaluation app's selector
    when that app is installed; None when there is none (or no evaluation app)."""
    try:
        from doanso.evaluation import selectors as evaluation
    except ImportError:
        return None
    getter = getattr(evaluation, "member_grades", None)
    if getter is None or actor is None:
        return None
    for ev in getter(actor=actor, member=member):
        if getattr(ev, "grade", ""):
            return str(ev.grade), str(ev.get_grade_display())
    return None


def nomination_warning(member: Member, actor: Any = None) -> str:
    """Warn, don't block: a nominee is usually graded HTXS."""
    grade = latest_grade(member, actor)
    if grade is None:
        return f"{member.full_name}: chưa có kết quả xếp loại — thường đoàn viên ưu tú được xếp loại HTXS."
    if grade[0] != TOP_GRADE:
        return f"{member.full_name}: xếp loại gần nhất là “{grade[1]}”, không phải HTXS."
    return ""


@transaction.atomic
def referral_nominate(*, actor: Any, member: Member, meeting_on: Any, resolution: str = "", note: str = "") -> Case:
    """A branch meeting resolves to refer an outstanding member to the Party; the case then waits for
    the grassroots committee. A grade other than HTXS is a warning kept on the case, not a block."""
    member = Member.objects.select_for_update(of=("self",)).select_related("unit").get(pk=member.pk)
    require(actor, "member.manage", member.unit)
    on = _past_date(meeting_on, "meeting_on", "Ngày họp chi đoàn")
    errors = {}
    if member.status != "active":
        errors["member"] = f"{member.full_name} không ở trạng thái đang sinh hoạt."
    elif member.party_joined_on:
        errors["member"] = f"{member.full_name} đã là đảng viên (vào Đảng ngày {member.party_joined_on:%d/%m/%Y})."
    if errors:
        raise ValidationError(errors)
    branch = member.unit
    grassroots = case_services.grassroots_of(branch)
    grade = latest_grade(member, actor)
    warning = nomination_warning(member, actor)
    case = Case.objects.create(
        kind=KIND, state=PARTY_REFERRAL.initial, origin_unit=branch, deciding_unit=grassroots, opened_by=actor,
        title=f"Giới thiệu đoàn viên ưu tú cho Đảng: {member.full_name} — {branch.name}",
        data={"nominated_on": on.isoformat(), "resolution": vn.nfc(resolution or ""),
              "grade": grade[1] if grade else "", "warning": warning},
    )  # fmt: skip
    try:
        with transaction.atomic():
            CaseSubject.objects.create(case=case, member=member, kind=KIND)
    except IntegrityError as exc:
        raise ValidationError({"member": f"{member.full_name} đang có hồ sơ giới thiệu cho Đảng chưa xong."}) from exc
    CaseStep.objects.create(
        case=case, action="open", to_state=case.state, actor=actor, actor_unit=actor.unit, note=vn.nfc(note or ""),
        data={"on": on.isoformat(), "warning": warning},
    )  # fmt: skip
    case_services._notify(case, case.title)
    audit.record(actor=actor, obj=case, action="create", summary=case.title, note=warning)
    return case


# ---------------------------------------------------------------- hooks: each step dated, checked, kept


def _introduce(*, case: Case, data: dict, actor: Any, transition: Transition):
    on = _past_date(data["introduced_on"], "introduced_on", "Ngày giới thiệu")
    _not_before(on, case.data.get("nominated_on"), "introduced_on", "Ngày giới thiệu", "ngày chi đoàn đề nghị")
    cell = vn.nfc(str(data["party_cell"]))
    if len(cell) < 3:
        raise ValidationError({"party_cell": "Ghi rõ tên chi bộ Đảng tiếp nhận."})
    case.data = {**case.data, "introduced_on": on.isoformat(), "party_cell": cell[:200]}
    return (
        transition.target,
        case.deciding_unit,
        f"Đã giới thiệu với {cell}",
        {"on": on.isoformat(), "party_cell": cell},
    )


def _certificate_expiry(issued: date) -> tuple[date, int]:
    years = rules_on(issued).party_course_valid_years
    return case_services._months_before(issued, -12 * years), years


def _course(*, case: Case, data: dict, actor: Any, transition: Transition):
    on = _past_date(data["certificate_on"], "certificate_on", "Ngày cấp giấy chứng nhận")
    number = vn.nfc(str(data["certificate_number"]))[:60]
    expires, years = _certificate_expiry(on)
    if expires < _today():
        raise ValidationError(
            {
                "certificate_on": f"Giấy chứng nhận cấp ngày {on:%d/%m/%Y} đã hết hạn ngày {expires:%d/%m/%Y} "
                f"(giá trị {years} năm): cần học lại lớp “Nhận thức về Đảng”."
            }  # fmt: skip
        )
    case.data = {**case.data, "certificate_number": number, "certificate_on": on.isoformat()}
    outcome = f"Giấy chứng nhận số {number} ngày {on:%d/%m/%Y}, giá trị đến {expires:%d/%m/%Y}"
    return transition.target, case.deciding_unit, outcome, {"on": on.isoformat(), "certificate_number": number}


def _admit(*, case: Case, data: dict, actor: Any, transition: Transition):
    on = _past_date(data["admitted_on"], "admitted_on", "Ngày kết nạp Đảng")
    _not_before(on, case.data.get("introduced_on"), "admitted_on", "Ngày kết nạp Đảng", "ngày giới thiệu")
    issued = date.fromisoformat(case.data["certificate_on"])
    expires, years = _certificate_expiry(issued)
    if on < issued:
        raise ValidationError({"admitted_on": "Ngày kết nạp Đảng không được trước ngày cấp giấy chứng nhận."})
    if on > expires:
        raise ValidationError(
            {
                "admitted_on": f"Giấy chứng nhận “Nhận thức về Đảng” số {case.data.get('certificate_number')} "
                f"đã hết hạn ngày {expires:%d/%m/%Y} (giá trị {years} năm): cần học lại trước khi kết nạp."
            }  # fmt: skip
        )
    number = vn.nfc(str(data["decision_number"]))[:60]
    case.data = {**case.data, "admitted_on": on.isoformat(), "admission_decision": number}
    outcome = f"Kết nạp Đảng ngày {on:%d/%m/%Y} (QĐ {number})"
    return transition.target, case.deciding_unit, outcome, {"on": on.isoformat(), "decision_number": number,
                                                            "decision_on": f"{on:%d/%m/%Y}"}  # fmt: skip


def _confirm(*, case: Case, data: dict, actor: Any, transition: Transition):
    on = _past_date(data["official_on"], "official_on", "Ngày công nhận chính thức")
    admitted = date.fromisoformat(case.data["admitted_on"])
    if on <= admitted:
        raise ValidationError(
            {"official_on": f"Ngày công nhận chính thức phải sau ngày kết nạp ({admitted:%d/%m/%Y})."}
        )
    member = case_services._subject_member(case)
    number = vn.nfc(str(data.get("decision_number") or ""))[:60]
    # The Party date ("ngày vào Đảng") on the member record is the admission date; through the
    # members service, which checks scope and writes the history.
    member_update(
        actor=actor, member=member, data={"party_joined_on": admitted}, accept_warnings=True,
        note=f"Công nhận đảng viên chính thức ngày {on:%d/%m/%Y} (hồ sơ #{case.pk})",
    )  # fmt: skip
    case.data = {**case.data, "official_on": on.isoformat(), "official_decision": number}
    return transition.target, None, f"Đảng viên chính thức từ {on:%d/%m/%Y}", {"on": on.isoformat(),
                                                                                "decision_number": number}  # fmt: skip


def _not_admit(*, case: Case, data: dict, actor: Any, transition: Transition):
    on = _past_date(data["decided_on"], "decided_on", "Ngày")
    _not_before(on, case.data.get("nominated_on"), "decided_on", "Ngày", "ngày chi đoàn đề nghị")
    reason = vn.nfc(str(data["note"]))
    case.data = {**case.data, "not_admitted_on": on.isoformat()}
    return transition.target, None, f"Không được kết nạp: {reason}"[:300], {"on": on.isoformat()}


def _withdraw(*, case: Case, data: dict, actor: Any, transition: Transition):
    return transition.target, None, vn.nfc(str(data["note"]))[:300], {"on": _today().isoformat()}


case_services.HOOKS.update(
    {
        (KIND, "introduce"): _introduce,
        (KIND, "course"): _course,
        (KIND, "admit"): _admit,
        (KIND, "confirm"): _confirm,
        (KIND, "not_admit"): _not_admit,
        (KIND, "withdraw"): _withdraw,
    }
)


# ---------------------------------------------------------------- stalled cases


def stall_cutoff(today: date | None = None) -> datetime:
    """A case whose last step was recorded before this moment is stalled."""
    today = today or _today()
    months = rules_on(today).party_referral_stall_months
    day = case_services._months_before(today, months)
    return timezone.make_aware(datetime.combine(day, time.min))


def with_last_step(qs):
    return qs.annotate(last_step_at=Max("steps__at"))


@transaction.atomic
def referrals_flag_stalled(*, today: date | None = None) -> int:
    """Daily: an open referral with no step for the rule-set number of months is flagged to the
    grassroots unit and its superior — once per stall (a new step ends the stall)."""
    today = today or _today()
    cutoff = stall_cutoff(today)
    flagged = 0
    stalled = with_last_step(Case.objects.filter(kind=KIND, is_open=True)).filter(last_step_at__lt=cutoff)
    ids = list(stalled.values_list("pk", flat=True))
    for case in Case.objects.select_for_update(skip_locked=True).filter(pk__in=ids):
        last = case.steps.order_by("-at", "-id").first()
        if last is None or case.data.get("stall_flagged_step") == last.pk:
            continue
        grassroots = case.deciding_unit or case.origin_unit
        months = rules_on(today).party_referral_stall_months
        message = f"Chậm tiến độ (quá {months} tháng chưa có bước mới từ {last.at:%d/%m/%Y}): {case.title}"[:300]
        units = [grassroots]
        with contextlib.suppress(ValidationError):
            units.append(case_services.superior_of(grassroots))
        Notification.objects.bulk_create([Notification(unit=u, case=case, message=message) for u in units])
        case.data = {**case.data, "stall_flagged_step": last.pk, "stall_flagged_on": today.isoformat()}
        case.save(update_fields=["data"])
        flagged += 1
    return flagged


def is_stalled(last_step_at: datetime | None, *, is_open: bool, cutoff: datetime) -> bool:
    return bool(is_open and last_step_at is not None and last_step_at < cutoff)

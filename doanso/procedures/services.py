"""The procedure mechanism: open a case, act on it (one generic service), act on many at once."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from doanso.core import audit, vn
from doanso.core.bulk import update_rows
from doanso.core.memo import memoized
from doanso.core.models import Ethnicity, Religion
from doanso.core.rules import rules_on
from doanso.core.scope import ScopeError, require
from doanso.dues.months import parse_month
from doanso.dues.selectors import paid_through
from doanso.members.models import Member
from doanso.members.services import (
    StatusChange,
    member_record_status,
    members_insert,
    members_prepare,
    members_record_status,
    members_relocate,
)
from doanso.organisations.choices import MEMBER_HOLDING_KINDS, UnitKind
from doanso.organisations.models import Unit

from .choices import CaseKind, SponsorKind
from .kinds import ADMISSION, Transition, spec_for
from .models import Case, CaseStep, CaseSubject, Notification, Youth

# Units with the power to approve an admission (the "directly superior" level of a branch).
APPROVING_KINDS = {UnitKind.GRASSROOTS, UnitKind.GRASSROOTS_BRANCH, UnitKind.INTERMEDIATE, UnitKind.DISTRICT,
                   UnitKind.PROVINCE, UnitKind.CENTRAL_DIRECT}  # fmt: skip


def _today() -> date:
    return timezone.localdate()


def _as_date(value: Any, field: str, label: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                continue
    raise ValidationError({field: f"{label}: ngày không hợp lệ (dd/mm/yyyy)."})


def _as_int(value: Any, field: str, label: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: f"{label}: phải là số nguyên."}) from None
    if number < 0:
        raise ValidationError({field: f"{label}: không được âm."})
    return number


def superior_of(unit: Unit) -> Unit:
    """The nearest unit above a branch with the power to approve (a faculty union has none)."""
    ids = unit.ancestor_ids()[:-1]
    for ancestor in sorted(Unit.objects.filter(pk__in=ids), key=lambda u: -u.depth):
        if ancestor.kind in APPROVING_KINDS:
            return ancestor
    raise ValidationError({"unit": f"Không tìm thấy đơn vị cấp trên có thẩm quyền chuẩn y cho {unit.name}."})


def _require_decider(actor: Any, unit: Unit | None, transition: Transition) -> None:
    require(actor, "member.manage")
    if unit is None or not unit.path.startswith(actor.unit.path):
        where = unit.name if unit is not None else "đơn vị có thẩm quyền"
        raise ScopeError(f"Chỉ {where} (hoặc cấp trên của đơn vị này) mới được “{transition.label}”.")


def _notify(case: Case, message: str) -> None:
    """In-app inbox of the unit the case now waits for; e-mail to its officials where configured."""
    _notify_many([(case, message)])


def _notify_many(notices: list[tuple[Case, str]]) -> None:
    notices = [(case, message) for case, message in notices if case.deciding_unit_id]
    Notification.objects.bulk_create(
        [Notification(unit_id=case.deciding_unit_id, case=case, message=message[:300]) for case, message in notices]
    )
    if getattr(settings, "EMAIL_NOTIFICATIONS", False):
        for case, message in notices:
            unit_id, text = case.deciding_unit_id, message
            transaction.on_commit(lambda unit_id=unit_id, text=text: _email_unit(unit_id, text))


def _email_unit(unit_id: int, message: str) -> None:
    from django.core.mail import send_mail

    from doanso.accounts.models import User

    recipients = list(
        User.objects.filter(unit_id=unit_id, is_active=True).exclude(email="").values_list("email", flat=True)
    )
    if recipients:
        send_mail("[Đoàn Số] Hồ sơ chờ xử lý", message, None, recipients, fail_silently=True)


# ---------------------------------------------------------------- candidates (thanh niên)

YOUTH_FIELDS = [
    "full_name", "date_of_birth", "sex", "ethnicity", "religion", "citizen_id", "phone", "occupation", "current_address",
    "applied_on", "application", "personal_history", "course_passed_on", "course_certificate", "sponsor_kind",
    "sponsor_member", "sponsor_note",
]  # fmt: skip


@transaction.atomic
def youth_register(*, actor: Any, unit: Unit, data: dict[str, Any]) -> Youth:
    """A branch registers a candidate with application and personal history."""
    require(actor, "member.manage", unit)
    if unit.kind not in MEMBER_HOLDING_KINDS or not unit.is_open:
        raise ValidationError({"unit": "Thanh niên phải được đăng ký tại một chi đoàn đang hoạt động."})
    errors: dict[str, str] = {}
    d = {k: data.get(k) for k in YOUTH_FIELDS}
    for key in ("full_name", "date_of_birth", "sex", "citizen_id", "applied_on"):
        if d.get(key) in (None, ""):
            errors[key] = "Không được để trống."
    name = vn.nfc(d.get("full_name"))
    if name and (len(name.split(" ")) < 2 or any(ch.isdigit() for ch in name)):
        errors["full_name"] = "Họ và tên: cần có họ và tên, không chứa chữ số."
    check = vn.check_citizen_id(d.get("citizen_id"), d.get("date_of_birth"), d.get("sex"))
    if d.get("citizen_id") and check.errors:
        errors["citizen_id"] = check.errors[0]
    elif d.get("citizen_id"):
        d["citizen_id"] = check.number
        existing = Member.objects.select_related("unit").filter(citizen_id=check.number).first()
        if existing:
            errors["citizen_id"] = "Người này đã là đoàn viên, không cần kết nạp."
        elif Youth.objects.filter(citizen_id=check.number).exists():
            errors["citizen_id"] = "Số CCCD này đã có hồ sơ thanh niên đăng ký vào Đoàn."
    today = _today()
    if d.get("date_of_birth") and d["date_of_birth"] > today:
        errors["date_of_birth"] = "Ngày sinh không được sau ngày hôm nay."
    if d.get("applied_on") and d["applied_on"] > today:
        errors["applied_on"] = "Ngày nộp đơn không được sau ngày hôm nay."
    if d.get("course_passed_on") and d["course_passed_on"] > today:
        errors["course_passed_on"] = "Ngày hoàn thành lớp cảm tình Đoàn không được sau ngày hôm nay."
    if d.get("sponsor_kind") and d["sponsor_kind"] not in SponsorKind.values:
        errors["sponsor_kind"] = "Hình thức giới thiệu không hợp lệ."
    if d.get("sponsor_kind") == SponsorKind.MEMBER and not d.get("sponsor_member"):
        errors["sponsor_member"] = "Cần chọn đoàn viên giới thiệu."
    if d.get("phone"):
        try:
            d["phone"] = vn.normalize_phone(d["phone"])
        except vn.PhoneError as exc:
            errors["phone"] = str(exc)
    if errors:
        raise ValidationError(errors)
    d["ethnicity"] = Ethnicity.objects.get(pk=d.get("ethnicity") or "01")
    d["religion"] = Religion.objects.get(pk=d.get("religion") or "00")
    for key in ("occupation", "current_address", "application", "personal_history", "course_certificate", "sponsor_kind",
                "sponsor_note", "phone"):  # fmt: skip
        d[key] = d.get(key) or ""
    youth = Youth(unit=unit, created_by=actor, **d)
    youth.set_derived()
    youth.save()
    audit.record(actor=actor, obj=youth, action="create", summary=f"Đăng ký thanh niên {youth.full_name} vào Đoàn")
    return youth


# ---------------------------------------------------------------- cases


@transaction.atomic
def admission_open(*, actor: Any, unit: Unit, youths: list[Youth], note: str = "") -> Case:
    """A branch starts one admission case for the candidates of one branch meeting."""
    require(actor, "member.manage", unit)
    if not youths:
        raise ValidationError({"youths": "Chọn ít nhất một thanh niên."})
    for y in youths:
        if y.unit_id != unit.pk:
            raise ValidationError({"youths": f"{y.full_name} không đăng ký tại {unit.name}."})
        if y.member_id:
            raise ValidationError({"youths": f"{y.full_name} đã được kết nạp."})
    case = Case.objects.create(
        kind=CaseKind.ADMISSION, state=ADMISSION.initial, origin_unit=unit, deciding_unit=unit, opened_by=actor,
        title=f"Kết nạp {len(youths)} thanh niên — {unit.name}",
    )  # fmt: skip
    try:
        with transaction.atomic():
            CaseSubject.objects.bulk_create([CaseSubject(case=case, youth=y, kind=case.kind) for y in youths])
    except IntegrityError as exc:
        raise ValidationError({"youths": "Có thanh niên đang ở trong một hồ sơ kết nạp khác chưa xong."}) from exc
    CaseStep.objects.create(
        case=case, action="open", to_state=case.state, actor=actor, actor_unit=actor.unit, note=note,
        data={"youths": [y.pk for y in youths]},
    )  # fmt: skip
    audit.record(actor=actor, obj=case, action="create", summary=case.title)
    return case


@transaction.atomic
def case_act(
    *, actor: Any, case: Case, action: str, data: dict[str, Any] | None = None, version: int | None = None
) -> Case:
    """Take one transition: lock, check state, decider and inputs, record the step, apply, notify."""
    [outcome] = _act(actor=actor, case_ids=[case.pk], action=action, data=data, version=version)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def cases_bulk_act(*, actor: Any, cases: list[Case], action: str, data: dict[str, Any] | None = None) -> list[dict]:
    """Act on many cases; each is atomic on its own. Returns what succeeded and why others did not.

    The cases are locked together and checked one by one; kinds that declare a batch hook for the
    action (admission approval, transfer release and acceptance) then write all accepted cases with
    a few set-based queries, the others case by case. Should the set-based write itself fail (a
    conflicting write in between), it is undone and every case is taken on its own instead.
    """
    ids = [c.pk for c in cases]
    titles = {c.pk: c.title for c in cases}
    try:
        with transaction.atomic():
            outcomes = _act(actor=actor, case_ids=ids, action=action, data=data)
    except IntegrityError:
        outcomes = []
        for pk in ids:
            try:
                with transaction.atomic():
                    outcomes.extend(_act(actor=actor, case_ids=[pk], action=action, data=data))
            except IntegrityError:
                outcomes.append(ValidationError("Không ghi được hồ sơ này vì dữ liệu vừa thay đổi; hãy thử lại."))
    results = []
    for pk, outcome in zip(ids, outcomes, strict=True):
        if isinstance(outcome, Exception):
            messages = outcome.messages if isinstance(outcome, ValidationError) else [str(outcome)]
            results.append({"case": pk, "title": titles[pk], "ok": False, "message": " ".join(messages)})
        else:
            message = spec_for(outcome.kind).states.get(outcome.state, outcome.state)
            results.append({"case": outcome.pk, "title": outcome.title, "ok": True, "message": message})
    return results


# The result of a transition hook: (new state, unit that decides next, outcome text, step data).
Outcome = tuple[str, Unit | None, str, dict]


def _act(
    *, actor: Any, case_ids: list[int], action: str, data: dict[str, Any] | None, version: int | None = None
) -> list[Case | Exception]:
    """The one transition engine: each case's result, in the order of `case_ids` (a Case, or the
    ValidationError/ScopeError that refused it, with nothing of it written)."""
    data = dict(data or {})
    # Lock the plain rows, then read their units: a row re-read after waiting for a lock would come
    # back with the units joined to its old version.
    cases = Case.objects.select_for_update().in_bulk(case_ids)
    units = Unit.objects.in_bulk({pk for c in cases.values() for pk in (c.origin_unit_id, c.deciding_unit_id) if pk})
    for case in cases.values():
        case.origin_unit = units[case.origin_unit_id]
        case.deciding_unit = units.get(case.deciding_unit_id)
    results: dict[int, Case | Exception] = {}
    ready: dict[str, list[Case]] = {}
    for pk in case_ids:
        case = cases.get(pk)
        if case is None:
            results[pk] = ValidationError({"__all__": "Không tìm thấy hồ sơ."})
            continue
        try:
            _check_transition(actor=actor, case=case, action=action, data=data, version=version)
        except (ValidationError, ScopeError) as exc:
            results[pk] = exc
        else:
            ready.setdefault(case.kind, []).append(case)
    with memoized():
        for kind, group in ready.items():
            spec = spec_for(kind)
            transition = spec.transitions[action]
            many = BATCH_HOOKS.get((kind, action))
            if many is not None:
                outcomes = many(cases=group, data=data, actor=actor, transition=transition)
            else:
                outcomes = {c.pk: _act_one(case=c, data=data, actor=actor, transition=transition) for c in group}
            done = [(c, outcomes[c.pk]) for c in group if not isinstance(outcomes[c.pk], Exception)]
            _record_transitions(actor=actor, spec=spec, action=action, data=data, done=done)
            results.update(outcomes)
            results.update({c.pk: c for c, _ in done})
    return [results[pk] for pk in case_ids]


def _check_transition(*, actor: Any, case: Case, action: str, data: dict, version: int | None) -> None:
    spec = spec_for(case.kind)
    transition = spec.transitions.get(action)
    if transition is None:
        raise ValidationError({"action": "Thao tác không có trong nghiệp vụ này."})
    if version is not None and int(version) != case.version:
        raise ValidationError({"__all__": "Hồ sơ vừa được người khác xử lý; hãy tải lại trang để xem tình trạng mới."})
    if case.state not in transition.sources:
        raise ValidationError(
            {"__all__": f"Hồ sơ đang ở bước “{spec.states[case.state]}”, không thể “{transition.label}”."}
        )
    unit = case.deciding_unit if transition.who == "deciding" else case.origin_unit
    _require_decider(actor, unit, transition)
    missing = {f: "Không được để trống." for f in transition.requires if data.get(f) in (None, "", [], {})}
    if missing:
        raise ValidationError(missing)


def _act_one(*, case: Case, data: dict, actor: Any, transition: Transition) -> Outcome | Exception:
    """A kind's one-case hook, in a savepoint of its own so that a refusal leaves nothing behind."""
    hook = HOOKS.get((case.kind, transition.action))
    if hook is None:
        return transition.target, case.deciding_unit, "", {}
    snapshot = (case.data, case.rule_set_id, case.access_until, case.title)
    try:
        with transaction.atomic():
            return hook(case=case, data=data, actor=actor, transition=transition)
    except (ValidationError, ScopeError) as exc:
        case.data, case.rule_set_id, case.access_until, case.title = snapshot
        return exc


CASE_FIELDS = [f.name for f in Case._meta.concrete_fields if not f.primary_key and f.name != "opened_at"]


def _record_transitions(*, actor: Any, spec: Any, action: str, data: dict, done: list[tuple[Case, Outcome]]) -> None:
    """The generic half of every transition: new state, next decider, step, history, inbox."""
    if not done:
        return
    now = timezone.now()
    steps, events, notices, closed = [], [], [], []
    for case, (to_state, deciding, outcome, step_data) in done:
        previous_deciding, from_state = case.deciding_unit_id, case.state
        if to_state in spec.final:
            deciding = None
            case.is_open = False
            case.decided_at = now
            closed.append(case.pk)
        case.state = to_state
        case.deciding_unit = deciding
        case.outcome = outcome or case.outcome
        case.version += 1
        steps.append(
            CaseStep(
                case=case,
                action=action,
                from_state=from_state,
                to_state=to_state,
                actor=actor,
                actor_unit=actor.unit,
                note=vn.nfc(data.get("note") or ""),
                data=step_data,
            )  # fmt: skip
        )
        events.append((case, action, {"state": [spec.states[from_state], spec.states[to_state]]}, ""))
        if case.is_open and deciding is not None and deciding.pk != previous_deciding:
            notices.append((case, f"{case.title}: {spec.states[to_state]}"))
    if closed:
        CaseSubject.objects.filter(case_id__in=closed).update(is_open=False)
    update_rows([c for c, _ in done], CASE_FIELDS)
    CaseStep.objects.bulk_create(steps, batch_size=1000)
    audit.record_many(actor=actor, entries=events)
    _notify_many(notices)


# ---------------------------------------------------------------- admission hooks


def _months_before(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _eligibility_errors(youth: Youth, day: date) -> list[str]:
    rules = rules_on(day)
    problems = []
    age = vn.age_on(youth.date_of_birth, day)
    if age < rules.admission_min_age or age > rules.admission_max_age:
        problems.append(f"tuổi {age}, ngoài độ tuổi kết nạp ({rules.admission_min_age}–{rules.admission_max_age})")
    if not youth.course_passed_on or youth.course_passed_on > day:
        problems.append("chưa hoàn thành lớp cảm tình Đoàn")
    if not youth.sponsor_kind:
        problems.append("chưa có người hoặc tổ chức giới thiệu")
    elif youth.sponsor_kind == SponsorKind.MEMBER:
        sponsor = youth.sponsor_member
        if sponsor is None or sponsor.status != "active":
            problems.append("người giới thiệu không phải đoàn viên đang sinh hoạt")
        elif sponsor.admitted_on and sponsor.admitted_on > _months_before(day, rules.sponsor_min_months):
            problems.append(f"người giới thiệu chưa là đoàn viên đủ {rules.sponsor_min_months} tháng")
    return problems


def _admission_vote(*, case: Case, data: dict, actor: Any, transition: Transition):
    meeting_on = _as_date(data["meeting_on"], "meeting_on", "Ngày họp chi đoàn")
    if meeting_on > _today():
        raise ValidationError({"meeting_on": "Ngày họp chi đoàn không được sau ngày hôm nay."})
    present = _as_int(data["present"], "present", "Số đoàn viên có mặt")
    if present == 0:
        raise ValidationError({"present": "Số đoàn viên có mặt phải lớn hơn 0."})
    subjects = list(CaseSubject.objects.filter(case=case).select_related("youth__sponsor_member"))
    votes = data["votes"]
    problems = []
    tally = {}
    for s in subjects:
        y = s.youth
        vote = votes.get(str(y.pk)) or votes.get(y.pk)
        if not vote:
            raise ValidationError({"votes": f"Thiếu kết quả biểu quyết cho {y.full_name}."})
        yes = _as_int(vote.get("for"), "votes", f"Số tán thành ({y.full_name})")
        no = _as_int(vote.get("against"), "votes", f"Số không tán thành ({y.full_name})")
        if yes + no > present:
            raise ValidationError({"votes": f"{y.full_name}: số phiếu ({yes + no}) nhiều hơn số có mặt ({present})."})
        tally[y.pk] = (yes, no)
        for p in _eligibility_errors(y, meeting_on):
            problems.append(f"{y.full_name}: {p}")
    if problems:
        raise ValidationError({"votes": problems})
    passed = 0
    for s in subjects:
        yes, _no = tally[s.youth_id]
        s.result = "passed" if yes * 2 > present else "not_passed"
        s.note = f"{yes}/{present} tán thành"
        s.save(update_fields=["result", "note"])
        passed += s.result == "passed"
    step = {
        "meeting_on": meeting_on.isoformat(),
        "present": present,
        "votes": {str(k): list(v) for k, v in tally.items()},
    }
    if not passed:
        return "not_passed", None, "Không thanh niên nào đạt quá nửa số đoàn viên có mặt tán thành.", step
    return (transition.target, superior_of(case.origin_unit), f"{passed}/{len(subjects)} đạt biểu quyết", step)


def _admission_approve(*, cases: list[Case], data: dict, actor: Any, transition: Transition) -> dict:
    """The superior unit's approval decision for many admission cases: every candidate who passed the
    vote becomes a member (admission date, decision, card number). A case whose candidates cannot
    all be registered is refused whole."""
    try:
        decision_on = _as_date(data["decision_on"], "decision_on", "Ngày quyết định")
        if decision_on > _today():
            raise ValidationError({"decision_on": "Ngày quyết định không được sau ngày hôm nay."})
    except ValidationError as exc:
        return {c.pk: exc for c in cases}
    number, signer = vn.nfc(data["decision_number"]), vn.nfc(data["signer"])
    meetings = dict(
        CaseStep.objects.filter(case__in=cases, action="vote").order_by("at", "id").values_list("case_id", "data")
    )
    passed: dict[int, list[CaseSubject]] = {c.pk: [] for c in cases}
    for s in CaseSubject.objects.filter(case__in=cases, result="passed").select_related("youth").order_by("pk"):
        passed[s.case_id].append(s)
    out: dict[int, Any] = {}
    rows, owners = [], []
    for case in cases:
        if decision_on.isoformat() < meetings.get(case.pk, {}).get("meeting_on", ""):
            out[case.pk] = ValidationError(
                {"decision_on": "Ngày quyết định chuẩn y không được trước ngày họp chi đoàn."}
            )
            continue
        for s in passed[case.pk]:
            y = s.youth
            rows.append((case.origin_unit, {
                "full_name": y.full_name, "date_of_birth": y.date_of_birth, "sex": y.sex, "ethnicity": y.ethnicity_id,
                "religion": y.religion_id, "citizen_id": y.citizen_id, "phone": y.phone, "occupation": y.occupation,
                "current_address": y.current_address, "admitted_on": decision_on, "admission_decision_number": number,
                "admission_place": case.origin_unit.name,
            }))  # fmt: skip
            owners.append((case, s))
    prepared = members_prepare(actor=actor, rows=rows, accept_warnings=True)
    for (case, _s), result in zip(owners, prepared, strict=True):
        if isinstance(result, Exception):
            out.setdefault(case.pk, result)
    accepted = [(case, s, r) for (case, s), r in zip(owners, prepared, strict=True) if case.pk not in out]
    note = f"Kết nạp theo quyết định {number}"
    members = members_insert(
        actor=actor, prepared=[(member, "; ".join([*warnings, note])) for _c, _s, (member, warnings) in accepted]
    )
    admitted: dict[int, list[int]] = {c.pk: [] for c in cases}
    for (case, s, _r), member in zip(accepted, members, strict=True):
        member.card_number = f"{decision_on:%Y}{member.pk:08d}"
        s.youth.member = member
        s.member, s.result = member, "admitted"
        admitted[case.pk].append(member.pk)
    update_rows(members, ["card_number"])
    update_rows([s.youth for _c, s, _r in accepted], ["member"])
    update_rows([s for _c, s, _r in accepted], ["member", "result"])
    rule_set_id = rules_on(decision_on).rule_set_id
    for case in cases:
        if case.pk in out:
            continue
        step = {"decision_number": number, "decision_on": decision_on.isoformat(), "signer": signer,
                "members": admitted[case.pk]}  # fmt: skip
        case.data = {**case.data, **step}
        case.rule_set_id = rule_set_id
        out[case.pk] = (transition.target, None, f"Đã kết nạp {len(admitted[case.pk])} đoàn viên (QĐ {number})", step)
    return out


def _to_origin(*, case: Case, data: dict, actor: Any, transition: Transition):
    return transition.target, case.origin_unit, "", {}


# ---------------------------------------------------------------- transfer


def grassroots_of(unit: Unit) -> Unit:
    """The grassroots-level unit holding a branch (itself for a branch with grassroots powers)."""
    if unit.kind == UnitKind.GRASSROOTS_BRANCH:
        return unit
    ids = unit.ancestor_ids()
    for ancestor in sorted(Unit.objects.filter(pk__in=ids), key=lambda u: -u.depth):
        if ancestor.kind in (UnitKind.GRASSROOTS, UnitKind.GRASSROOTS_BRANCH):
            return ancestor
    return superior_of(unit)


def receiving_units(*, q: str, limit: int = 20) -> list[Unit]:
    """Grassroots units anywhere in the country a member can transfer to (names only, no data)."""
    folded = vn.fold(q)
    if len(folded) < 2:
        return []
    qs = Unit.objects.filter(closed_on__isnull=True, kind__in=[UnitKind.GRASSROOTS, UnitKind.GRASSROOTS_BRANCH])
    for word in folded.split(" "):
        qs = qs.filter(name_search__contains=word)
    return list(qs.select_related("parent").order_by("name_search")[:limit])


@transaction.atomic
def transfer_open(
    *, actor: Any, member: Member, to_unit: Unit | None, reason: str = "", on: date | None = None, destination: str = ""
) -> Case:
    """Start a transfer of one member (see transfers_open)."""
    [outcome] = transfers_open(actor=actor, members=[member], to_unit=to_unit, reason=reason, on=on,
                               destination=destination)  # fmt: skip
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


@transaction.atomic
def transfers_open(
    *, actor: Any, members: list[Member], to_unit: Unit | None, reason: str = "", on: date | None = None,
    destination: str = "",
) -> list[Case | ValidationError | ScopeError]:  # fmt: skip
    """Start the transfers of many members to one unit (a class graduating; one member is a batch of one).

    Inside one grassroots unit it is a direct move between branches; otherwise a two-party hand-over:
    the sender releases, the receiver accepts. With no receiving unit (a Union organisation outside
    Đoàn Số, abroad…) the sender releases with a printed letter. Each member gets a case, or the
    error that refused them (nothing is written for a refused member)."""
    locked = Member.objects.select_for_update().select_related("unit").in_bulk([m.pk for m in members])
    to_unit = Unit.objects.get(pk=to_unit.pk) if to_unit is not None else None
    destination, reason, on = vn.nfc(destination), vn.nfc(reason), on or _today()
    busy = set(
        CaseSubject.objects.filter(member_id__in=list(locked), kind=CaseKind.TRANSFER, is_open=True).values_list(
            "member_id", flat=True
        )
    )
    senders: dict[int, Unit] = {}
    to_home = grassroots_of(to_unit) if to_unit is not None and to_unit.kind in MEMBER_HOLDING_KINDS else None
    results: list[Any] = []
    plans: list[tuple[Member, Unit, bool]] = []  # (member, sending grassroots unit, direct move)
    for m in members:
        member = locked[m.pk]
        try:
            require(actor, "member.manage", member.unit)
            if member.unit_id not in senders:
                senders[member.unit_id] = grassroots_of(member.unit)
            sender = senders[member.unit_id]
            direct = _check_transfer(member=member, sender=sender, to_unit=to_unit, to_home=to_home,
                                     destination=destination, busy=member.pk in busy)  # fmt: skip
        except (ValidationError, ScopeError) as exc:
            results.append(exc)
            continue
        plans.append((member, sender, direct))
        results.append(None)
    cases = []
    for member, sender, direct in plans:
        if to_unit is None:
            title = f"Chuyển sinh hoạt {member.full_name}: {sender.name} → {destination}"
            data = {"out": True, "destination": destination, "from_unit": member.unit_id, "reason": reason}
        elif direct:
            title = f"Chuyển {member.full_name} sang {to_unit.name}"
            data = {"direct": True, "to_unit": to_unit.pk, "from_unit": member.unit_id}
        else:
            title = f"Chuyển sinh hoạt {member.full_name}: {sender.name} → {to_unit.name}"
            data = {"to_unit": to_unit.pk, "from_unit": member.unit_id, "reason": reason}
        cases.append(Case(
            kind=CaseKind.TRANSFER, origin_unit=sender, opened_by=actor, title=title, data=data,
            state="placed" if direct else "requested", deciding_unit=None if direct else sender, is_open=not direct,
            decided_at=timezone.now() if direct else None, outcome="Chuyển trực tiếp trong đơn vị" if direct else "",
        ))  # fmt: skip
    cases = Case.objects.bulk_create(cases, batch_size=500)
    CaseSubject.objects.bulk_create(
        [
            CaseSubject(case=case, member=member, kind=case.kind, is_open=not direct, result="placed" if direct else "")
            for case, (member, _s, direct) in zip(cases, plans, strict=True)
        ],
        batch_size=1000,
    )
    moved = [member for member, _s, direct in plans if direct]
    if moved:
        reasons = {m.pk: reason or c.title for c, (m, _s, direct) in zip(cases, plans, strict=True) if direct}
        members_relocate(actor=actor, member_ids=[m.pk for m in moved], to_unit=to_unit, on=on, reasons=reasons)
    CaseStep.objects.bulk_create(
        [
            CaseStep(case=c, action="open", to_state=c.state, actor=actor, actor_unit=actor.unit, note=reason)
            for c in cases
        ],
        batch_size=1000,
    )
    _notify_many([(c, c.title) for c in cases if c.is_open and to_unit is not None])
    opened = iter(cases)
    return [outcome if outcome is not None else next(opened) for outcome in results]


def _check_transfer(
    *, member: Member, sender: Unit, to_unit: Unit | None, to_home: Unit | None, destination: str, busy: bool
) -> bool:
    """Refuse a transfer that cannot start; True when it is a direct move inside the grassroots unit."""
    if to_unit is None and len(destination) < 5:
        raise ValidationError(
            {"destination": "Ghi rõ tổ chức Đoàn nơi đến (ngoài hệ thống), ví dụ: Đoàn TNCS tại Nhật Bản."}
        )
    if member.status != "active":
        raise ValidationError({"member": f"{member.full_name} không ở trạng thái đang sinh hoạt."})
    if to_unit is None:
        direct = False
    else:
        if not to_unit.is_open:
            raise ValidationError({"to_unit": f"“{to_unit.name}” đã giải thể, không nhận được đoàn viên."})
        if to_unit.pk == member.unit_id:
            raise ValidationError({"to_unit": "Đoàn viên đang sinh hoạt tại đơn vị này."})
        direct = to_home is not None and to_home.pk == sender.pk
        if not direct and to_unit.kind not in (UnitKind.GRASSROOTS, UnitKind.GRASSROOTS_BRANCH):
            raise ValidationError({"to_unit": "Đơn vị đến phải là một Đoàn cơ sở hoặc Chi đoàn cơ sở."})
    if busy and not direct:
        raise ValidationError({"member": f"{member.full_name} đang có một hồ sơ chuyển sinh hoạt chưa xong."})
    return direct


def _subject_member(case: Case) -> Member:
    return CaseSubject.objects.select_related("member__unit").get(case=case).member


def _subject_members(cases: list[Case]) -> dict[int, Member]:
    subjects = CaseSubject.objects.filter(case__in=cases).select_related("member__unit")
    return {s.case_id: s.member for s in subjects}


def _record_statuses(*, actor: Any, changes: dict[int, StatusChange]) -> dict[int, ValidationError]:
    """Record one status change per case; the cases whose change is refused are returned, untouched."""
    pks = list(changes)
    checked = members_record_status(actor=actor, changes=[changes[pk] for pk in pks], check_only=True)
    refused = {pk: error for pk, error in zip(pks, checked, strict=True) if error is not None}
    members_record_status(actor=actor, changes=[changes[pk] for pk in pks if pk not in refused])
    return refused


def _transfer_release(*, cases: list[Case], data: dict, actor: Any, transition: Transition) -> dict:
    """The sending unit releases: remarks, dues settled to a month; the member is in transit (or, out of
    the system, has left with an introduction letter). Where the unit keeps its dues book here, the
    month is the book's (left blank, it is filled in from there; a month the book does not show
    paid is refused); elsewhere the official states it."""
    today = _today()
    members = _subject_members(cases)
    book = paid_through(members.values(), today)
    paid = str(data.get("dues_paid_to") or "").strip()
    stated = None
    if paid:
        try:
            stated = parse_month(paid, "dues_paid_to", "Đoàn phí đã đóng đến tháng")
        except ValidationError as error:
            return {c.pk: error for c in cases}
        paid = f"{stated:%m/%Y}"
    remarks = vn.nfc(data["remarks"])
    steps: dict[int, dict] = {}
    out: dict[int, Any] = {}
    for case in cases:
        member = members[case.pk]
        ledger = book.get(member.pk)
        if ledger is None and stated is None:
            out[case.pk] = ValidationError({
                "dues_paid_to": f"{member.full_name}: đơn vị chưa ghi sổ đoàn phí trên Đoàn Số, hãy nhập tháng "
                "đã đóng đến (mm/yyyy)."
            })  # fmt: skip
            continue
        if ledger is None and stated > today:  # the book may show months paid ahead; a statement may not
            out[case.pk] = ValidationError({"dues_paid_to": "Tháng đóng đoàn phí không được ở tương lai."})
            continue
        if ledger is not None and stated is not None and stated != ledger.month:
            owing = f" (còn nợ: {', '.join(ledger.unpaid_texts)})" if ledger.unpaid else ""
            out[case.pk] = ValidationError({
                "dues_paid_to": f"Sổ đoàn phí ghi {member.full_name} {ledger.paid_text}{owing}, không phải {paid}: "
                "hãy ghi khoản đã thu vào sổ trước, hoặc để trống để lấy theo sổ."
            })  # fmt: skip
            continue
        month = stated.strftime("%m/%Y") if stated else ledger.month_text  # "": nothing paid yet
        steps[case.pk] = {"remarks": remarks, "dues_paid_to": month, "released_on": today.isoformat()}
        if ledger is not None and ledger.unpaid:
            steps[case.pk]["dues_unpaid"] = ledger.unpaid_texts
    cases = [c for c in cases if c.pk not in out]
    receivers = Unit.objects.in_bulk({c.data["to_unit"] for c in cases if not c.data.get("out")})
    changes: dict[int, StatusChange] = {}
    for case in cases:
        member = members[case.pk]
        if case.data.get("out"):
            reason = f"Chuyển sinh hoạt ra ngoài hệ thống: {case.data['destination']}"
            changes[case.pk] = StatusChange(member.pk, "left", today, reason)
            continue
        receiver = receivers[case.data["to_unit"]]
        if not receiver.is_open:
            out[case.pk] = ValidationError(
                {"__all__": f"“{receiver.name}” đã giải thể; hãy rút đề nghị và chọn đơn vị khác."}
            )
            continue
        changes[case.pk] = StatusChange(member.pk, "in_transit", today, f"Chuyển sinh hoạt đến {receiver.name}")
    out.update(_record_statuses(actor=actor, changes=changes))
    for case in cases:
        if case.pk in out:
            continue
        step = steps[case.pk]
        case.data = {**case.data, **step}
        if case.data.get("out"):
            out[case.pk] = ("left_system", None, f"Đã cấp giấy giới thiệu đến {case.data['destination']}", step)
        else:
            out[case.pk] = (transition.target, receivers[case.data["to_unit"]], "", step)
    return out


def _transfer_accept(*, cases: list[Case], data: dict, actor: Any, transition: Transition) -> dict:
    """The receiving unit places each member in one of its branches; they are active again there."""
    branch_id = data["branch"]
    branch = Unit.objects.filter(pk=getattr(branch_id, "pk", branch_id)).first()
    out: dict[int, Any] = {}
    for case in cases:
        receiver = case.deciding_unit
        if branch is None or not branch.path.startswith(receiver.path) or branch.kind not in MEMBER_HOLDING_KINDS:
            out[case.pk] = ValidationError({"branch": f"Hãy chọn một chi đoàn thuộc {receiver.name}."})
        elif not branch.is_open:
            out[case.pk] = ValidationError({"branch": f"Chi đoàn “{branch.name}” đã giải thể."})
    members = _subject_members([c for c in cases if c.pk not in out])
    today = _today()
    changes = {pk: StatusChange(m.pk, "active", today, f"Tiếp nhận tại {branch.name}") for pk, m in members.items()}
    checked = members_record_status(actor=actor, changes=list(changes.values()), check_only=True)
    out.update({pk: error for pk, error in zip(changes, checked, strict=True) if error is not None})
    placing = [c for c in cases if c.pk not in out]
    members_relocate(actor=actor, member_ids=[members[c.pk].pk for c in placing], to_unit=branch, on=today,
                     reasons={members[c.pk].pk: c.title for c in placing})  # fmt: skip
    members_record_status(actor=actor, changes=[changes[c.pk] for c in placing])
    for case in placing:
        out[case.pk] = (transition.target, None, f"Đã xếp vào {branch.name}", {"branch": branch.pk})
    return out


def _transfer_return(*, case: Case, data: dict, actor: Any, transition: Transition):
    member = _subject_member(case)
    if member.status == "in_transit":
        member_record_status(
            actor=actor, member=member, status="active", effective_on=_today(),
            reason=f"Trả về đơn vị đi: {data.get('note') or transition.label}",
        )  # fmt: skip
    return transition.target, None, data.get("note", ""), {}


HOOKS = {
    (CaseKind.ADMISSION, "vote"): _admission_vote,
    (CaseKind.ADMISSION, "return"): _to_origin,
    (CaseKind.TRANSFER, "refuse"): _transfer_return,
}
# Hooks that take all the cases of one bulk action at once (see _act): each checks every case before
# writing anything, then writes the accepted ones set-based; a refused case is left untouched.
BATCH_HOOKS = {
    (CaseKind.ADMISSION, "approve"): _admission_approve,
    (CaseKind.TRANSFER, "release"): _transfer_release,
    (CaseKind.TRANSFER, "accept"): _transfer_accept,
}


# ---------------------------------------------------------------- member procedures: ageing out, extension,
# working away, removal (one opener, kind-specific checks)

MEMBER_KINDS = {CaseKind.AGEING_OUT, CaseKind.AGE_EXTENSION, CaseKind.WORKING_AWAY, CaseKind.REMOVAL}
BATCH_KINDS = {CaseKind.AGEING_OUT, CaseKind.REMOVAL}


def _birthday(born: date, years: int) -> date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return born.replace(year=born.year + years, day=28)


def ageing_out_due(*, unit: Unit, on: date | None = None) -> list[Member]:
    """Active members of `unit`'s subtree who reach the rule-set age, except elected/full-time
    officials and members the branch has let stay on."""
    on = on or _today()
    rules = rules_on(on)
    born_before = _birthday(on, -rules.ageing_out_age)
    qs = (
        Member.objects.in_subtree(unit)
        .filter(status="active", date_of_birth__lte=born_before, is_full_time_official=False)
        .exclude(stay_until__gte=on)
        .select_related("unit")
        .order_by("sort_key")
    )
    return list(qs[:2000])


def _missed_by_member(members: list[Member], on: date) -> dict[int, int]:
    """Months of the last 12 without activity (the monthly activity screen) or without dues (the dues
    ledger, the one source of truth; the current month counts once it is over), not counting
    registered time away."""
    from collections import defaultdict

    from doanso.dues.selectors import unpaid_months_for

    from .models import ActivityMonth, AwayPeriod

    start = _months_before(on.replace(day=1), 11)
    ids = [m.pk for m in members]
    missed: dict[int, set[date]] = defaultdict(set)
    absent = ActivityMonth.objects.filter(member_id__in=ids, month__gte=start, month__lte=on, attended=False)
    for pk, month in absent.values_list("member_id", "month"):
        missed[pk].add(month)
    for pk, months in unpaid_months_for(members, start, _months_before(on.replace(day=1), 1)).items():
        missed[pk] |= months
    away = defaultdict(list)
    for period in AwayPeriod.objects.filter(member_id__in=ids):
        away[period.member_id].append(period)
    return {pk: sum(1 for m in missed[pk] if not any(p.covers(m) for p in away[pk])) for pk in ids}


def missed_months(*, member: Member, on: date | None = None) -> int:
    """Months of the last 12 without activity or without dues, not counting registered time away."""
    return _missed_by_member([member], on or _today())[member.pk]


def removal_candidates(*, unit: Unit, on: date | None = None) -> list[tuple[Member, int]]:
    on = on or _today()
    trigger = rules_on(on).removal_missed_months
    members = list(Member.objects.in_subtree(unit).filter(status="active").select_related("unit").order_by("sort_key"))
    missed = _missed_by_member(members, on)
    return [(m, missed[m.pk]) for m in members if missed[m.pk] >= trigger]


@transaction.atomic
def member_case_open(*, actor: Any, kind: str, members: list[Member], data: dict[str, Any] | None = None) -> Case:
    """Open an ageing-out list, an extension request, a working-away report or a removal proposal."""
    data = dict(data or {})
    if kind not in MEMBER_KINDS:
        raise ValidationError({"kind": "Nghiệp vụ không hợp lệ."})
    if not members:
        raise ValidationError({"members": "Chọn ít nhất một đoàn viên."})
    if kind not in BATCH_KINDS and len(members) > 1:
        raise ValidationError({"members": "Nghiệp vụ này lập cho từng đoàn viên."})
    members = list(Member.objects.select_for_update().select_related("unit").filter(pk__in=[m.pk for m in members]))
    units = {m.unit_id for m in members}
    if len(units) != 1:
        raise ValidationError({"members": "Các đoàn viên trong một hồ sơ phải cùng một chi đoàn."})
    branch = members[0].unit
    require(actor, "member.manage", branch)
    today = _today()
    rules = rules_on(today)
    problems = []
    for m in members:
        if m.status != "active":
            problems.append(f"{m.full_name}: không ở trạng thái đang sinh hoạt")
        if kind == CaseKind.AGEING_OUT:
            if vn.age_on(m.date_of_birth, today) < rules.ageing_out_age:
                problems.append(f"{m.full_name}: chưa đến tuổi trưởng thành ({rules.ageing_out_age})")
            if m.is_full_time_official:
                problems.append(f"{m.full_name}: là cán bộ chuyên trách/được bầu, tiếp tục sinh hoạt")
        if kind == CaseKind.REMOVAL:
            n = missed_months(member=m, on=today)
            if n < rules.removal_missed_months:
                problems.append(
                    f"{m.full_name}: mới bỏ sinh hoạt/đoàn phí {n} tháng (cần {rules.removal_missed_months} tháng trong năm)"
                )
    if kind == CaseKind.AGE_EXTENSION:
        until = _as_date(data.get("until"), "until", "Sinh hoạt đến ngày")
        limit = _birthday(members[0].date_of_birth, rules.max_age_with_extension + 1)
        if until >= limit or until <= today:
            raise ValidationError(
                {
                    "until": f"Ngày phải sau hôm nay và trước {limit:%d/%m/%Y} (tối đa {rules.max_age_with_extension} tuổi)."
                }
            )
        data["until"] = until.isoformat()
    if kind == CaseKind.WORKING_AWAY:
        starts = _as_date(data.get("starts_on"), "starts_on", "Từ ngày")
        ends = _as_date(data.get("ends_on"), "ends_on", "Đến ngày")
        if ends <= starts:
            raise ValidationError({"ends_on": "Ngày kết thúc phải sau ngày bắt đầu."})
        if ends > _months_before(starts, -rules.working_away_max_months):
            raise ValidationError({"ends_on": f"Mỗi lần đi làm ăn xa tối đa {rules.working_away_max_months} tháng."})
        data["starts_on"], data["ends_on"] = starts.isoformat(), ends.isoformat()
        data["place"] = vn.nfc(data.get("place") or "")
    if problems:
        raise ValidationError({"members": problems})
    spec = spec_for(kind)
    names = ", ".join(m.full_name for m in members[:3]) + ("…" if len(members) > 3 else "")
    case = Case.objects.create(
        kind=kind, state=spec.initial, origin_unit=branch, deciding_unit=branch, opened_by=actor,
        title=f"{spec.label}: {names} — {branch.name}", data={k: v for k, v in data.items() if k != "note"},
    )  # fmt: skip
    try:
        with transaction.atomic():
            CaseSubject.objects.bulk_create([CaseSubject(case=case, member=m, kind=kind) for m in members])
    except IntegrityError as exc:
        raise ValidationError({"members": f"Có đoàn viên đang có hồ sơ “{spec.label}” chưa xong."}) from exc
    CaseStep.objects.create(
        case=case, action="open", to_state=case.state, actor=actor, actor_unit=actor.unit, note=data.get("note", "")
    )
    _notify(case, case.title)
    return case


def _members_of(case: Case) -> list[Member]:
    return [s.member for s in CaseSubject.objects.filter(case=case).select_related("member")]


def _ageing_confirm(*, case: Case, data: dict, actor: Any, transition: Transition):
    on = _as_date(data["ceremony_on"], "ceremony_on", "Ngày tổ chức lễ")
    if on > _today():
        raise ValidationError({"ceremony_on": "Ngày tổ chức lễ không được sau ngày hôm nay."})
    for m in _members_of(case):
        if m.status != "active":
            raise ValidationError({"__all__": f"{m.full_name} không còn ở trạng thái đang sinh hoạt."})
        member_record_status(actor=actor, member=m, status="aged_out", effective_on=on, reason="Trưởng thành Đoàn")
    return transition.target, None, f"Trưởng thành Đoàn ngày {on:%d/%m/%Y}", {"ceremony_on": on.isoformat()}


def _extension_grant(*, case: Case, data: dict, actor: Any, transition: Transition):
    until = _as_date(data.get("until") or case.data.get("until"), "until", "Sinh hoạt đến ngày")
    for m in _members_of(case):
        Member.objects.filter(pk=m.pk).update(stay_until=until)
        audit.record(actor=actor, obj=m, action="update", changes={"stay_until": [None, until.strftime("%d/%m/%Y")]})
    return transition.target, None, f"Được ở lại sinh hoạt đến {until:%d/%m/%Y}", {"until": until.isoformat()}


def _away_approve(*, case: Case, data: dict, actor: Any, transition: Transition):
    from .models import AwayPeriod

    member = _members_of(case)[0]
    AwayPeriod.objects.create(
        member=member, case=case, starts_on=date.fromisoformat(case.data["starts_on"]),
        ends_on=date.fromisoformat(case.data["ends_on"]),
    )  # fmt: skip
    return transition.target, case.deciding_unit, f"Đi làm ăn xa đến {case.data['ends_on']}", {}


def _away_return(*, case: Case, data: dict, actor: Any, transition: Transition):
    from .models import AwayPeriod

    back = _as_date(data["returned_on"], "returned_on", "Ngày trở về")
    period = AwayPeriod.objects.get(case=case)
    if back < period.starts_on or back > _today():
        raise ValidationError({"returned_on": "Ngày trở về phải sau ngày đi và không sau hôm nay."})
    period.returned_on = back
    period.save(update_fields=["returned_on"])
    return transition.target, None, f"Trở về ngày {back:%d/%m/%Y}", {"returned_on": back.isoformat()}


def _removal_decide(*, case: Case, data: dict, actor: Any, transition: Transition):
    on = _as_date(data["meeting_on"], "meeting_on", "Ngày họp chi đoàn")
    if on > _today():
        raise ValidationError({"meeting_on": "Ngày họp không được sau ngày hôm nay."})
    for m in _members_of(case):
        member_record_status(
            actor=actor, member=m, status="removed", effective_on=on,
            reason=f"Chi đoàn quyết định xóa tên ({data.get('note') or 'bỏ sinh hoạt, không đóng đoàn phí'})",
        )  # fmt: skip
    superior = superior_of(case.origin_unit)
    Notification.objects.create(unit=superior, case=case, message=f"Báo cáo: {case.title} — đã xóa tên")
    return transition.target, None, f"Đã xóa tên ngày {on:%d/%m/%Y}", {"meeting_on": on.isoformat()}


HOOKS.update(
    {
        (CaseKind.AGEING_OUT, "confirm"): _ageing_confirm,
        (CaseKind.AGE_EXTENSION, "grant"): _extension_grant,
        (CaseKind.WORKING_AWAY, "approve"): _away_approve,
        (CaseKind.WORKING_AWAY, "return"): _away_return,
        (CaseKind.REMOVAL, "decide"): _removal_decide,
    }
)


# ---------------------------------------------------------------- rewards, discipline, honorary members


@transaction.atomic
def reward_record(*, actor: Any, member: Member, form: str, decision_number: str, decided_on: Any, reason: str) -> Any:
    """A reward decided by the actor's unit for a member of its subtree."""
    from .choices import RewardForm
    from .models import Distinction

    member = Member.objects.select_related("unit").get(pk=member.pk)
    require(actor, "member.manage", member.unit)
    errors = {}
    if form not in RewardForm.values:
        errors["form"] = "Hình thức khen thưởng không hợp lệ."
    if not vn.nfc(decision_number):
        errors["decision_number"] = "Cần số quyết định."
    if not vn.nfc(reason):
        errors["reason"] = "Cần ghi thành tích được khen thưởng."
    if errors:
        raise ValidationError(errors)
    on = _as_date(decided_on, "decided_on", "Ngày quyết định")
    if on > _today():
        raise ValidationError({"decided_on": "Ngày quyết định không được sau ngày hôm nay."})
    row = Distinction.objects.create(
        member=member, kind="reward", form=form, decision_number=vn.nfc(decision_number), decided_on=on,
        issuing_unit=actor.unit, reason=vn.nfc(reason), recorded_by=actor,
    )  # fmt: skip
    audit.record(
        actor=actor,
        obj=member,
        action="update",
        summary=f"Khen thưởng: {row.get_form_display()} ({row.decision_number})",
    )
    return row


@transaction.atomic
def discipline_open(*, actor: Any, member: Member, form: str, reason: str, months: Any = None) -> Case:
    """A unit proposes a discipline; its committee votes by secret ballot, then decides."""
    from .choices import DisciplineForm

    member = Member.objects.select_related("unit").get(pk=member.pk)
    require(actor, "member.manage", member.unit)
    rules = rules_on(_today())
    errors = {}
    if form not in DisciplineForm.values:
        errors["form"] = "Hình thức kỷ luật không hợp lệ."
    elif form == DisciplineForm.DISMISSAL and member.position == "member" and not member.is_full_time_official:
        errors["form"] = "Cách chức chỉ áp dụng với đoàn viên giữ chức vụ trong Đoàn."
    if not vn.nfc(reason):
        errors["reason"] = "Cần ghi lý do kỷ luật."
    data = {"form": form, "reason": vn.nfc(reason)}
    if form == DisciplineForm.SUSPENSION:
        n = _as_int(months, "months", "Số tháng đình chỉ") if months not in (None, "") else 0
        if not 1 <= n <= rules.suspension_max_months:
            errors["months"] = f"Đình chỉ sinh hoạt từ 1 đến {rules.suspension_max_months} tháng."
        data["months"] = n
    if member.status != "active":
        errors["member"] = f"{member.full_name} không ở trạng thái đang sinh hoạt."
    if errors:
        raise ValidationError(errors)
    label = dict(DisciplineForm.choices)[form]
    case = Case.objects.create(
        kind=CaseKind.DISCIPLINE, state="proposed", origin_unit=actor.unit, deciding_unit=actor.unit, opened_by=actor,
        title=f"Kỷ luật ({label}): {member.full_name}", data=data,
    )  # fmt: skip
    try:
        with transaction.atomic():
            CaseSubject.objects.create(case=case, member=member, kind=case.kind)
    except IntegrityError as exc:
        raise ValidationError({"member": f"{member.full_name} đang có một hồ sơ kỷ luật chưa xong."}) from exc
    CaseStep.objects.create(
        case=case, action="open", to_state=case.state, actor=actor, actor_unit=actor.unit, note=data["reason"]
    )
    return case


def _discipline_ballot(*, case: Case, data: dict, actor: Any, transition: Transition):
    present = _as_int(data["present"], "present", "Số có mặt")
    yes = _as_int(data["for"], "for", "Số phiếu đồng ý")
    no = _as_int(data.get("against") or 0, "against", "Số phiếu không đồng ý")
    if present == 0 or yes + no > present:
        raise ValidationError({"for": f"Số phiếu ({yes + no}) không hợp lệ so với số có mặt ({present})."})
    step = {"present": present, "for": yes, "against": no}
    if yes * 2 <= present:
        return "not_passed", None, f"{yes}/{present} phiếu đồng ý — không đủ quá nửa", step
    return transition.target, case.deciding_unit, f"{yes}/{present} phiếu đồng ý", step


def _discipline_decide(*, case: Case, data: dict, actor: Any, transition: Transition):
    from .models import Distinction

    on = _as_date(data["decision_on"], "decision_on", "Ngày quyết định")
    if on > _today():
        raise ValidationError({"decision_on": "Ngày quyết định không được sau ngày hôm nay."})
    member = _members_of(case)[0]
    form = case.data["form"]
    ends = _months_before(on, -case.data["months"]) if form == "suspension" else None
    Distinction.objects.create(
        member=member, kind="discipline", form=form, decision_number=vn.nfc(data["decision_number"]), decided_on=on,
        issuing_unit=case.deciding_unit, reason=case.data["reason"], ends_on=ends, case=case, recorded_by=actor,
    )  # fmt: skip
    if form == "expulsion":
        member_record_status(actor=actor, member=member, status="expelled", effective_on=on, reason=case.data["reason"],
                             decision_number=vn.nfc(data["decision_number"]))  # fmt: skip
    if form == "dismissal":
        Member.objects.filter(pk=member.pk).update(position="member", is_full_time_official=False)
        audit.record(
            actor=actor, obj=member, action="update", changes={"position": [member.get_position_display(), "Đoàn viên"]}
        )
    return (
        transition.target,
        None,
        f"Quyết định {data['decision_number']} ngày {on:%d/%m/%Y}",
        {"decision_on": on.isoformat()},
    )


RECOGNISING_KINDS = {UnitKind.PROVINCE, UnitKind.CENTRAL_DIRECT, UnitKind.CENTRAL}


@transaction.atomic
def honorary_nominate(*, actor: Any, unit: Unit, data: dict[str, Any]) -> Case:
    """Any unit nominates; a provincial-level unit or above recognises (rule unconfirmed (?))."""
    require(actor, "member.manage", unit)
    errors = {}
    name = vn.nfc(data.get("full_name"))
    if not name:
        errors["full_name"] = "Cần họ và tên người được đề nghị."
    if not vn.nfc(data.get("contribution")):
        errors["contribution"] = "Cần ghi những đóng góp của người được đề nghị."
    citizen_id = vn.clean_citizen_id(data.get("citizen_id"))
    if citizen_id and vn.check_citizen_id(citizen_id).errors:
        errors["citizen_id"] = "Số CCCD phải gồm đúng 12 chữ số."
    if errors:
        raise ValidationError(errors)
    born = _as_date(data["date_of_birth"], "date_of_birth", "Ngày sinh") if data.get("date_of_birth") else None
    member = Member.objects.restrict(actor, "view").filter(citizen_id=citizen_id).first() if citizen_id else None
    ids = unit.ancestor_ids()
    recogniser = next(
        u for u in sorted(Unit.objects.filter(pk__in=ids), key=lambda u: -u.depth) if u.kind in RECOGNISING_KINDS
    )
    case = Case.objects.create(
        kind=CaseKind.HONORARY, state="nominated", origin_unit=unit, deciding_unit=recogniser, opened_by=actor,
        title=f"Đề nghị công nhận đoàn viên danh dự: {name}",
        data={"full_name": name, "date_of_birth": born.isoformat() if born else "", "citizen_id": citizen_id,
              "contribution": vn.nfc(data["contribution"]), "member": member.pk if member else None},
    )  # fmt: skip
    if member:
        CaseSubject.objects.create(case=case, member=member, kind=case.kind)
    CaseStep.objects.create(case=case, action="open", to_state=case.state, actor=actor, actor_unit=actor.unit)
    _notify(case, case.title)
    return case


def _honorary_recognise(*, case: Case, data: dict, actor: Any, transition: Transition):
    from .models import Honorary

    on = _as_date(data["decision_on"], "decision_on", "Ngày quyết định")
    if on > _today():
        raise ValidationError({"decision_on": "Ngày quyết định không được sau ngày hôm nay."})
    d = case.data
    Honorary.objects.create(
        full_name=d["full_name"], date_of_birth=date.fromisoformat(d["date_of_birth"]) if d.get("date_of_birth") else None,
        citizen_id=d.get("citizen_id") or "", contribution=d["contribution"], member_id=d.get("member"),
        nominating_unit=case.origin_unit, recognising_unit=case.deciding_unit, decision_number=vn.nfc(data["decision_number"]),
        decided_on=on, case=case,
    )  # fmt: skip
    if d.get("member"):
        Member.objects.filter(pk=d["member"]).update(is_honorary=True)
    return (
        transition.target,
        None,
        f"Công nhận theo quyết định {data['decision_number']}",
        {"decision_on": on.isoformat()},
    )


HOOKS.update(
    {
        (CaseKind.DISCIPLINE, "ballot"): _discipline_ballot,
        (CaseKind.DISCIPLINE, "decide"): _discipline_decide,
        (CaseKind.HONORARY, "recognise"): _honorary_recognise,
    }
)


# ---------------------------------------------------------------- residence / temporary activity


@transaction.atomic
def attachment_open(
    *, actor: Any, kind: str, member: Member, host: Unit, starts_on: Any, ends_on: Any, note: str = ""
) -> Case:
    """The home unit keeps the file and the grade; the host unit sees the member only for the period."""
    if kind not in (CaseKind.RESIDENCE, CaseKind.TEMPORARY):
        raise ValidationError({"kind": "Nghiệp vụ không hợp lệ."})
    member = Member.objects.select_related("unit").get(pk=member.pk)
    require(actor, "member.manage", member.unit)
    host = Unit.objects.get(pk=host.pk)
    starts = _as_date(starts_on, "starts_on", "Từ ngày")
    ends = _as_date(ends_on, "ends_on", "Đến ngày")
    errors = {}
    if member.status != "active":
        errors["member"] = f"{member.full_name} không ở trạng thái đang sinh hoạt."
    if not host.is_open or host.kind not in (UnitKind.GRASSROOTS, UnitKind.GRASSROOTS_BRANCH):
        errors["host"] = "Đơn vị tiếp nhận phải là một Đoàn cơ sở hoặc Chi đoàn cơ sở đang hoạt động."
    elif member.unit.path.startswith(host.path):
        errors["host"] = "Đơn vị tiếp nhận phải khác đơn vị nhà của đoàn viên."
    if ends <= starts:
        errors["ends_on"] = "Ngày kết thúc phải sau ngày bắt đầu."
    elif kind == CaseKind.TEMPORARY and ends > _months_before(starts, -rules_on(starts).temporary_activity_max_months):
        errors["ends_on"] = f"Sinh hoạt tạm thời mỗi lần tối đa {rules_on(starts).temporary_activity_max_months} tháng."
    if errors:
        raise ValidationError(errors)
    spec = spec_for(kind)
    case = Case.objects.create(
        kind=kind, state="requested", origin_unit=grassroots_of(member.unit), deciding_unit=host, opened_by=actor,
        title=f"{spec.label}: {member.full_name} tại {host.name}", access_until=ends,
        data={"starts_on": starts.isoformat(), "ends_on": ends.isoformat(), "host": host.pk},
    )  # fmt: skip
    try:
        with transaction.atomic():
            CaseSubject.objects.create(case=case, member=member, kind=kind)
    except IntegrityError as exc:
        raise ValidationError({"member": f"{member.full_name} đang có hồ sơ “{spec.label}” chưa kết thúc."}) from exc
    CaseStep.objects.create(
        case=case, action="open", to_state=case.state, actor=actor, actor_unit=actor.unit, note=vn.nfc(note)
    )
    _notify(case, case.title)
    return case


def _attachment_remarks(*, case: Case, data: dict, actor: Any, transition: Transition):
    remarks = vn.nfc(data["remarks"])
    Notification.objects.create(
        unit=case.origin_unit, case=case, message=f"Nhận xét từ {case.deciding_unit.name}: {remarks}"[:300]
    )
    return transition.target, case.deciding_unit, "", {"remarks": remarks}


HOOKS.update(
    {
        (CaseKind.RESIDENCE, "remarks"): _attachment_remarks,
        (CaseKind.TEMPORARY, "remarks"): _attachment_remarks,
    }
)


@transaction.atomic
def activity_record(*, actor: Any, unit: Unit, month: date, rows: dict[int, tuple[bool, bool]]) -> int:
    """Record one month of a branch: who took part, who paid dues. Dues go to the dues ledger (a
    tick records a payment at the member's rate, an untick reverses it with a correcting entry);
    `ActivityMonth.dues_paid` only mirrors the ledger."""
    from doanso.dues.services import dues_mark_month

    from .models import ActivityMonth

    require(actor, "member.manage", unit)
    month = month.replace(day=1)
    if month > _today():
        raise ValidationError({"month": "Không ghi nhận cho tháng chưa đến."})
    members = {m.pk: m for m in Member.objects.filter(unit=unit, pk__in=list(rows))}
    if set(rows) - set(members):
        raise ValidationError({"members": "Có đoàn viên không thuộc chi đoàn này."})
    paid = {pk for pk, (_attended, p) in rows.items() if p}
    dues_mark_month(actor=actor, unit=unit, month=month, paid=paid, unpaid=set(rows) - paid)
    for pk, (attended, _paid) in rows.items():
        ActivityMonth.objects.update_or_create(
            member_id=pk, month=month, defaults={"attended": attended, "dues_paid": pk in paid, "recorded_by": actor}
        )
    audit.record(actor=actor, obj=unit, action="update", summary=f"Ghi nhận sinh hoạt, đoàn phí tháng {month:%m/%Y}")
    return len(rows)


@transaction.atomic
def transfers_expire(*, today: date | None = None) -> int:
    """Daily job: transfers released and not accepted within the rule-set period go back to the sender."""
    today = today or _today()
    expired = 0
    for case in Case.objects.select_for_update(skip_locked=True).filter(
        kind=CaseKind.TRANSFER, state="released", is_open=True
    ):
        released = date.fromisoformat(case.data.get("released_on", today.isoformat()))
        if (today - released).days < rules_on(released).transfer_expiry_days:
            continue
        member = _subject_member(case)
        member_record_status(
            actor=case.opened_by, member=member, status="active", effective_on=min(today, _today()),
            reason="Hồ sơ chuyển sinh hoạt quá hạn không được tiếp nhận",
        )  # fmt: skip
        receiver = case.deciding_unit
        case.state, case.is_open, case.deciding_unit, case.decided_at = "expired", False, None, timezone.now()
        case.outcome = f"Quá hạn, {receiver.name} chưa tiếp nhận"
        case.save()
        CaseSubject.objects.filter(case=case).update(is_open=False)
        CaseStep.objects.create(
            case=case, action="expire", from_state="released", to_state="expired", actor=case.opened_by,
            actor_unit=case.origin_unit, note=case.outcome,
        )  # fmt: skip
        Notification.objects.create(
            unit=case.origin_unit, case=case, message=f"{case.title}: quá hạn, đã trả về đơn vị"
        )
        expired += 1
    return expired


def inbox_count(*, actor: Any) -> int:
    if not getattr(actor, "unit_id", None):
        return 0
    return Case.objects.filter(is_open=True, deciding_unit__path__startswith=actor.unit.path).count()

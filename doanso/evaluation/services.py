"""Writes of the evaluation: open a round, self-assess, propose a branch's grades in bulk, approve
(one branch or all) and lock, correct one approved grade. Every write keeps the GradeStat rollup
exact in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from doanso.core import audit, vn
from doanso.core.rules import rules_on
from doanso.core.scope import ScopeError, is_official, require
from doanso.members.choices import CURRENT_STATUSES
from doanso.members.models import Member
from doanso.organisations.models import Unit

from . import selectors
from .choices import GRADE_SHORT, GRADES, Grade, RoundState, SheetState, Stage
from .models import Evaluation, EvaluationRound, EvaluationSheet, GradeCorrection, GradeStat

SELF_TEXT_MAX = 2000
GRADE_ERROR = "Xếp loại “{}” không hợp lệ: chỉ nhận HTXS, HTT, HT hoặc KHT."


def _clean_grade(value: Any) -> str:
    """Accept the code name (excellent…) or the usual abbreviation (HTXS…)."""
    text = str(value or "").strip()
    by_short = {v.lower(): k for k, v in GRADE_SHORT.items()}
    return by_short.get(text.lower(), text)


def _locked_message(rnd: EvaluationRound) -> str:
    who = f" bởi {rnd.locked_by.full_name or rnd.locked_by.username}" if rnd.locked_by_id else ""
    when = f" lúc {timezone.localtime(rnd.locked_at):%H:%M %d/%m/%Y}" if rnd.locked_at else ""
    return (
        f"Đợt đánh giá năm {rnd.year} của {rnd.unit.name} đã được phê duyệt và khóa{when}{who}; "
        "không thể thay đổi. Muốn sửa xếp loại của một đoàn viên, hãy dùng “Đính chính”."
    )


# ---------------------------------------------------------------- rollup


def _stat_add(branch_id: int, year: int, stage: str, grade: str, delta: int) -> None:
    if not delta:
        return
    keys = {"branch_id": branch_id, "year": year, "stage": stage, "grade": grade}
    if GradeStat.objects.filter(**keys).update(count=F("count") + delta):
        return
    try:
        with transaction.atomic():
            GradeStat.objects.create(**keys, count=delta)
    except IntegrityError:
        GradeStat.objects.filter(**keys).update(count=F("count") + delta)


class _Deltas:
    """Collects rollup changes of one service call and writes each key once."""

    def __init__(self) -> None:
        self.deltas: dict[tuple[int, int, str, str], int] = defaultdict(int)

    def move(self, year: int, before: tuple[int, tuple[str, str] | None], after: tuple[int, tuple[str, str] | None]):
        (b_branch, b_key), (a_branch, a_key) = before, after
        if (b_branch, b_key) == (a_branch, a_key):
            return
        if b_key:
            self.deltas[(b_branch, year, *b_key)] -= 1
        if a_key:
            self.deltas[(a_branch, year, *a_key)] += 1

    def add(self, branch_id: int, year: int, stage: str, grade: str, n: int) -> None:
        self.deltas[(branch_id, year, stage, grade)] += n

    def apply(self) -> None:
        for (branch_id, year, stage, grade), delta in sorted(self.deltas.items()):
            _stat_add(branch_id, year, stage, grade, delta)


def stats_recount(*, year: int | None = None, unit: Unit | None = None) -> int:
    """Rebuild the rollup from the grade rows, for a year and/or a subtree (repairs, seeds, checks)."""
    rows = Evaluation.objects.all()
    stats = GradeStat.objects.all()
    if year is not None:
        rows, stats = rows.filter(year=year), stats.filter(year=year)
    if unit is not None and unit.depth > 0:
        rows = rows.filter(unit_path__startswith=unit.path)
        stats = stats.filter(branch__path__startswith=unit.path)
    with transaction.atomic():
        stats.delete()
        fresh = [
            GradeStat(branch_id=r["branch_id"], year=r["year"], stage=stage, grade=r[column], count=r["n"])
            for stage, column in ((Stage.APPROVED, "grade"), (Stage.PROPOSED, "proposed_grade"))
            for r in rows.filter(stage=stage)
            .exclude(**{column: ""})
            .values("branch_id", "year", column)
            .annotate(n=Count("id"))
            .order_by()
        ]
        GradeStat.objects.bulk_create(fresh, batch_size=5000)
    return len(fresh)


# ---------------------------------------------------------------- rounds


@transaction.atomic
def round_open(*, actor: Any, unit: Unit, year: int) -> EvaluationRound:
    """A grassroots unit opens its round for a year over its branches (one per unit and year)."""
    require(actor, "member.manage", unit)
    errors = {}
    if unit.kind not in selectors.GRASSROOTS_KINDS:
        errors["unit"] = "Đơn vị: chỉ Đoàn cơ sở hoặc Chi đoàn cơ sở mở đợt đánh giá, xếp loại đoàn viên."
    elif not unit.is_open:
        errors["unit"] = f"Đơn vị: “{unit.name}” đã giải thể."
    today = timezone.localdate()
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationError({"year": "Năm đánh giá: phải là một năm (ví dụ 2025)."}) from None
    back = rules_on(today).evaluation_open_years_back
    if not today.year - back <= year <= today.year:
        errors["year"] = f"Năm đánh giá: chỉ mở cho năm {today.year - back}–{today.year}."
    if not errors and EvaluationRound.objects.filter(unit=unit, year=year).exists():
        errors["year"] = f"Năm đánh giá: {unit.name} đã có đợt đánh giá năm {year}."
    if errors:
        raise ValidationError(errors)
    rules = selectors.round_rules(year)
    try:
        with transaction.atomic():
            rnd = EvaluationRound.objects.create(unit=unit, year=year, opened_by=actor, rule_set_id=rules.rule_set_id)
    except IntegrityError as exc:
        raise ValidationError({"year": f"Năm đánh giá: {unit.name} đã có đợt đánh giá năm {year}."}) from exc
    EvaluationSheet.objects.bulk_create(
        [EvaluationSheet(round=rnd, branch=b) for b in selectors.round_branches(rnd)], batch_size=2000
    )
    audit.record(actor=actor, obj=rnd, action="create", summary=f"Mở đợt đánh giá, xếp loại đoàn viên năm {year}")
    return rnd


def _lock_round(rnd: EvaluationRound) -> EvaluationRound:
    # no joins in the locking query: after waiting for the lock, PostgreSQL re-reads the row itself
    # but not joined rows, so the related objects are fetched afterwards
    return EvaluationRound.objects.select_for_update().get(pk=rnd.pk)


def _sheets_for(rnd: EvaluationRound, branches: list[Unit]) -> dict[int, EvaluationSheet]:
    """The sheets of these branches, created when missing (a branch founded after opening), locked."""
    ids = [b.pk for b in branches]
    existing = set()
    for chunk in selectors._chunks(ids):
        existing.update(
            EvaluationSheet.objects.filter(round=rnd, branch_id__in=chunk).values_list("branch_id", flat=True)
        )
    EvaluationSheet.objects.bulk_create(
        [EvaluationSheet(round=rnd, branch_id=i) for i in ids if i not in existing], ignore_conflicts=True
    )
    sheets: dict[int, EvaluationSheet] = {}
    for chunk in selectors._chunks(ids):
        sheets.update(
            (s.branch_id, s)
            for s in EvaluationSheet.objects.select_for_update().filter(round=rnd, branch_id__in=chunk).order_by("pk")
        )
    return sheets


# ---------------------------------------------------------------- self-assessment (member, on a phone)


@transaction.atomic
def self_assess(*, actor: Any, grade: str, text: str) -> Evaluation:
    """The member proposes their own grade with a short text, in the open round of their branch."""
    if is_official(actor) or not getattr(actor, "member_id", None):
        raise ScopeError("Chỉ đoàn viên tự đánh giá bằng tài khoản sổ đoàn viên của mình.")
    member = Member.objects.select_related("unit").get(pk=actor.member_id)
    errors = {}
    grade = _clean_grade(grade)
    if grade not in GRADES:
        errors["grade"] = GRADE_ERROR.format(grade)
    text = vn.nfc(str(text or "")).strip()
    if not text:
        errors["text"] = "Tự đánh giá: hãy viết vài dòng về việc thực hiện nhiệm vụ trong năm."
    elif len(text) > SELF_TEXT_MAX:
        errors["text"] = f"Tự đánh giá: tối đa {SELF_TEXT_MAX} ký tự (hiện có {len(text)})."
    if member.status not in CURRENT_STATUSES:
        errors["__all__"] = "Bạn không còn sinh hoạt Đoàn nên không tự đánh giá được."
    rnd = selectors.open_round_for_member(member=member)
    if rnd is None:
        errors["__all__"] = "Chưa có đợt đánh giá, xếp loại nào đang mở cho chi đoàn của bạn."
    if errors:
        raise ValidationError(errors)
    rnd = _lock_round(rnd)
    if rnd.is_locked:
        raise ValidationError({"__all__": _locked_message(rnd)})
    sheet = EvaluationSheet.objects.filter(round=rnd, branch=member.unit).first()
    if sheet and sheet.state == SheetState.APPROVED:
        raise ValidationError({"__all__": "Chi đoàn của bạn đã được phê duyệt xếp loại; không tự đánh giá lại được."})
    ev = Evaluation.objects.select_for_update().filter(member=member, year=rnd.year).first()
    if ev is not None and ev.stage == Stage.APPROVED:
        raise ValidationError({"__all__": "Xếp loại năm nay của bạn đã được phê duyệt."})
    before = audit.snapshot(ev, ["self_grade", "self_text"]) if ev else {}
    if ev is None:
        ev = Evaluation(
            round=rnd, member=member, year=rnd.year, branch=member.unit, unit_path=member.unit.path,
            stage=Stage.SELF_ASSESSED,
        )  # fmt: skip
    ev.self_grade, ev.self_text, ev.self_at = grade, text, timezone.now()
    ev.version += 1 if ev.pk else 0
    ev.save()
    after = audit.snapshot(ev, ["self_grade", "self_text"])
    audit.record(
        actor=actor, obj=ev, action="self_assess", changes=audit.diff(before, after),
        summary=f"Tự đánh giá năm {rnd.year}: {GRADE_SHORT[grade]}",
    )  # fmt: skip
    return ev


# ---------------------------------------------------------------- the branch proposes (bulk)


@dataclass
class SubmitResult:
    saved: int
    unchanged: int
    warning: str
    counts: dict[str, int]


@transaction.atomic
def sheet_submit(
    *, actor: Any, rnd: EvaluationRound, branch: Unit, rows: list[dict[str, Any]], version: int | None = None
) -> SubmitResult:
    """The branch committee proposes a grade per member for its whole list, all or nothing.

    `rows`: [{"member": id, "grade": "excellent"|…|"" (leave as is), "justification": "…"}].
    Errors are per row (key "member_<id>"); with any error nothing is saved. A proposal of HTXS
    that fails a rule-set condition needs a written justification. Above the HTXS cap: a warning.
    """
    require(actor, "member.manage", branch)
    rnd = _lock_round(rnd)
    if rnd.is_locked:
        raise ValidationError({"__all__": _locked_message(rnd)})
    if not selectors.round_branches(rnd).filter(pk=branch.pk).exists():
        raise ValidationError({"__all__": f"{branch.name} không thuộc đợt đánh giá của {rnd.unit.name}."})
    sheet = _sheets_for(rnd, [branch])[branch.pk]
    if sheet.state == SheetState.APPROVED:
        raise ValidationError(
            {"__all__": f"Danh sách của {branch.name} đã được phê duyệt; muốn sửa, hãy đề nghị đính chính."}
        )
    if version is not None and int(version) != sheet.version:
        raise ValidationError(
            {"__all__": "Danh sách vừa được người khác cập nhật; hãy tải lại trang để xem đề xuất mới nhất."}
        )
    rules = selectors.round_rules(rnd.year)
    members = {m.pk: m for m in Member.objects.filter(unit=branch, status__in=CURRENT_STATUSES)}
    errors: dict[str, str] = {}
    wanted: dict[int, tuple[str, str]] = {}
    for i, row in enumerate(rows):
        try:
            mid = int(row.get("member"))
        except (TypeError, ValueError):
            errors[f"row_{i + 1}"] = f"Dòng {i + 1}: thiếu hoặc sai mã đoàn viên."
            continue
        key = f"member_{mid}"
        grade = _clean_grade(row.get("grade"))
        if mid not in members:
            errors[key] = f"Đoàn viên #{mid} không thuộc danh sách của {branch.name} trong đợt đánh giá này."
        elif mid in wanted:
            errors[key] = f"{members[mid].full_name}: có hai dòng cho cùng một đoàn viên."
        elif grade and grade not in GRADES:
            errors[key] = f"{members[mid].full_name}: " + GRADE_ERROR.format(grade)
        elif grade:
            wanted[mid] = (grade, vn.nfc(str(row.get("justification") or "")).strip())
    existing = {
        e.member_id: e
        for chunk in selectors._chunks(list(wanted))
        for e in Evaluation.objects.select_for_update().filter(year=rnd.year, member_id__in=chunk)
    }
    inputs = selectors.member_inputs(
        year=rnd.year, member_ids=[m for m, (g, _) in wanted.items() if g == Grade.EXCELLENT]
    )
    unmet_of: dict[int, list[str]] = {}
    for mid, (grade, justification) in wanted.items():
        ev, name = existing.get(mid), members[mid].full_name
        if ev is not None and ev.stage == Stage.APPROVED:
            if ev.grade != grade:
                errors[f"member_{mid}"] = f"{name}: xếp loại năm {rnd.year} đã được phê duyệt; chỉ sửa bằng đính chính."
            continue
        unmet = selectors.htxs_unmet_conditions(inputs[mid], rules) if grade == Grade.EXCELLENT else []
        unmet_of[mid] = unmet
        if unmet and len(justification) < rules.grade_justification_min_chars:
            errors[f"member_{mid}"] = (
                f"{name}: đề xuất HTXS chưa đạt điều kiện — {' '.join(unmet)} Cần ghi giải trình "
                f"(ít nhất {rules.grade_justification_min_chars} ký tự)."
            )
    if errors:
        raise ValidationError(errors)
    now, deltas, saved, unchanged = timezone.now(), _Deltas(), 0, 0
    for mid, (grade, justification) in wanted.items():
        ev = existing.get(mid)
        if ev is not None and ev.stage == Stage.APPROVED:
            unchanged += 1
            continue
        if (
            ev is not None
            and ev.stage == Stage.PROPOSED
            and (ev.round_id, ev.branch_id, ev.proposed_grade, ev.justification)
            == (rnd.pk, branch.pk, grade, justification)
        ):
            unchanged += 1
            continue
        if ev is None:
            ev = Evaluation(member=members[mid], year=rnd.year, stage=Stage.SELF_ASSESSED)
            before_key, before_branch, old = None, branch.pk, {}
        else:
            before_key, before_branch = ev.counted(), ev.branch_id
            old = audit.snapshot(ev, ["proposed_grade", "justification", "branch"])
        ev.round, ev.branch, ev.unit_path = rnd, branch, branch.path
        ev.stage, ev.proposed_grade, ev.justification = Stage.PROPOSED, grade, justification
        ev.unmet_conditions = unmet_of.get(mid, [])
        ev.proposed_by, ev.proposed_at = actor, now
        ev.version += 1 if ev.pk else 0
        ev.save()
        deltas.move(rnd.year, (before_branch, before_key), (branch.pk, ev.counted()))
        audit.record(
            actor=actor, obj=ev, action="propose",
            changes=audit.diff(old, audit.snapshot(ev, ["proposed_grade", "justification", "branch"])),
            summary=f"Chi đoàn đề xuất xếp loại năm {rnd.year}: {GRADE_SHORT[grade]}",
        )  # fmt: skip
        saved += 1
    deltas.apply()
    sheet.version += 1
    sheet.save(update_fields=["version"])
    rnd.version += 1
    rnd.save(update_fields=["version"])
    counts = selectors.empty_counts()
    for grade in Evaluation.objects.filter(round=rnd, branch=branch, stage=Stage.PROPOSED).values_list(
        "proposed_grade", flat=True
    ):
        counts[grade] += 1
    return SubmitResult(saved=saved, unchanged=unchanged, warning=selectors.cap_warning(counts, rules), counts=counts)


# ---------------------------------------------------------------- the grassroots unit approves and locks


@dataclass
class ApproveResult:
    approved: int
    branches: list[Unit]
    locked: bool
    warning: str


@transaction.atomic
def round_approve(
    *, actor: Any, rnd: EvaluationRound, branch: Unit | None = None, version: int | None = None
) -> ApproveResult:
    """Approve one branch's proposals, or all branches at once (then the round is locked).

    Refused, with nothing changed, while any current member of those branches has no proposal.
    Two officials approving at once: the round row is locked, the second sees it already done.
    """
    require(actor, "member.manage", rnd.unit)
    rnd = _lock_round(rnd)
    if rnd.is_locked:
        raise ValidationError({"__all__": _locked_message(rnd)})
    if version is not None and int(version) != rnd.version:
        raise ValidationError(
            {"__all__": "Đợt đánh giá vừa được người khác cập nhật (đề xuất hoặc phê duyệt); hãy tải lại trang."}
        )
    covered = selectors.round_branches(rnd)
    if branch is not None:
        if not covered.filter(pk=branch.pk).exists():
            raise ValidationError({"branch": f"{branch.name} không thuộc đợt đánh giá của {rnd.unit.name}."})
        branches = [branch]
    else:
        branches = list(covered.order_by("path"))
    sheets = _sheets_for(rnd, branches)
    pending = [b for b in branches if sheets[b.pk].state != SheetState.APPROVED]
    if branch is not None and not pending:
        raise ValidationError({"branch": f"{branch.name} đã được phê duyệt."})
    pending_ids = [b.pk for b in pending]
    graded = Evaluation.objects.filter(year=rnd.year).filter(
        Q(stage=Stage.APPROVED) | Q(stage=Stage.PROPOSED, round=rnd)
    )  # fmt: skip
    missing: dict[int, int] = {}
    for chunk in selectors._chunks(pending_ids):
        missing.update(
            Member.objects.filter(unit_id__in=chunk, status__in=CURRENT_STATUSES)
            .exclude(pk__in=graded.values("member_id"))
            .values_list("unit_id")
            .annotate(n=Count("id"))
            .order_by()
        )
    if any(missing.values()):
        names = {b.pk: b.name for b in pending}
        total = sum(missing.values())
        detail = "; ".join(f"{names[uid]}: {n}" for uid, n in sorted(missing.items(), key=lambda x: names[x[0]])[:10])
        more = "…" if len(missing) > 10 else ""
        raise ValidationError(
            {
                "__all__": f"Chưa thể phê duyệt: còn {total} đoàn viên chưa được chi đoàn đề xuất xếp loại ({detail}{more})."
            }
        )
    now, deltas, approved = timezone.now(), _Deltas(), 0
    for chunk in selectors._chunks(pending_ids):
        rows = Evaluation.objects.filter(
            round=rnd, stage=Stage.PROPOSED, member__unit_id__in=chunk, member__status__in=CURRENT_STATUSES
        )
        # graded by the unit holding the member at approval: follow a move inside the round
        for ev in rows.exclude(branch_id=F("member__unit_id")).select_related("member__unit"):
            deltas.move(rnd.year, (ev.branch_id, ev.counted()), (ev.member.unit_id, ev.counted()))
            Evaluation.objects.filter(pk=ev.pk).update(branch_id=ev.member.unit_id, unit_path=ev.member.unit.path)
        for bid, grade, n in rows.values_list("branch_id", "proposed_grade").annotate(n=Count("id")).order_by():
            deltas.add(bid, rnd.year, Stage.PROPOSED, grade, -n)
            deltas.add(bid, rnd.year, Stage.APPROVED, grade, n)
        approved += rows.update(
            stage=Stage.APPROVED,
            grade=F("proposed_grade"),
            approved_by=actor,
            approved_at=now,
            version=F("version") + 1,
        )
    deltas.apply()
    for chunk in selectors._chunks(pending_ids):
        EvaluationSheet.objects.filter(round=rnd, branch_id__in=chunk).update(
            state=SheetState.APPROVED, approved_by=actor, approved_at=now, version=F("version") + 1
        )
    locked = branch is None or not EvaluationSheet.objects.filter(round=rnd).exclude(state=SheetState.APPROVED).exists()
    if locked:
        rnd.state, rnd.locked_by, rnd.locked_at = RoundState.LOCKED, actor, now
    rnd.version += 1
    rnd.save()
    audit.record(
        actor=actor, obj=rnd, action="approve" if not locked else "lock",
        changes={"branches": [b.name for b in pending][:50], "approved": approved},
        summary=(f"Phê duyệt {approved} xếp loại của {len(pending)} chi đoàn" + (" và khóa đợt" if locked else "")),
    )  # fmt: skip
    counts = selectors.empty_counts()
    for grade, n in (
        Evaluation.objects.filter(round=rnd, stage=Stage.APPROVED)
        .values_list("grade")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[grade] = n
    warning = selectors.cap_warning(counts, selectors.round_rules(rnd.year))
    return ApproveResult(approved=approved, branches=pending, locked=locked, warning=warning)


# ---------------------------------------------------------------- correction after approval


@transaction.atomic
def grade_correct(
    *, actor: Any, evaluation: Evaluation, grade: str, reason: str, justification: str = "", version: int | None = None
) -> Evaluation:
    """Reopen one member's approved grade: new grade, with a reason; the old grade stays in history."""
    ev = (
        Evaluation.objects.select_for_update(of=("self",)).select_related("round__unit", "member").get(pk=evaluation.pk)
    )
    require(actor, "member.manage", ev.round.unit)
    rules = selectors.round_rules(ev.year)
    errors = {}
    if ev.stage != Stage.APPROVED:
        raise ValidationError({"__all__": "Chỉ đính chính được xếp loại đã phê duyệt; trước đó chi đoàn sửa đề xuất."})
    if version is not None and int(version) != ev.version:
        raise ValidationError({"__all__": "Xếp loại này vừa được người khác đính chính; hãy tải lại trang."})
    grade = _clean_grade(grade)
    reason = vn.nfc(str(reason or "")).strip()
    justification = vn.nfc(str(justification or "")).strip()
    if grade not in GRADES:
        errors["grade"] = GRADE_ERROR.format(grade)
    elif grade == ev.grade:
        errors["grade"] = f"Xếp loại mới trùng xếp loại hiện tại ({GRADE_SHORT[grade]})."
    if len(reason) < rules.grade_justification_min_chars:
        errors["reason"] = f"Lý do đính chính: cần ghi rõ (ít nhất {rules.grade_justification_min_chars} ký tự)."
    unmet = []
    if grade == Grade.EXCELLENT:
        unmet = selectors.htxs_unmet_conditions(
            selectors.member_inputs(year=ev.year, member_ids=[ev.member_id])[ev.member_id], rules
        )
        if unmet and len(justification) < rules.grade_justification_min_chars:
            errors["justification"] = f"HTXS chưa đạt điều kiện — {' '.join(unmet)} Cần ghi giải trình."
    if errors:
        raise ValidationError(errors)
    old = ev.grade
    GradeCorrection.objects.create(
        evaluation=ev, old_grade=old, new_grade=grade, reason=reason, justification=justification, actor=actor
    )
    deltas = _Deltas()
    deltas.move(ev.year, (ev.branch_id, (Stage.APPROVED, old)), (ev.branch_id, (Stage.APPROVED, grade)))
    ev.grade, ev.version = grade, ev.version + 1
    if justification:
        ev.justification = justification
    ev.unmet_conditions = unmet
    ev.save(update_fields=["grade", "version", "justification", "unmet_conditions"])
    deltas.apply()
    audit.record(
        actor=actor, obj=ev, action="correct", changes={"grade": [GRADE_SHORT[old], GRADE_SHORT[grade]]},
        summary=f"Đính chính xếp loại năm {ev.year}: {GRADE_SHORT[old]} → {GRADE_SHORT[grade]}", note=reason,
    )  # fmt: skip
    return ev

"""Reads of the evaluation: rounds, a branch's grading sheet with its inputs, live grade counts.

Every selector starts from the actor's scope. `grade_counts` and `grade_rows` are what the
summary and grade-list exports are built on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import StrIndex, Substr

from doanso.core import vn
from doanso.core.rules import Rules, rules_on
from doanso.core.scope import ScopeError, has_perm, in_scope, is_official, require
from doanso.members.choices import CURRENT_STATUSES
from doanso.members.models import Member
from doanso.organisations.choices import MEMBER_HOLDING_KINDS, UnitKind
from doanso.organisations.models import Unit

from .choices import GRADE_SHORT, GRADES, Grade, SheetState, Stage
from .models import Evaluation, EvaluationRound, EvaluationSheet, GradeCorrection, GradeStat

GRASSROOTS_KINDS = (UnitKind.GRASSROOTS, UnitKind.GRASSROOTS_BRANCH)
CHUNK = 500  # ids per IN (...) list: SQLite's bound-parameter limit


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def round_rules(year: int) -> Rules:
    """The rule set in force at the end of the graded year (or today, while the year runs)."""
    from django.utils import timezone

    return rules_on(min(timezone.localdate(), date(year, 12, 31)))


# ---------------------------------------------------------------- live counts (rollup)


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(GRADES, 0)


def _stages(stage: str) -> list[str]:
    if stage == "all":
        return [Stage.PROPOSED, Stage.APPROVED]
    if stage not in (Stage.PROPOSED, Stage.APPROVED):
        raise ValueError(stage)
    return [stage]


def grade_counts(*, actor: Any, unit: Unit, year: int, stage: str = "approved") -> dict[str, Any]:
    """Live counts per grade for `unit`'s subtree and per child unit, from the rollup.

    `stage`: "approved" (final grades, the default), "proposed" (proposals not yet approved) or
    "all". One aggregate query over the rollup rows joined to their branch by unit path (grouped
    by the child's path prefix, so tree changes need no rebuild), plus one for the children.
    Returns {"total": {grade: n}, "children": [(child_unit, {grade: n}), ...], "own": {grade: n}}
    ("own": members held directly by `unit`, when it is itself a branch).
    """
    require(actor, "member.view", unit)
    width = len(unit.path)
    rest = Substr("branch__path", width + 1)
    child_prefix = Substr("branch__path", 1, Value(width) + StrIndex(rest, Value("/")))
    stats = GradeStat.objects.filter(year=year, stage__in=_stages(stage), count__gt=0)
    if unit.depth > 0:
        stats = stats.filter(branch__path__startswith=unit.path)
    rows = stats.annotate(prefix=child_prefix).values("prefix", "grade").annotate(n=Sum("count")).order_by()
    by_prefix: dict[str, dict[str, int]] = defaultdict(empty_counts)
    total = empty_counts()
    for row in rows:
        by_prefix[row["prefix"]][row["grade"]] += row["n"]
        total[row["grade"]] += row["n"]
    own = by_prefix.pop(unit.path, empty_counts())
    children = list(
        Unit.objects.filter(parent=unit)
        .filter(Q(closed_on__isnull=True) | Q(path__in=list(by_prefix)))
        .order_by("name")
    )
    return {
        "total": total,
        "children": [(child, by_prefix.get(child.path, empty_counts())) for child in children],
        "own": own,
    }


def shares(counts: dict[str, int]) -> dict[str, float]:
    """Percent of the total per grade (one decimal)."""
    total = sum(counts.values())
    return {g: round(100 * counts.get(g, 0) / total, 1) if total else 0.0 for g in GRADES}


def cap_warning(counts: dict[str, int], rules: Rules) -> str:
    """The HTXS share above the rule-set cap (a share of the HTT count): a warning, never a block."""
    excellent, good = counts.get(Grade.EXCELLENT, 0), counts.get(Grade.GOOD, 0)
    cap = rules.htxs_max_share_of_htt_percent
    if excellent and excellent * 100 > cap * good:
        return (
            f"Số đoàn viên HTXS ({excellent}) vượt quá {cap}% số HTT ({good}); "
            f"theo quy định (?) tối đa {good * cap // 100}. Hãy rà soát lại trước khi phê duyệt."
        )
    return ""


@dataclass
class GradeRow:
    member_id: int
    full_name: str
    date_of_birth: date
    sex: str
    citizen_id_masked: str
    branch_id: int
    branch_name: str
    branch_path: str
    year: int
    grade: str
    grade_label: str
    grade_short: str
    stage: str
    proposed_grade: str
    self_grade: str
    justification: str
    approved_at: datetime | None


def grade_rows(
    *, actor: Any, unit: Unit, year: int, stage: str = "approved", chunk_size: int = 2000
) -> Iterator[GradeRow]:
    """The grades of `unit`'s subtree for `year`, in tree then Vietnamese name order, streamed.

    stage "approved" yields final grades; "proposed" the proposals not yet approved (grade = the
    proposal); "all" both. Bounded memory: `.iterator()` over a server-side cursor on PostgreSQL.
    """
    require(actor, "member.view", unit)
    qs = Evaluation.objects.restrict(actor, "view").filter(year=year, stage__in=_stages(stage))
    if unit.depth > 0:
        qs = qs.filter(unit_path__startswith=unit.path)
    labels = dict(Grade.choices)
    columns = (
        "member_id", "member__full_name", "member__date_of_birth", "member__sex", "member__citizen_id", "branch_id",
        "branch__name", "unit_path", "year", "grade", "stage", "proposed_grade", "self_grade", "justification",
        "approved_at",
    )  # fmt: skip
    for r in qs.order_by("unit_path", "member__sort_key", "id").values_list(*columns).iterator(chunk_size=chunk_size):
        (mid, name, dob, sex, cccd, bid, bname, path, yr, grade, st, proposed, self_grade, just, approved_at) = r
        shown = grade if st == Stage.APPROVED else proposed
        yield GradeRow(
            member_id=mid, full_name=name, date_of_birth=dob, sex=sex, citizen_id_masked=vn.mask_citizen_id(cccd),
            branch_id=bid, branch_name=bname, branch_path=path, year=yr, grade=shown,
            grade_label=str(labels.get(shown, "")), grade_short=GRADE_SHORT.get(shown, ""), stage=st,
            proposed_grade=proposed, self_grade=self_grade, justification=just, approved_at=approved_at,
        )  # fmt: skip


# ---------------------------------------------------------------- rounds


def round_list(*, actor: Any, unit: Unit | None = None, year: int | None = None) -> QuerySet[EvaluationRound]:
    qs = EvaluationRound.objects.restrict(actor, "view").select_related("unit")
    if unit is not None:
        qs = qs.filter(Q(unit__path__startswith=unit.path) | Q(unit_id__in=unit.ancestor_ids()))
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("-year", "unit__path")


def round_get(*, actor: Any, pk: int) -> EvaluationRound:
    rnd = EvaluationRound.objects.restrict(actor, "view").select_related("unit").filter(pk=pk).first()
    if rnd is None:
        raise EvaluationRound.DoesNotExist
    return rnd


def round_branches(rnd: EvaluationRound) -> QuerySet[Unit]:
    """The member-holding units a round covers (open ones, and any that already has a sheet)."""
    qs = Unit.objects.filter(kind__in=MEMBER_HOLDING_KINDS)
    if rnd.unit.kind in MEMBER_HOLDING_KINDS:
        return qs.filter(pk=rnd.unit_id)
    sheets = EvaluationSheet.objects.filter(round=rnd).values("branch_id")
    return qs.filter(path__startswith=rnd.unit.path).filter(Q(closed_on__isnull=True) | Q(pk__in=sheets))


@dataclass
class SheetProgress:
    branch: Unit
    members: int
    proposed: int
    approved: int
    state: str
    counts: dict[str, int] = field(default_factory=empty_counts)

    @property
    def missing(self) -> int:
        return max(0, self.members - self.proposed - self.approved)

    @property
    def is_approved(self) -> bool:
        return self.state == SheetState.APPROVED


def round_progress(*, actor: Any, rnd: EvaluationRound) -> list[SheetProgress]:
    """Per branch of the round the actor may see: members, proposed, approved, grades. A few queries."""
    branches = [b for b in round_branches(rnd).order_by("path") if in_scope(actor, b)]
    ids = [b.pk for b in branches]
    members: dict[int, int] = defaultdict(int)
    done: dict[tuple[int, str], int] = defaultdict(int)
    counts: dict[int, dict[str, int]] = defaultdict(empty_counts)
    states: dict[int, str] = {}
    for chunk in _chunks(ids):
        for uid, n in (
            Member.objects.filter(unit_id__in=chunk, status__in=CURRENT_STATUSES)
            .values_list("unit_id")
            .annotate(n=Count("id"))
            .order_by()
        ):
            members[uid] = n
        # a current member of the branch counts as graded if graded this year, whichever round holds it
        for uid, st, n in (
            Evaluation.objects.filter(
                year=rnd.year,
                member__unit_id__in=chunk,
                member__status__in=CURRENT_STATUSES,
                stage__in=[Stage.PROPOSED, Stage.APPROVED],
            )  # fmt: skip
            .values_list("member__unit_id", "stage")
            .annotate(n=Count("id"))
            .order_by()
        ):
            done[(uid, st)] += n
        for bid, grade, n in (
            GradeStat.objects.filter(branch_id__in=chunk, year=rnd.year, count__gt=0)
            .values_list("branch_id", "grade")
            .annotate(n=Sum("count"))
            .order_by()
        ):
            counts[bid][grade] += n
        states.update(EvaluationSheet.objects.filter(round=rnd, branch_id__in=chunk).values_list("branch_id", "state"))
    return [
        SheetProgress(
            branch=b,
            members=members[b.pk],
            proposed=done[(b.pk, Stage.PROPOSED)],
            approved=done[(b.pk, Stage.APPROVED)],
            state=states.get(b.pk, SheetState.OPEN),
            counts=counts[b.pk],
        )  # fmt: skip
        for b in branches
    ]


def open_round_for_member(*, member: Member, year: int | None = None) -> EvaluationRound | None:
    """The open round covering the member's branch (the grassroots unit above it), if any."""
    qs = EvaluationRound.objects.filter(unit_id__in=member.unit.ancestor_ids(), state="open").select_related("unit")
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("-year").first()


# ---------------------------------------------------------------- the inputs that matter


@dataclass
class MemberInputs:
    attended: int = 0
    recorded: int = 0
    programme: str = ""
    residence_remarks: list[dict] = field(default_factory=list)
    transfer_remarks: list[dict] = field(default_factory=list)
    rewards: list[str] = field(default_factory=list)
    disciplines: list[str] = field(default_factory=list)
    last_year_grade: str = ""

    @property
    def attendance_percent(self) -> int | None:
        return round(100 * self.attended / self.recorded) if self.recorded else None


def programme_results(*, year: int, member_ids: list[int]) -> dict[int, str]:
    """The self-improvement programme's result levels (the training app's selector, when present)."""
    try:
        from doanso.training.selectors import programme_results as results
    except ImportError:
        return {}
    return dict(results(year=year, member_ids=member_ids) or {})


def member_inputs(*, year: int, member_ids: Iterable[int]) -> dict[int, MemberInputs]:
    """Attendance share, programme result, residence/temporary remarks, transfer remarks, rewards and
    discipline of the year, and last year's grade. Not scoped: callers pass members the actor may see."""
    from doanso.procedures.choices import CaseKind
    from doanso.procedures.models import ActivityMonth, CaseStep, Distinction

    ids = list(member_ids)
    out = {mid: MemberInputs() for mid in ids}
    for chunk in _chunks(ids):
        for mid, attended in ActivityMonth.objects.filter(member_id__in=chunk, month__year=year).values_list(
            "member_id", "attended"
        ):
            out[mid].recorded += 1
            out[mid].attended += int(attended)
        steps = (
            CaseStep.objects.filter(
                case__subjects__member_id__in=chunk,
                at__year=year,
            )  # fmt: skip
            .filter(
                Q(action="remarks", case__kind__in=[CaseKind.RESIDENCE, CaseKind.TEMPORARY])
                | Q(action="release", case__kind=CaseKind.TRANSFER)
            )
            .values_list("case__subjects__member_id", "action", "data", "actor_unit__name", "at")
            .order_by("at", "id")
        )
        for mid, action, data, unit_name, at in steps:
            remarks = (data or {}).get("remarks")
            if not remarks:
                continue
            bucket = out[mid].residence_remarks if action == "remarks" else out[mid].transfer_remarks
            bucket.append({"unit": unit_name, "remarks": remarks, "at": at})
        for d in Distinction.objects.filter(member_id__in=chunk, decided_on__year=year).order_by("decided_on"):
            text = f"{d.get_form_display()} ({d.decided_on:%d/%m/%Y})"
            (out[d.member_id].rewards if d.kind == "reward" else out[d.member_id].disciplines).append(text)
        for mid, grade in Evaluation.objects.filter(
            member_id__in=chunk, year=year - 1, stage=Stage.APPROVED
        ).values_list("member_id", "grade"):
            out[mid].last_year_grade = grade
    for mid, result in programme_results(year=year, member_ids=ids).items():
        if mid in out:
            out[mid].programme = result
    return out


def htxs_unmet_conditions(inputs: MemberInputs, rules: Rules) -> list[str]:
    """The top grade's conditions from the rule set that this member does not meet (Vietnamese)."""
    unmet = []
    share = inputs.attendance_percent
    minimum = rules.htxs_min_attendance_percent
    if share is None:
        unmet.append(f"Chưa có số liệu sinh hoạt trong năm (cần tham gia ≥ {minimum}%).")
    elif share < minimum:
        unmet.append(f"Tham gia sinh hoạt {share}%, dưới mức {minimum}%.")
    if rules.htxs_requires_excellent_programme and inputs.programme != Grade.EXCELLENT:
        got = GRADE_SHORT.get(inputs.programme, "") if inputs.programme else "chưa có kết quả"
        unmet.append(f"Chương trình rèn luyện chưa đạt “Xuất sắc” ({got}).")
    if rules.htxs_no_discipline_in_year and inputs.disciplines:
        unmet.append(f"Bị kỷ luật trong năm: {', '.join(inputs.disciplines)}.")
    if rules.htxs_requires_residence_remarks and not inputs.residence_remarks:
        unmet.append("Chưa có nhận xét của Đoàn nơi cư trú / nơi sinh hoạt tạm thời.")
    return unmet


# ---------------------------------------------------------------- a branch's grading sheet


@dataclass
class SheetRow:
    member: Member
    evaluation: Evaluation | None
    inputs: MemberInputs
    unmet: list[str]
    default_grade: str
    default_source: str  # proposal | self | last_year | ""
    elsewhere: str = ""  # graded (approved) by another round: its unit's name

    @property
    def locked(self) -> bool:
        return bool(self.evaluation and self.evaluation.stage == Stage.APPROVED)


@dataclass
class Sheet:
    round: EvaluationRound
    branch: Unit
    sheet: EvaluationSheet | None
    rows: list[SheetRow]
    rules: Rules
    counts: dict[str, int]

    @property
    def is_approved(self) -> bool:
        return bool(self.sheet and self.sheet.state == SheetState.APPROVED) or self.round.is_locked

    @property
    def missing(self) -> int:
        return sum(1 for r in self.rows if not r.evaluation or r.evaluation.stage == Stage.SELF_ASSESSED)

    @property
    def warning(self) -> str:
        return cap_warning(self.counts, self.rules)


def sheet_branch_get(*, actor: Any, rnd: EvaluationRound, branch_pk: int) -> Unit:
    """A branch of the round within the actor's subtree (DoesNotExist otherwise: a 404)."""
    branch = round_branches(rnd).filter(pk=branch_pk).first()
    if branch is None or not in_scope(actor, branch) or not has_perm(actor, "member.view"):
        raise Unit.DoesNotExist
    return branch


def sheet_members(*, actor: Any, branch: Unit) -> QuerySet[Member]:
    return (
        Member.objects.restrict(actor, "view")
        .filter(unit=branch, status__in=CURRENT_STATUSES)
        .select_related("unit")
        .order_by("sort_key", "id")
    )


def sheet_get(*, actor: Any, rnd: EvaluationRound, branch: Unit) -> Sheet:
    """The branch's whole list on one screen: inputs, conditions, defaults (proposal, self, last year)."""
    if not in_scope(actor, branch) or not branch.path.startswith(rnd.unit.path):
        raise ScopeError("Chi đoàn này nằm ngoài phạm vi quản lý của tài khoản.")
    rules = round_rules(rnd.year)
    members = list(sheet_members(actor=actor, branch=branch))
    ids = [m.pk for m in members]
    evaluations: dict[int, Evaluation] = {}
    for chunk in _chunks(ids):
        evaluations.update(
            (e.member_id, e)
            for e in Evaluation.objects.filter(year=rnd.year, member_id__in=chunk).select_related("round__unit")
        )
    inputs = member_inputs(year=rnd.year, member_ids=ids)
    rows = []
    counts = empty_counts()
    for m in members:
        ev, inp = evaluations.get(m.pk), inputs[m.pk]
        if ev and ev.stage == Stage.APPROVED:
            default, source = ev.grade, "approved"
        elif ev and ev.proposed_grade:
            default, source = ev.proposed_grade, "proposal"
        elif ev and ev.self_grade:
            default, source = ev.self_grade, "self"
        elif inp.last_year_grade:
            default, source = inp.last_year_grade, "last_year"
        else:
            default, source = "", ""
        if ev and ev.stage != Stage.SELF_ASSESSED:
            counts[default] += 1
        elsewhere = ev.round.unit.name if ev and ev.stage == Stage.APPROVED and ev.round_id != rnd.pk else ""
        rows.append(
            SheetRow(
                member=m,
                evaluation=ev,
                inputs=inp,
                unmet=htxs_unmet_conditions(inp, rules),
                default_grade=default,
                default_source=source,
                elsewhere=elsewhere,
            )  # fmt: skip
        )
    sheet = EvaluationSheet.objects.filter(round=rnd, branch=branch).first()
    return Sheet(round=rnd, branch=branch, sheet=sheet, rows=rows, rules=rules, counts=counts)


# ---------------------------------------------------------------- one member


def evaluation_get(*, actor: Any, pk: int) -> Evaluation:
    ev = (
        Evaluation.objects.restrict(actor, "view")
        .select_related("member", "branch", "round__unit")
        .filter(pk=pk)
        .first()
    )
    if ev is None:
        raise Evaluation.DoesNotExist
    return ev


def member_grades(*, actor: Any, member: Member) -> list[Evaluation]:
    """A member's grades, newest year first (their record page and e-member book)."""
    qs = Evaluation.objects.restrict(actor, "view").filter(member=member)
    return list(qs.select_related("round__unit", "branch").prefetch_related("corrections").order_by("-year"))


def corrections_of(*, evaluation: Evaluation) -> QuerySet[GradeCorrection]:
    return GradeCorrection.objects.filter(evaluation=evaluation).select_related("actor")


def can_grade(actor: Any, branch: Unit) -> bool:
    return is_official(actor) and has_perm(actor, "member.manage") and in_scope(actor, branch)


def can_approve(actor: Any, rnd: EvaluationRound) -> bool:
    return is_official(actor) and has_perm(actor, "member.manage") and in_scope(actor, rnd.unit)

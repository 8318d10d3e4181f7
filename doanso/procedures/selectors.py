"""Reads of the procedures. Every selector starts from the actor's scope (`Case.objects.restrict`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from doanso.core.scope import ScopeError, has_perm
from doanso.organisations.models import Unit

from .choices import CaseKind
from .kinds import PARTY_REFERRAL
from .models import Case, CaseStep, CaseSubject
from .referral import is_stalled, stall_cutoff, with_last_step

REFERRAL = CaseKind.PARTY_REFERRAL
# What the yearly counts count: the step that makes a member count, dated by the event (`data.on`).
COUNTED_STEPS = {"nominated": "open", "introduced": "introduce", "course": "course", "admitted": "admit",
                 "official": "confirm", "not_admitted": "not_admit"}  # fmt: skip
COUNT_LABELS = {
    "nominated": "Chi đoàn đề nghị",
    "introduced": "Đã giới thiệu với chi bộ",
    "course": "Có giấy chứng nhận “Nhận thức về Đảng”",
    "admitted": "Được kết nạp Đảng",
    "official": "Đảng viên chính thức",
    "not_admitted": "Không được kết nạp",
    "stalled": "Chậm tiến độ",
}


def case_list(*, actor: Any, tab: str = "waiting", kind: str = "") -> QuerySet[Case]:
    """The cases list of the inbox (page and API): "waiting" for the actor's subtree to decide, "open", or all
    the cases the actor may see."""
    qs = Case.objects.restrict(actor, "view").select_related("origin_unit", "deciding_unit")
    if tab == "waiting":
        qs = qs.filter(is_open=True, deciding_unit__path__startswith=actor.unit.path)
    elif tab == "open":
        qs = qs.filter(is_open=True)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def _require_view(actor: Any, unit: Unit) -> None:
    if not has_perm(actor, "member.view") or not Unit.objects.restrict(actor, "view").filter(pk=unit.pk).exists():
        raise ScopeError("Đơn vị này nằm ngoài phạm vi quản lý của tài khoản.")


def referral_cases(*, actor: Any, unit: Unit):
    """Party-referral cases started in `unit`'s subtree that the actor may see."""
    _require_view(actor, unit)
    return Case.objects.restrict(actor, "view").filter(kind=REFERRAL, origin_unit__path__startswith=unit.path)


def _year_q(year: int) -> Q:
    return Q(data__on__startswith=f"{int(year):04d}-")


@dataclass
class ReferralCounts:
    unit: Unit
    year: int
    total: dict[str, int]
    children: list[tuple[Unit, dict[str, int]]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=lambda: dict(COUNT_LABELS))


def _empty() -> dict[str, int]:
    return dict.fromkeys(COUNT_LABELS, 0)


def party_referral_counts(*, actor: Any, unit: Unit, year: int, today: date | None = None) -> ReferralCounts:
    """Per year: how many members were nominated, introduced, got the certificate, were admitted (and
    made official, or not admitted) — by the date of each event — and how many of the year's nominees'
    cases are stalled now; for the unit's subtree and per child unit."""
    cases = referral_cases(actor=actor, unit=unit)
    depth = unit.depth + 1
    child_units = {u.pk: u for u in Unit.objects.filter(parent=unit).order_by("name")}

    def child_of(path: str) -> int | None:
        parts = path.strip("/").split("/")
        return int(parts[depth]) if len(parts) > depth else None

    total = _empty()
    per_child: dict[int, dict[str, int]] = {pk: _empty() for pk in child_units}
    steps = (
        CaseStep.objects.filter(case__in=cases.values("pk"), action__in=set(COUNTED_STEPS.values()))
        .filter(_year_q(year))
        .values_list("action", "case__origin_unit__path")
    )
    by_action = {v: k for k, v in COUNTED_STEPS.items()}
    for action, path in steps:
        key = by_action[action]
        total[key] += 1
        child = child_of(path)
        if child in per_child:
            per_child[child][key] += 1
    cutoff = stall_cutoff(today)
    nominated_this_year = CaseStep.objects.filter(action="open").filter(_year_q(year)).values("case_id")
    stalled = (
        with_last_step(cases.filter(is_open=True, pk__in=nominated_this_year))
        .filter(last_step_at__lt=cutoff)
        .values_list("origin_unit__path", flat=True)
    )
    for path in stalled:
        total["stalled"] += 1
        child = child_of(path)
        if child in per_child:
            per_child[child]["stalled"] += 1
    return ReferralCounts(
        unit=unit, year=year, total=total, children=[(u, per_child[pk]) for pk, u in child_units.items()]
    )


ROW_COLUMNS = [
    ("member_name", "Họ và tên"), ("date_of_birth", "Ngày sinh"), ("branch", "Chi đoàn"),
    ("grassroots", "Đoàn cơ sở"), ("grade", "Xếp loại khi đề nghị"), ("nominated_on", "Ngày chi đoàn đề nghị"),
    ("introduced_on", "Ngày giới thiệu"), ("party_cell", "Chi bộ"), ("certificate_number", "Số giấy chứng nhận NTVĐ"),
    ("certificate_on", "Ngày cấp"), ("admitted_on", "Ngày kết nạp Đảng"), ("admission_decision", "Số QĐ kết nạp"),
    ("official_on", "Ngày chính thức"), ("state_label", "Tình trạng"), ("stalled", "Chậm tiến độ"),
    ("last_step_on", "Bước gần nhất"), ("case_id", "Mã hồ sơ"),
]  # fmt: skip


def _fmt(iso: str | None) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else ""


def party_referral_rows(
    *, actor: Any, unit: Unit, year: int, today: date | None = None, chunk_size: int = 500
) -> Iterator[dict[str, Any]]:
    """One row per member nominated in `year` in the unit's subtree, streamed (bounded memory), in the
    order of branch then name. Dates as dd/mm/yyyy text; columns and their Vietnamese titles in ROW_COLUMNS."""
    cases = referral_cases(actor=actor, unit=unit)
    nominated = CaseStep.objects.filter(action="open").filter(_year_q(year)).values("case_id")
    cutoff = stall_cutoff(today)
    last_step = CaseStep.objects.filter(case_id=OuterRef("case_id")).order_by("-at", "-id").values("at")[:1]
    subjects = (
        CaseSubject.objects.filter(kind=REFERRAL, case__in=cases.filter(pk__in=nominated).values("pk"))
        .select_related("member", "case", "case__origin_unit", "case__deciding_unit")
        .annotate(last_step_at=Subquery(last_step))
        .order_by("case__origin_unit__path", "member__sort_key", "case_id")
    )
    for s in subjects.iterator(chunk_size=chunk_size):
        case, d = s.case, s.case.data
        last = s.last_step_at
        yield {
            "case_id": case.pk,
            "member_id": s.member_id,
            "member_name": s.member.full_name if s.member else "",
            "date_of_birth": s.member.date_of_birth.strftime("%d/%m/%Y") if s.member else "",
            "branch": case.origin_unit.name,
            "grassroots": case.deciding_unit.name if case.deciding_unit else "",
            "grade": d.get("grade", ""),
            "nominated_on": _fmt(d.get("nominated_on")),
            "introduced_on": _fmt(d.get("introduced_on")),
            "party_cell": d.get("party_cell", ""),
            "certificate_number": d.get("certificate_number", ""),
            "certificate_on": _fmt(d.get("certificate_on")),
            "admitted_on": _fmt(d.get("admitted_on")),
            "admission_decision": d.get("admission_decision", ""),
            "official_on": _fmt(d.get("official_on")),
            "state": case.state,
            "state_label": PARTY_REFERRAL.states.get(case.state, case.state),
            "stalled": is_stalled(last, is_open=case.is_open, cutoff=cutoff),
            "last_step_on": timezone.localtime(last).strftime("%d/%m/%Y") if last else "",
        }

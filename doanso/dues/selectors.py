"""Reads of the dues ledger: rates, a branch's month, a member's history, arrears, forwarding.

Every selector that takes `actor=` starts from the actor's scope. The few helpers without an actor
(`rate`, `unpaid_months_for`, `forwarding_figures`) are building blocks for services and for the
procedures' removal trigger, whose callers have already checked scope.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Min, Q, Sum
from django.utils import timezone

from doanso.core.rules import rules_on
from doanso.core.scope import ScopeError, has_perm, in_scope, is_official
from doanso.members.choices import CURRENT_STATUSES
from doanso.members.models import Member, MemberStatusRecord
from doanso.members.selectors import member_count_rollup
from doanso.organisations.models import Unit

from .choices import RATE_RULES, DuesCategory
from .models import DuesCategoryOverride, DuesEntry, DuesMonth, Forwarding, LedgerStart
from .months import month_add, month_of, months_between

CURRENT = {str(s) for s in CURRENT_STATUSES}
CHUNK = 1000


# ---------------------------------------------------------------- rates


class Rates:
    """Monthly rates by category and month, each from the rule set in force on the month's first day."""

    def __init__(self) -> None:
        self._cache: dict[date, Any] = {}

    def rules(self, month: date):
        month = month_of(month)
        if month not in self._cache:
            self._cache[month] = rules_on(month)
        return self._cache[month]

    def __call__(self, category: str, month: date) -> int:
        return int(getattr(self.rules(month), RATE_RULES[category]))


def rate(category: str, month: date) -> int:
    return Rates()(category, month)


def category_of(member: Member) -> str:
    override = DuesCategoryOverride.objects.filter(member_id=member.pk).values_list("category", flat=True).first()
    return override or (DuesCategory.SALARIED if member.is_salaried else DuesCategory.NON_SALARIED)


def categories_for(members: Iterable[Member]) -> dict[int, str]:
    members = list(members)
    overrides = dict(
        DuesCategoryOverride.objects.filter(member_id__in=[m.pk for m in members]).values_list("member_id", "category")
    )
    return {
        m.pk: overrides.get(m.pk) or (DuesCategory.SALARIED if m.is_salaried else DuesCategory.NON_SALARIED)
        for m in members
    }


def quarterly_allowed(member: Member, month: date) -> bool:
    """A member registered as working away, paying quarterly, over `month`."""
    from doanso.procedures.models import AwayPeriod

    return any(p.pays_quarterly and p.covers(month) for p in AwayPeriod.objects.filter(member_id=member.pk))


# ---------------------------------------------------------------- where the book starts


class LedgerStarts:
    """The first month arrears are counted for members of a unit: the nearest ancestor-or-self's
    LedgerStart, or else the first month the member's branch ever recorded a payment."""

    def __init__(self, branch_ids: Iterable[int] | None = None) -> None:
        self.explicit = dict(LedgerStart.objects.values_list("unit_id", "month"))
        qs = DuesEntry.objects.all()
        if branch_ids is not None:
            qs = qs.filter(unit_id__in=list(branch_ids))
        self.first_payment = {
            r["unit_id"]: r["m"] for r in qs.values("unit_id").annotate(m=Min("first_month")).order_by()
        }

    def for_unit(self, unit_id: int, unit_path: str) -> date | None:
        for uid in reversed([int(p) for p in unit_path.strip("/").split("/") if p]):
            if uid in self.explicit:
                return self.explicit[uid]
        return self.first_payment.get(unit_id)


# ---------------------------------------------------------------- arrears


@dataclass
class ArrearsRow:
    member_id: int
    full_name: str
    citizen_id: str
    unit_id: int
    unit_name: str
    category: str
    rate: int  # this month's rate for the member's category
    months_due: int
    months_paid: int
    unpaid: list[date] = field(default_factory=list)
    amount_unpaid: int = 0
    last_paid: date | None = None

    @property
    def months_unpaid(self) -> int:
        return len(self.unpaid)

    @property
    def category_label(self) -> str:
        return str(DuesCategory(self.category).label)

    @property
    def unpaid_text(self) -> str:
        return ", ".join(f"{m:%m/%Y}" for m in self.unpaid)


def _status_timelines(member_ids: list[int]) -> dict[int, list[tuple[date, str]]]:
    out: dict[int, list[tuple[date, str]]] = defaultdict(list)
    rows = MemberStatusRecord.objects.filter(member_id__in=member_ids).order_by("member_id", "effective_on", "id")
    for mid, day, status in rows.values_list("member_id", "effective_on", "status"):
        out[mid].append((day, status))
    return out


def _is_current_on(timeline: list[tuple[date, str]], day: date) -> bool:
    status = "active"  # before the first record the member is counted from admission
    for effective_on, s in timeline:
        if effective_on > day:
            break
        status = s
    return status in CURRENT


def _due_months(member: Member, start: date | None, last: date, timeline) -> list[date]:
    """Months a member owes dues for, from max(admission, ledger start) to `last`, while a current member."""
    if start is None:
        return []
    if member.admitted_on:
        start = max(start, month_of(member.admitted_on))
    return [m for m in months_between(start, last) if _is_current_on(timeline, m)]


def _arrears_chunk(
    members: list[Member], *, last: date, starts: LedgerStarts, rates: Rates, units: dict[int, str], current: date
) -> list[ArrearsRow]:
    ids = [m.pk for m in members]
    cats = categories_for(members)
    timelines = _status_timelines(ids)
    paid: dict[int, set[date]] = defaultdict(set)
    for mid, month in DuesMonth.objects.filter(member_id__in=ids).values_list("member_id", "month"):
        paid[mid].add(month)
    out = []
    for m in members:
        due = _due_months(m, starts.for_unit(m.unit_id, m.unit_path), last, timelines.get(m.pk, []))
        cat = cats[m.pk]
        unpaid = [x for x in due if x not in paid[m.pk]]
        out.append(
            ArrearsRow(
                member_id=m.pk,
                full_name=m.full_name,
                citizen_id=m.citizen_id,
                unit_id=m.unit_id,
                unit_name=units.get(m.unit_id, ""),
                category=cat,
                rate=rates(cat, current),
                months_due=len(due),
                months_paid=len(due) - len(unpaid),
                unpaid=unpaid,
                amount_unpaid=sum(rates(cat, x) for x in unpaid),
                last_paid=max(paid[m.pk]) if paid[m.pk] else None,
            )  # fmt: skip
        )
    return out


def _require_view(actor: Any, unit: Unit, action: str) -> None:
    if not (has_perm(actor, f"member.{action}") and in_scope(actor, unit)):
        raise ScopeError("Đơn vị này nằm ngoài phạm vi quản lý của tài khoản.")


MEMBER_FIELDS = ("id", "full_name", "citizen_id", "unit_id", "unit_path", "admitted_on", "is_salaried", "status")


def arrears_rows(
    *, actor: Any, unit: Unit, as_of: date | None = None, action: str = "view", only_owing: bool = False
) -> Iterator[ArrearsRow]:
    """Dues arrears of every current member of `unit`'s subtree, as of `as_of`'s month (included),
    streamed in chunks of members in (unit, name) order — the rows of the dues-arrears export.

    `action` is the member permission the actor must hold ("view", or "export" for an export)."""
    _require_view(actor, unit, action)
    as_of = as_of or timezone.localdate()
    last = month_of(as_of)
    units = dict(Unit.objects.in_subtree(unit).values_list("id", "name"))
    starts = LedgerStarts(branch_ids=units)
    rates = Rates()
    qs = (
        Member.objects.restrict(actor, action)
        .in_subtree(unit)
        .filter(status__in=CURRENT)
        .only(*MEMBER_FIELDS)
        .order_by("unit_path", "sort_key", "id")
    )
    batch: list[Member] = []
    for member in qs.iterator(chunk_size=CHUNK):
        batch.append(member)
        if len(batch) >= CHUNK:
            yield from _rows(batch, last, starts, rates, units, only_owing)
            batch = []
    if batch:
        yield from _rows(batch, last, starts, rates, units, only_owing)


def _rows(batch, last, starts, rates, units, only_owing) -> Iterator[ArrearsRow]:
    for row in _arrears_chunk(batch, last=last, starts=starts, rates=rates, units=units, current=last):
        if not only_owing or row.unpaid:
            yield row


@dataclass
class ArrearsSummary:
    unit: Unit
    as_of: date
    members: int = 0
    owing: int = 0
    months_unpaid: int = 0
    amount_unpaid: int = 0
    by_child: list[dict] = field(default_factory=list)
    top: list[ArrearsRow] = field(default_factory=list)
    too_large: bool = False  # counted on a page only up to LIVE_MAX members: export the rest


# Arrears are worked out member by member (~0.3 ms each): a page does it for a commune, a school, a
# university; a province's ~300,000 members go through the background export instead.
LIVE_MAX = 20_000


def arrears_summary(*, actor: Any, unit: Unit, as_of: date | None = None, top: int = 200) -> ArrearsSummary:
    """Totals for the subtree, per child unit, and the members owing most (for a page)."""
    as_of = as_of or timezone.localdate()
    summary = ArrearsSummary(unit=unit, as_of=as_of)
    children = {c.pk: c for c in Unit.objects.filter(parent=unit).order_by("name")}
    _require_view(actor, unit, "view")
    summary.members = member_count_rollup(unit=unit, statuses=list(CURRENT_STATUSES))
    if summary.members > LIVE_MAX:
        summary.too_large = True
        summary.by_child = [
            {"unit": c, "members": member_count_rollup(unit=c, statuses=list(CURRENT_STATUSES)), "owing": None,
             "months_unpaid": None, "amount_unpaid": None}
            for c in children.values()
        ]  # fmt: skip
        return summary
    summary.members = 0
    per_child: dict[int, dict] = {
        pk: {"unit": c, "members": 0, "owing": 0, "months_unpaid": 0, "amount_unpaid": 0} for pk, c in children.items()
    }
    paths = dict(Unit.objects.in_subtree(unit).values_list("id", "path"))
    depth = unit.depth + 1
    owing: list[ArrearsRow] = []
    for row in arrears_rows(actor=actor, unit=unit, as_of=as_of):
        summary.members += 1
        ids = [int(p) for p in paths.get(row.unit_id, "").strip("/").split("/") if p]
        child_id = ids[depth] if len(ids) > depth else None
        bucket = per_child.get(child_id)
        if bucket is not None:
            bucket["members"] += 1
        if row.unpaid:
            summary.owing += 1
            summary.months_unpaid += row.months_unpaid
            summary.amount_unpaid += row.amount_unpaid
            owing.append(row)
            if bucket is not None:
                bucket["owing"] += 1
                bucket["months_unpaid"] += row.months_unpaid
                bucket["amount_unpaid"] += row.amount_unpaid
    summary.by_child = list(per_child.values())
    owing.sort(key=lambda r: (-r.months_unpaid, r.unit_name, r.full_name))
    summary.top = owing[:top]
    return summary


def unpaid_months_for(members: Iterable[Member], first: date, last: date) -> dict[int, set[date]]:
    """Months in [first, last] each member owed dues for and has not paid (no actor: callers scope).
    The removal trigger of the procedures reads this: the ledger is the one source of truth."""
    members = list(members)
    out: dict[int, set[date]] = {m.pk: set() for m in members}
    if not members or last < first:
        return out
    starts = LedgerStarts(branch_ids={m.unit_id for m in members})
    timelines = _status_timelines([m.pk for m in members])
    paid: dict[int, set[date]] = defaultdict(set)
    rows = DuesMonth.objects.filter(member_id__in=[m.pk for m in members], month__gte=first, month__lte=last)
    for mid, month in rows.values_list("member_id", "month"):
        paid[mid].add(month)
    for m in members:
        start = starts.for_unit(m.unit_id, m.unit_path)
        if start is None:
            continue
        due = _due_months(m, max(start, month_of(first)), last, timelines.get(m.pk, []))
        out[m.pk] = {x for x in due if x not in paid[m.pk]}
    return out


@dataclass
class PaidThrough:
    """What the ledger says of a member's dues at a hand-over (transfer, introduction letter)."""

    month: date | None  # paid up to and including this month (None: nothing owed was ever paid)
    unpaid: list[date]  # months owed up to the current one and not paid

    @property
    def month_text(self) -> str:
        return f"{self.month:%m/%Y}" if self.month else ""

    @property
    def paid_text(self) -> str:
        return f"đến tháng {self.month_text}" if self.month else "chưa đóng tháng nào"

    @property
    def unpaid_texts(self) -> list[str]:
        return [f"{m:%m/%Y}" for m in self.unpaid]


def paid_through(members: Iterable[Member], as_of: date | None = None) -> dict[int, PaidThrough | None]:
    """Per member, the month the ledger says dues are paid up to (None where the member's unit does
    not keep its dues book in Đoàn Số). Paid up to the month before the first unpaid month owed;
    with nothing owing, the current month, or the last month paid ahead. No actor: callers scope."""
    members = list(members)
    if not members:
        return {}
    last = month_of(as_of or timezone.localdate())
    starts = LedgerStarts(branch_ids={m.unit_id for m in members})
    timelines = _status_timelines([m.pk for m in members])
    paid: dict[int, set[date]] = defaultdict(set)
    for mid, month in DuesMonth.objects.filter(member_id__in=[m.pk for m in members]).values_list("member_id", "month"):
        paid[mid].add(month)
    out: dict[int, PaidThrough | None] = {}
    for m in members:
        start = starts.for_unit(m.unit_id, m.unit_path)
        if start is None:
            out[m.pk] = None
            continue
        due = _due_months(m, start, last, timelines.get(m.pk, []))
        unpaid = [x for x in due if x not in paid[m.pk]]
        if unpaid:
            month = month_add(unpaid[0], -1)
            if m.admitted_on and month < month_of(m.admitted_on):
                month = None  # owes from the month of admission on
        else:
            month = max(due) if due else None
            while month is not None and month_add(month, 1) in paid[m.pk]:  # paid ahead
                month = month_add(month, 1)
            if month is None and paid[m.pk]:
                month = max(paid[m.pk])
        out[m.pk] = PaidThrough(month=month, unpaid=unpaid)
    return out


# ---------------------------------------------------------------- a branch's month


@dataclass
class BranchMonthRow:
    member: Member
    category: str
    rate: int
    month_entry: DuesEntry | None  # the payment covering this month, if any
    quarterly: bool  # may pay three months at once (registered away)

    @property
    def paid(self) -> bool:
        return self.month_entry is not None

    @property
    def category_label(self) -> str:
        return str(DuesCategory(self.category).label)


def branch_month(*, actor: Any, unit: Unit, month: date) -> list[BranchMonthRow]:
    """Current members of a branch, with their rate and whether `month` is paid."""
    from doanso.procedures.models import AwayPeriod

    _require_view(actor, unit, "view")
    month = month_of(month)
    members = list(
        Member.objects.restrict(actor, "view").filter(unit=unit, status__in=CURRENT).order_by("sort_key", "id")
    )
    cats = categories_for(members)
    covered = {
        d.member_id: d.entry
        for d in DuesMonth.objects.filter(member__in=members, month=month).select_related("entry", "entry__recorded_by")
    }
    away = defaultdict(list)
    for p in AwayPeriod.objects.filter(member__in=members, pays_quarterly=True):
        away[p.member_id].append(p)
    rates = Rates()
    return [
        BranchMonthRow(
            member=m,
            category=cats[m.pk],
            rate=rates(cats[m.pk], month),
            month_entry=covered.get(m.pk),
            quarterly=any(p.covers(month) for p in away[m.pk]),
        )  # fmt: skip
        for m in members
    ]


# ---------------------------------------------------------------- one member


@dataclass
class MemberLedger:
    member: Member
    category: str
    entries: list[DuesEntry]
    arrears: ArrearsRow
    paid_ahead_to: date | None
    quarterly: bool

    @property
    def category_label(self) -> str:
        return str(DuesCategory(self.category).label)


def member_for(*, actor: Any, pk: int, action: str = "view") -> Member:
    member = Member.objects.restrict(actor, action).select_related("unit").filter(pk=pk).first()
    if member is None:
        raise Member.DoesNotExist
    return member


def member_ledger(*, actor: Any, member: Member, as_of: date | None = None) -> MemberLedger:
    """A member's dues entries (payments and reversals) and arrears. An official sees members of its
    subtree; a member account sees only itself."""
    if not Member.objects.restrict(actor, "view").filter(pk=member.pk).exists():
        raise ScopeError("Đoàn viên này nằm ngoài phạm vi quản lý của tài khoản.")
    as_of = as_of or timezone.localdate()
    last = month_of(as_of)
    entries = list(
        DuesEntry.objects.filter(member=member).select_related("unit", "recorded_by", "reverses").order_by("-id")
    )
    reversed_ids = {e.reverses_id for e in entries if e.reverses_id}
    for e in entries:
        e.is_reversed = e.pk in reversed_ids
    starts = LedgerStarts(branch_ids=[member.unit_id])
    units = {member.unit_id: member.unit.name}
    row = _arrears_chunk([member], last=last, starts=starts, rates=Rates(), units=units, current=last)[0]
    ahead = row.last_paid if row.last_paid and row.last_paid > last else None
    return MemberLedger(
        member=member, category=categories_for([member])[member.pk], entries=entries, arrears=row,
        paid_ahead_to=ahead, quarterly=quarterly_allowed(member, last),
    )  # fmt: skip


# ---------------------------------------------------------------- forwarding


def _period_overlaps(start: date, end: date) -> Q:
    """Forwarding rows whose [period_start, period_start + months) meets [start, end)."""
    # A period is at most a quarter: it overlaps iff it starts before `end` and after `start` − 3 months,
    # then the exact check is done in Python by the caller where it matters.
    return Q(period_start__lt=end, period_start__gte=month_add(start, -2))


def overlapping(qs, start: date, end: date) -> list[Forwarding]:
    return [f for f in qs.filter(_period_overlaps(start, end)) if f.period_start < end and f.period_end > start]


@dataclass
class ForwardingFigures:
    unit: Unit
    period_start: date
    period_months: int
    own_collected: int
    received: int
    children: list[dict]  # {"unit", "record" (Forwarding | None), "missing" (bool)}
    kept_thirds: int
    rule_set_id: int | None

    @property
    def period_end(self) -> date:
        return month_add(self.period_start, self.period_months)

    @property
    def collected(self) -> int:
        return self.own_collected + self.received

    @property
    def forwarded(self) -> int:
        return self.collected * (3 - self.kept_thirds) // 3

    @property
    def kept(self) -> int:
        return self.collected - self.forwarded

    @property
    def missing(self) -> list[Unit]:
        return [c["unit"] for c in self.children if c["missing"]]


def forwarding_figures(unit: Unit, period_start: date, period_months: int) -> ForwardingFigures:
    """What `unit` collected in a period (cash: by the date money was paid or a correction made),
    what its children forwarded for it, and the rule-set split. No actor: callers check scope."""
    end = month_add(period_start, period_months)
    own = (
        DuesEntry.objects.filter(unit=unit, paid_on__gte=period_start, paid_on__lt=end).aggregate(s=Sum("amount"))["s"]
        or 0
    )
    children = []
    received = 0
    records = overlapping(Forwarding.objects.filter(parent=unit), period_start, end)
    by_child = defaultdict(list)
    for r in records:
        by_child[r.unit_id].append(r)
    for child in Unit.objects.filter(parent=unit).order_by("name"):
        mine = by_child.get(child.pk, [])
        covered = set()
        for r in mine:
            covered.update(months_between(r.period_start, month_add(r.period_end, -1)))
            received += r.forwarded
        money_months = {
            month_of(d)
            for d in DuesEntry.objects.filter(
                unit__path__startswith=child.path, paid_on__gte=period_start, paid_on__lt=end
            ).values_list("paid_on", flat=True)
        }
        children.append(
            {"unit": child, "records": mine, "forwarded": sum(r.forwarded for r in mine),
             "missing": bool(money_months - covered)}
        )  # fmt: skip
    rules = rules_on(period_start)
    kept_thirds = max(0, min(3, int(rules.dues_kept_thirds)))
    return ForwardingFigures(
        unit=unit, period_start=period_start, period_months=period_months, own_collected=own, received=received,
        children=children, kept_thirds=kept_thirds, rule_set_id=rules.rule_set_id,
    )  # fmt: skip


def forwardings(*, actor: Any, unit: Unit) -> dict[str, list[Forwarding]]:
    """What `unit` forwarded up, and what it received from each child (newest first)."""
    _require_view(actor, unit, "view")
    qs = Forwarding.objects.restrict(actor, "view").select_related("unit", "parent", "recorded_by")
    return {"sent": list(qs.filter(unit=unit)[:120]), "received": list(qs.filter(parent=unit)[:500])}


def forwarding_get(*, actor: Any, pk: int) -> Forwarding:
    record = Forwarding.objects.restrict(actor, "view").select_related("unit", "parent").filter(pk=pk).first()
    if record is None:
        raise Forwarding.DoesNotExist
    return record


def entry_for(*, actor: Any, pk: int, action: str = "view") -> DuesEntry:
    if not is_official(actor):
        raise DuesEntry.DoesNotExist
    entry = DuesEntry.objects.restrict(actor, action).select_related("member", "unit").filter(pk=pk).first()
    if entry is None:
        raise DuesEntry.DoesNotExist
    return entry


def paid_member_ids(*, members: Iterable[Member], month: date) -> set[int]:
    """Which of `members` (already in the caller's scope) have `month` paid in the ledger."""
    ids = [m.pk for m in members]
    return set(DuesMonth.objects.filter(member_id__in=ids, month=month_of(month)).values_list("member_id", flat=True))

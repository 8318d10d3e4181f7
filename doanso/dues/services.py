"""Writes to the dues ledger. Append-only: a mistake is reversed by a correcting entry, never edited.

Each service checks scope, validates (Vietnamese, per field) before it writes anything, locks what
it changes, and leaves an audit row. Rates, the prepayment limit and the split come from the rule
set in force (a month's rate from the rule set in force on the month's first day).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from doanso.core import audit, vn
from doanso.core.rules import rules_on
from doanso.core.scope import require
from doanso.members.models import Member
from doanso.organisations.choices import MEMBER_HOLDING_KINDS
from doanso.organisations.models import Unit

from . import selectors
from .choices import DuesCategory, EntryKind
from .models import DuesCategoryOverride, DuesEntry, DuesMonth, Forwarding, LedgerStart
from .months import month_add, month_of, months_between, parse_day, parse_month

QUARTER = 3


def _today() -> date:
    return timezone.localdate()


def vnd(amount: int) -> str:
    """12.000đ — Vietnamese thousands separator."""
    return f"{amount:,}đ".replace(",", ".")


def _as_amount(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        amount = int(str(value).replace(".", "").replace(",", "").strip())
    except ValueError:
        raise ValidationError({field: "Số tiền: phải là số nguyên (đồng)."}) from None
    if amount <= 0:
        raise ValidationError({field: "Số tiền: phải lớn hơn 0."})
    return amount


def _closed_period(unit: Unit, day: date) -> Forwarding | None:
    """A forwarding record of `unit` or an ancestor that already closed the period holding `day`."""
    month = month_of(day)
    qs = Forwarding.objects.filter(unit_id__in=unit.ancestor_ids())
    found = selectors.overlapping(qs, month, month_add(month, 1))
    return found[0] if found else None


def _check_paid_on(unit: Unit, paid_on: Any) -> date:
    day = _today() if paid_on in (None, "") else parse_day(paid_on, "paid_on", "Ngày nộp")
    if day > _today():
        raise ValidationError({"paid_on": "Ngày nộp: không được sau ngày hôm nay."})
    closed = _closed_period(unit, day)
    if closed is not None:
        raise ValidationError(
            {"paid_on": f"Ngày nộp: {closed.period_label.lower()} đã được {closed.unit.name} chốt và nộp lên cấp trên."}
        )
    return day


# ---------------------------------------------------------------- payments


@transaction.atomic
def dues_record(
    *,
    actor: Any,
    unit: Unit,
    month: Any,
    members: Iterable[Member | int],
    months: int = 1,
    amounts: dict[int, Any] | None = None,
    paid_on: Any = None,
    note: str = "",
) -> list[DuesEntry]:
    """A branch records dues: each listed member pays `months` months from `month` (1, or 3 for a
    member registered as working away who pays quarterly). `amounts` are per-month amounts by
    member id (default: the member's rate). All or nothing."""
    require(actor, "member.manage", unit)
    if unit.kind not in MEMBER_HOLDING_KINDS:
        raise ValidationError({"unit": "Đơn vị: chỉ chi đoàn mới thu đoàn phí của đoàn viên."})
    first = parse_month(month, "month", "Tháng")
    try:
        months = int(months)
    except (TypeError, ValueError):
        months = 0
    if months not in (1, QUARTER):
        raise ValidationError({"months": "Số tháng: đóng từng tháng (1) hoặc theo quý (3)."})
    today = _today()
    covered = months_between(first, month_add(first, months - 1))
    limit_n = rules_on(today).dues_max_prepay_months
    limit = month_add(month_of(today), limit_n)
    if covered[-1] > limit:
        raise ValidationError(
            {"month": f"Tháng: chỉ được đóng trước tối đa {limit_n} tháng (đến tháng {limit:%m/%Y})."}
        )
    day = _check_paid_on(unit, paid_on)
    ids = [m.pk if isinstance(m, Member) else m for m in members]
    try:
        ids = [int(i) for i in ids]
    except (TypeError, ValueError):
        raise ValidationError({"members": "Đoàn viên: mã không hợp lệ."}) from None
    if not ids:
        raise ValidationError({"members": "Đoàn viên: chọn ít nhất một người."})
    if len(set(ids)) != len(ids):
        raise ValidationError({"members": "Đoàn viên: một người được ghi hai lần trong cùng lần nộp."})
    locked = {m.pk: m for m in Member.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    problems: list[str] = []
    outside = [i for i in ids if i not in locked or locked[i].unit_id != unit.pk]
    if outside:
        raise ValidationError({"members": f"Đoàn viên: có {len(outside)} người không thuộc {unit.name}."})
    amounts = {int(k): v for k, v in (amounts or {}).items()}
    rows = [locked[i] for i in ids]
    cats = selectors.categories_for(rows)
    rates = selectors.Rates()
    per_month: dict[int, list[int]] = {}
    for m in rows:
        if m.status not in selectors.CURRENT:
            problems.append(f"{m.full_name}: không còn sinh hoạt ({m.get_status_display().lower()}).")
            continue
        if m.admitted_on and first < month_of(m.admitted_on):
            problems.append(f"{m.full_name}: tháng {first:%m/%Y} trước ngày vào Đoàn ({m.admitted_on:%d/%m/%Y}).")
        if months == QUARTER and not selectors.quarterly_allowed(m, first):
            problems.append(f"{m.full_name}: chỉ đoàn viên đăng ký đi làm ăn xa mới đóng theo quý.")
        given = _as_amount(amounts.get(m.pk), "amount")
        dues = [rates(cats[m.pk], x) for x in covered]
        if given is not None and given < max(dues):
            problems.append(f"{m.full_name}: số tiền {vnd(given)}/tháng thấp hơn mức đoàn phí {vnd(max(dues))}/tháng.")
        per_month[m.pk] = [given or d for d in dues]
    already = DuesMonth.objects.filter(member_id__in=ids, month__in=covered).select_related("member")
    for d in already:
        problems.append(f"{d.member.full_name}: đã đóng đoàn phí tháng {d.month:%m/%Y}.")
    if problems:
        raise ValidationError({"members": problems})
    rule_set_id = rules_on(first).rule_set_id
    entries = []
    for m in rows:
        entries.append(
            DuesEntry(
                member=m,
                unit=unit,
                kind=EntryKind.PAYMENT,
                first_month=first,
                months=months,
                amount=sum(per_month[m.pk]),
                category=cats[m.pk],
                paid_on=day,
                note=vn.nfc(note or "")[:300],
                rule_set_id=rule_set_id,
                recorded_by=actor,
            )  # fmt: skip
        )
    DuesEntry.objects.bulk_create(entries)
    month_rows = [
        DuesMonth(member_id=e.member_id, month=x, entry=e, amount=a)
        for e in entries
        for x, a in zip(covered, per_month[e.member_id], strict=True)
    ]
    try:
        with transaction.atomic():
            DuesMonth.objects.bulk_create(month_rows)
    except IntegrityError as exc:  # another official posted the same month a moment ago
        raise ValidationError(
            {"members": "Đoàn viên: có người vừa được ghi nhận đóng tháng này; tải lại trang."}
        ) from exc
    period = entries[0].period_label
    audit.record(
        actor=actor, obj=unit, action="dues_record",
        summary=f"Thu đoàn phí {period}: {len(entries)} đoàn viên, {vnd(sum(e.amount for e in entries))}",
    )  # fmt: skip
    return entries


@transaction.atomic
def dues_payment_correct(
    *,
    actor: Any,
    entry: DuesEntry,
    reason: str,
    month: Any = None,
    amount: Any = None,
    months: Any = None,
) -> tuple[DuesEntry, DuesEntry | None]:
    """Reverse a payment with a correcting entry (both kept); with a month or amount, record the
    right payment in its place. Returns (reversal, replacement or None)."""
    entry = DuesEntry.objects.select_for_update().select_related("unit", "member").get(pk=entry.pk)
    require(actor, "member.manage", entry.unit)
    reason = vn.nfc(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Lý do điều chỉnh: không được để trống."})
    if entry.kind != EntryKind.PAYMENT:
        raise ValidationError({"entry": "Chỉ điều chỉnh được khoản thu, không điều chỉnh một bút toán điều chỉnh."})
    if DuesEntry.objects.filter(reverses=entry).exists():
        raise ValidationError({"entry": "Khoản thu này đã được điều chỉnh trước đó."})
    replace = month not in (None, "") or amount not in (None, "") or months not in (None, "")
    if replace:  # validate before writing anything
        new_month = parse_month(month, "month", "Tháng") if month not in (None, "") else entry.first_month
        new_amount = _as_amount(amount, "amount")
        new_months = months if months not in (None, "") else entry.months
    today = _today()
    reversal = DuesEntry(
        member=entry.member, unit=entry.unit, kind=EntryKind.REVERSAL, first_month=entry.first_month,
        months=entry.months, amount=-entry.amount, category=entry.category, paid_on=today, note=reason[:300],
        reverses=entry, rule_set_id=entry.rule_set_id, recorded_by=actor,
    )  # fmt: skip
    try:
        with transaction.atomic():
            reversal.save()
    except IntegrityError as exc:
        raise ValidationError({"entry": "Khoản thu này vừa được điều chỉnh."}) from exc
    DuesMonth.objects.filter(entry=entry).delete()  # the projection follows the entries
    audit.record(
        actor=actor, obj=entry, action="reverse", note=reason,
        summary=f"Điều chỉnh (hủy) khoản thu đoàn phí {entry.period_label} của {entry.member.full_name}",
    )  # fmt: skip
    replacement = None
    if replace:
        amounts = {entry.member_id: new_amount} if new_amount is not None else None
        # A failure here rolls the whole correction back (one transaction): nothing changes.
        (replacement,) = dues_record(
            actor=actor, unit=entry.member.unit, month=new_month, members=[entry.member_id],
            months=new_months, amounts=amounts, paid_on=today, note=f"Thay cho khoản #{entry.pk}: {reason}",
        )  # fmt: skip
    return reversal, replacement


@transaction.atomic
def dues_mark_month(
    *, actor: Any, unit: Unit, month: date, paid: Iterable[int], unpaid: Iterable[int], reason: str = ""
) -> dict[str, int]:
    """Make the ledger say who paid `month` (the monthly activity screen's tick): record a payment
    at the member's rate for newly ticked members; reverse the month's single-month payment for
    unticked ones. A payment covering several months is changed on the dues pages only."""
    month = month_of(month)
    paid, unpaid = set(paid), set(unpaid)
    existing = {d.member_id: d for d in DuesMonth.objects.filter(member_id__in=paid | unpaid, month=month)}
    to_pay = sorted(paid - set(existing))
    result = {"recorded": 0, "reversed": 0}
    if to_pay:
        result["recorded"] = len(dues_record(actor=actor, unit=unit, month=month, members=to_pay))
    for pk in sorted(unpaid & set(existing)):
        entry = existing[pk].entry
        if entry.months != 1:
            raise ValidationError(
                {"members": f"{entry.member.full_name}: đã đóng theo quý ({entry.period_label}); sửa trên sổ đoàn phí."}
            )
        dues_payment_correct(
            actor=actor, entry=entry, reason=reason or f"Bỏ đánh dấu đã đóng đoàn phí tháng {month:%m/%Y}"
        )
        result["reversed"] += 1
    return result


# ---------------------------------------------------------------- settings of the book


@transaction.atomic
def dues_category_set(*, actor: Any, member: Member, category: str, note: str = "") -> str:
    """Set a member's dues category ("" = from the record: salaried or not). Returns the category in force."""
    member = Member.objects.select_for_update().select_related("unit").get(pk=member.pk)
    require(actor, "member.manage", member.unit)
    if category and category not in DuesCategory.values:
        raise ValidationError({"category": "Đối tượng đóng đoàn phí: không hợp lệ."})
    before = selectors.category_of(member)
    if category:
        DuesCategoryOverride.objects.update_or_create(
            member=member, defaults={"category": category, "note": vn.nfc(note or "")[:300], "set_by": actor}
        )
    else:
        DuesCategoryOverride.objects.filter(member=member).delete()
    after = selectors.category_of(member)
    audit.record(
        actor=actor, obj=member, action="update", note=note,
        changes={"dues_category": [str(DuesCategory(before).label), str(DuesCategory(after).label)]},
    )  # fmt: skip
    return after


@transaction.atomic
def ledger_start_set(*, actor: Any, unit: Unit, month: Any) -> LedgerStart:
    """The month a unit (and its subtree) began keeping the dues book here: no arrears before it."""
    require(actor, "member.manage", unit)
    first = parse_month(month, "month", "Tháng bắt đầu")
    if first > month_of(_today()):
        raise ValidationError({"month": "Tháng bắt đầu: không được sau tháng hiện tại."})
    Unit.objects.select_for_update().filter(pk=unit.pk).first()
    before = LedgerStart.objects.filter(unit=unit).values_list("month", flat=True).first()
    start, _ = LedgerStart.objects.update_or_create(unit=unit, defaults={"month": first, "set_by": actor})
    audit.record(
        actor=actor, obj=unit, action="update",
        changes={"dues_ledger_start": [f"{before:%m/%Y}" if before else None, f"{first:%m/%Y}"]},
    )  # fmt: skip
    return start


# ---------------------------------------------------------------- forwarding up the tree


def _parse_period(period_start: Any, period_months: Any) -> tuple[date, int]:
    start = parse_month(period_start, "period_start", "Kỳ")
    try:
        n = int(period_months)
    except (TypeError, ValueError):
        n = 0
    if n not in (1, QUARTER):
        raise ValidationError({"period_months": "Kỳ nộp: theo tháng (1) hoặc theo quý (3)."})
    if n == QUARTER and start.month not in (1, 4, 7, 10):
        raise ValidationError({"period_start": "Kỳ: quý bắt đầu từ tháng 01, 04, 07 hoặc 10."})
    return start, n


@transaction.atomic
def forwarding_record(
    *, actor: Any, unit: Unit, period_start: Any, period_months: Any = 1, note: str = ""
) -> Forwarding:
    """Close a period for `unit`: collected = its own takings + what its children forwarded; it keeps
    its share by the rule set and forwards the rest to its parent. The period must have ended, every
    child with money in it must have forwarded first, and the parent must not have closed it yet."""
    require(actor, "member.manage", unit)
    start, n = _parse_period(period_start, period_months)
    end = month_add(start, n)
    if end > month_of(_today()):
        raise ValidationError({"period_start": "Kỳ: chưa kết thúc, chỉ chốt và nộp khi hết kỳ."})
    if unit.parent_id is None:
        raise ValidationError({"unit": "Đơn vị: cấp cao nhất không nộp lên cấp trên."})
    # Lock the unit and its parent (ancestor first, as every caller does) to serialise closures.
    locked = {
        u.pk: u for u in Unit.objects.select_for_update().filter(pk__in=[unit.pk, unit.parent_id]).order_by("path")
    }
    unit, parent = locked[unit.pk], locked[unit.parent_id]
    if selectors.overlapping(Forwarding.objects.filter(unit=unit), start, end):
        raise ValidationError({"period_start": f"Kỳ: {unit.name} đã nộp lên cấp trên cho kỳ này."})
    closed_above = selectors.overlapping(Forwarding.objects.filter(unit_id__in=parent.ancestor_ids()), start, end)
    if closed_above:
        raise ValidationError({"period_start": f"Kỳ: {closed_above[0].unit.name} đã chốt kỳ này; không nộp thêm được."})
    figures = selectors.forwarding_figures(unit, start, n)
    straddling = [r for c in figures.children for r in c["records"] if r.period_start < start or r.period_end > end]
    if straddling:
        raise ValidationError(
            {"period_months": f"Kỳ nộp: {straddling[0].unit.name} đã nộp theo {straddling[0].period_label.lower()}, "
                              "không khớp với kỳ này."}
        )  # fmt: skip
    if figures.missing:
        names = ", ".join(u.name for u in figures.missing)
        raise ValidationError({"period_start": f"Kỳ: đơn vị cấp dưới chưa nộp kỳ này: {names}."})
    record = Forwarding.objects.create(
        unit=unit, parent=parent, period_start=start, period_months=n, own_collected=figures.own_collected,
        received=figures.received, collected=figures.collected, kept=figures.kept, forwarded=figures.forwarded,
        kept_thirds=figures.kept_thirds, rule_set_id=figures.rule_set_id, note=vn.nfc(note or "")[:300],
        recorded_by=actor,
    )  # fmt: skip
    audit.record(
        actor=actor, obj=unit, action="dues_forward",
        summary=f"Nộp đoàn phí {record.period_label.lower()} lên {parent.name}: thu {vnd(record.collected)}, "
        f"giữ lại {vnd(record.kept)}, nộp {vnd(record.forwarded)}",
    )  # fmt: skip
    return record

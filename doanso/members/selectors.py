"""Reads of the member registry. Every selector starts from the actor's scope."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from doanso.core import vn
from doanso.core.scope import ScopeError, in_scope, is_official
from doanso.organisations.models import Unit

from .choices import AGE_BANDS, CURRENT_STATUSES, MemberStatus, Sex
from .models import Member, MemberStat, MemberStatusRecord, MemberUnitChange, subtree_filter

LIST_COLUMNS = [
    "id", "full_name", "date_of_birth", "sex", "citizen_id", "phone", "status", "position", "unit_id", "ethnicity_id",
    "sort_key", "card_number", "admitted_on",
]  # fmt: skip


@dataclass
class MemberFilters:
    status: str = ""  # "" = current members (active, in transit); "all"; or one status
    sex: str = ""
    age_band: str = ""
    ethnicity: str = ""
    unit_kind: str = ""
    sector: str = ""
    q: str = ""
    include_descendants: bool = True

    @classmethod
    def from_params(cls, params: Any) -> MemberFilters:
        get = params.get
        inc = str(get("include_descendants", "1")).lower() not in {"0", "false", "no", "off"}
        return cls(
            status=get("status", "") or "", sex=get("sex", "") or "", age_band=get("age_band", "") or "",
            ethnicity=get("ethnicity", "") or "", unit_kind=get("unit_kind", "") or "", sector=get("sector", "") or "",
            q=(get("q", "") or "").strip(), include_descendants=inc,
        )  # fmt: skip

    def validate(self) -> None:
        errors = {}
        if self.status not in ("", "all") and self.status not in MemberStatus.values:
            errors["status"] = "Trạng thái lọc không hợp lệ."
        if self.sex and self.sex not in Sex.values:
            errors["sex"] = "Giới tính lọc không hợp lệ."
        if self.age_band and self.age_band not in AGE_BANDS:
            errors["age_band"] = "Nhóm tuổi lọc không hợp lệ."
        if len(self.q) > 100:
            errors["q"] = "Từ khóa tìm kiếm quá dài (tối đa 100 ký tự)."
        if errors:
            raise ValidationError(errors)

    @property
    def only_status(self) -> bool:
        """No filter but status: the total can come from the rollup."""
        return not (self.sex or self.age_band or self.ethnicity or self.unit_kind or self.sector or self.q)

    def statuses(self) -> list[str]:
        if self.status == "all":
            return list(MemberStatus.values)
        if self.status:
            return [self.status]
        return [str(s) for s in CURRENT_STATUSES]


@dataclass
class MemberPage:
    unit: Unit
    rows: list[Member]
    total: int
    page: int
    page_size: int
    filters: MemberFilters
    extra: dict = field(default_factory=dict)

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def start_index(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.total else 0

    @property
    def end_index(self) -> int:
        return (self.page - 1) * self.page_size + len(self.rows)


def _age_band_range(band: str, today: date) -> Q:
    low, high = AGE_BANDS[band]

    # age >= low  <=> born on or before today minus low years; age <= high <=> born after today - (high+1) years
    def years_ago(n: int) -> date:
        try:
            return today.replace(year=today.year - n)
        except ValueError:  # 29 February
            return today.replace(year=today.year - n, day=28)

    return Q(date_of_birth__lte=years_ago(low), date_of_birth__gt=years_ago(high + 1))


def search_q(text: str) -> Q:
    """Name (without diacritics, full-name or given-name prefix), CCCD, or phone."""
    raw = text.strip()
    digits = re.sub(r"[\s.\-+()]", "", raw)
    if digits.isdigit() and len(digits) >= 9:
        try:
            phone = Q(phone=vn.normalize_phone(raw))
        except vn.PhoneError:
            phone = None
        if len(digits) == 12:  # a CCCD, or a phone written with 84 (+84 24 3825 1234)
            return (Q(citizen_id=digits) | phone) if phone else Q(citizen_id=digits)
        if phone:
            return phone
        return Q(citizen_id__startswith=digits) if len(digits) > 10 else Q(pk__in=[])
    folded = vn.fold(raw)
    if not folded:
        return Q(pk__in=[])
    return Q(search_name__startswith=folded) | Q(search_given__startswith=folded)


def member_queryset(*, actor: Any, unit: Unit, filters: MemberFilters) -> QuerySet[Member]:
    """Members of `unit` (and, by default, its descendants) visible to `actor`, filtered."""
    if not in_scope(actor, unit):
        raise ScopeError("Đơn vị này nằm ngoài phạm vi quản lý của tài khoản.")
    filters.validate()
    qs = Member.objects.restrict(actor, "view")
    qs = qs.filter(subtree_filter(unit)) if filters.include_descendants else qs.filter(unit=unit)
    statuses = filters.statuses()
    if len(statuses) == 1:
        qs = qs.filter(status=statuses[0])
    elif len(statuses) < len(MemberStatus.values):
        qs = qs.filter(status__in=statuses)
    if filters.sex:
        qs = qs.filter(sex=filters.sex)
    if filters.age_band:
        qs = qs.filter(_age_band_range(filters.age_band, timezone.localdate()))
    if filters.ethnicity:
        qs = qs.filter(ethnicity_id=filters.ethnicity)
    if filters.unit_kind:
        qs = qs.filter(unit__kind=filters.unit_kind)
    if filters.sector:
        qs = qs.filter(unit__sector=filters.sector)
    if filters.q:
        qs = qs.filter(search_q(filters.q))
    return qs


def member_count_rollup(*, unit: Unit, statuses: list[str], include_descendants: bool = True) -> int:
    stats = MemberStat.objects.filter(status__in=statuses)
    if include_descendants and unit.depth > 0:
        stats = stats.filter(unit__path__startswith=unit.path)
    elif not include_descendants:
        stats = stats.filter(unit=unit)
    return stats.aggregate(n=Sum("count"))["n"] or 0


def member_list(*, actor: Any, unit: Unit, filters: MemberFilters, page: int = 1, page_size: int = 20) -> MemberPage:
    """One page in Vietnamese name order (tên, đệm, họ) with the total. ≤ 3 queries."""
    qs = member_queryset(actor=actor, unit=unit, filters=filters)
    if filters.only_status:
        total = member_count_rollup(
            unit=unit, statuses=filters.statuses(), include_descendants=filters.include_descendants
        )
    else:
        total = qs.count()
    page = max(1, int(page or 1))
    offset = (page - 1) * page_size
    rows = list(qs.select_related("unit", "ethnicity").order_by("sort_key", "id")[offset : offset + page_size])
    return MemberPage(unit=unit, rows=rows, total=total, page=page, page_size=page_size, filters=filters)


def member_get(*, actor: Any, pk: int, action: str = "view") -> Member:
    member = (
        Member.objects.restrict(actor, action)
        .select_related("unit", "ethnicity", "religion", "permanent_ward__province", "current_ward__province")
        .filter(pk=pk)
        .first()
    )
    if member is None:
        raise Member.DoesNotExist
    return member


def member_status_history(*, member: Member) -> QuerySet[MemberStatusRecord]:
    return MemberStatusRecord.objects.filter(member=member).select_related("actor").order_by("-effective_on", "-id")


def member_unit_history(*, member: Member) -> QuerySet[MemberUnitChange]:
    return (
        MemberUnitChange.objects.filter(member=member)
        .select_related("from_unit", "to_unit", "actor")
        .order_by("-effective_on", "-id")
    )


def member_of_account(user: Any) -> Member | None:
    if is_official(user) or not getattr(user, "member_id", None):
        return None
    return Member.objects.select_related("unit", "ethnicity", "religion").filter(pk=user.member_id).first()

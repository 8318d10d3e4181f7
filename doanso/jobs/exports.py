"""The registered exports. Each reads through its area's scoped selector with the job's owner.

| code                 | what                                                        | permission    |
| -------------------- | ----------------------------------------------------------- | ------------- |
| members              | the member list, with the list page's filters               | member.export |
| evaluation_summary   | counts and shares per grade per child unit, with the total  | member.view   |
| grades               | the list of grades of a unit's subtree for a year           | member.export |
| party_referrals      | outstanding members referred to the Party, per year         | member.export |
| dues_arrears         | members with unpaid dues months, as of a date               | member.export |
| dashboard            | every table of a unit's dashboard (subtree + child units)   | member.view   |
| periodic_report      | periodic statistics report of a unit (quarter, half, year)  | member.view   |

See `registry.py` for how to add one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from doanso.core.web import parse_vn_date

from .registry import register_export
from .writers import Column

# ---------------------------------------------------------------- members


def _member_filters(params: Mapping[str, Any]):
    from doanso.members.selectors import MemberFilters

    filters = MemberFilters.from_params(params)
    filters.validate()
    return filters


def parse_member_filters(raw: Mapping[str, Any]) -> dict:
    """The list page's filters, validated (Vietnamese messages), as a plain dict for the Job row."""
    f = _member_filters(raw)
    out = {k: getattr(f, k) for k in ("status", "sex", "age_band", "ethnicity", "unit_kind", "sector", "q")}
    out = {k: v for k, v in out.items() if v}
    if not f.include_descendants:
        out["include_descendants"] = "0"
    return out


def describe_member_filters(params: dict) -> str:
    from doanso.members.choices import AgeBand, MemberStatus, Sex

    parts = []
    if params.get("status") == "all":
        parts.append("Mọi trạng thái")
    elif params.get("status"):
        parts.append(str(MemberStatus(params["status"]).label))
    if params.get("sex"):
        parts.append(str(Sex(params["sex"]).label))
    if params.get("age_band"):
        parts.append(f"Tuổi {AgeBand(params['age_band']).label}")
    if params.get("q"):
        parts.append(f"“{params['q']}”")
    if params.get("include_descendants") == "0":
        parts.append("Chỉ trực tiếp")
    return " · ".join(parts)


MEMBER_COLUMNS = [
    Column("STT", 6, numeric=True), Column("Họ và tên", 26), Column("Ngày sinh", 11), Column("Giới tính", 8),
    Column("Dân tộc", 10), Column("Số CCCD", 14), Column("Số điện thoại", 13), Column("Chi đoàn", 26),
    Column("Trạng thái", 16), Column("Ngày vào Đoàn", 12), Column("Số thẻ đoàn viên", 14),
]  # fmt: skip


def _phone(e164: str | None) -> str:
    # "+84912345678" → "0912345678": what officials type; cheaper than phonenumbers at 200,000 rows.
    if not e164:
        return ""
    return "0" + e164[3:] if e164.startswith("+84") else e164


def member_rows(*, actor: Any, unit: Any, params: dict) -> Iterator[tuple]:
    from doanso.members.choices import MemberStatus, Sex
    from doanso.members.selectors import member_queryset

    qs = member_queryset(actor=actor, unit=unit, filters=_member_filters(params))
    sexes = {k: str(v) for k, v in Sex.choices}
    statuses = {k: str(v) for k, v in MemberStatus.choices}
    fields = (
        "full_name", "date_of_birth", "sex", "ethnicity__name", "citizen_id", "phone", "unit__name", "status",
        "admitted_on", "card_number",
    )  # fmt: skip
    rows = qs.order_by("sort_key", "id").values_list(*fields).iterator(chunk_size=2000)
    for i, (name, dob, sex, ethnicity, cccd, phone, branch, status, admitted, card) in enumerate(rows, 1):
        yield (
            i, name, dob, sexes.get(sex, sex), ethnicity, cccd, _phone(phone), branch, statuses.get(status, status),
            admitted, card,
        )  # fmt: skip


def member_count(*, actor: Any, unit: Any, params: dict) -> int:
    from doanso.members.selectors import member_count_rollup, member_queryset

    filters = _member_filters(params)
    if filters.only_status:
        return member_count_rollup(
            unit=unit, statuses=filters.statuses(), include_descendants=filters.include_descendants
        )
    return member_queryset(actor=actor, unit=unit, filters=filters).count()


register_export(
    "members", label="Danh sách đoàn viên", perm="member.export", columns=MEMBER_COLUMNS, rows=member_rows,
    count=member_count, parse=parse_member_filters, describe=describe_member_filters,
)  # fmt: skip


# ---------------------------------------------------------------- evaluation (year)


def parse_year(raw: Mapping[str, Any]) -> dict:
    text = str(raw.get("year") or "").strip()
    this_year = timezone.localdate().year
    if not text.isdigit() or not (2000 <= int(text) <= this_year + 1):
        raise ValidationError({"year": f"Năm không hợp lệ: nhập một năm từ 2000 đến {this_year + 1}."})
    return {"year": int(text)}


def parse_year_stage(raw: Mapping[str, Any]) -> dict:
    out = parse_year(raw)
    stage = str(raw.get("stage") or "approved")
    if stage not in ("approved", "proposed", "all"):
        raise ValidationError({"stage": "Bước xếp loại không hợp lệ (approved, proposed hoặc all)."})
    if stage != "approved":
        out["stage"] = stage
    return out


def describe_year(params: dict) -> str:
    text = f"Năm {params['year']}"
    if params.get("stage") == "proposed":
        text += " · Chi đoàn đề xuất (chưa phê duyệt)"
    elif params.get("stage") == "all":
        text += " · Đã phê duyệt và đề xuất"
    return text


def _grade_codes() -> list[tuple[str, str]]:
    from doanso.evaluation.choices import GRADE_SHORT, GRADES

    return [(g, GRADE_SHORT[g]) for g in GRADES]


def summary_columns(params: dict) -> list[Column]:
    cols = [Column("STT", 5, numeric=True), Column("Đơn vị", 34), Column("Tổng số", 10, numeric=True)]
    for _, short in _grade_codes():
        cols += [Column(f"{short} (SL)", 9, numeric=True), Column(f"{short} (%)", 8, numeric=True)]
    return cols


def _summary_line(n: Any, name: str, counts: dict[str, int]) -> tuple:
    total = sum(counts.values())
    line: list[Any] = [n, name, total]
    for grade, _ in _grade_codes():
        line += [counts.get(grade, 0), round(100 * counts.get(grade, 0) / total, 1) if total else 0.0]
    return tuple(line)


def summary_rows(*, actor: Any, unit: Any, params: dict) -> Iterator[tuple]:
    """One line per child unit, the unit's own members (when it holds some), then the total line."""
    from doanso.evaluation.selectors import grade_counts

    data = grade_counts(actor=actor, unit=unit, year=params["year"], stage=params.get("stage", "approved"))
    n = 0
    for child, counts in data["children"]:
        n += 1
        yield _summary_line(n, child.name, counts)
    if sum(data["own"].values()):
        n += 1
        yield _summary_line(n, f"{unit.name} (trực tiếp)", data["own"])
    yield _summary_line("", "Tổng cộng", data["total"])


register_export(
    "evaluation_summary", label="Tổng hợp kết quả xếp loại đoàn viên", perm="member.view", columns=summary_columns,
    rows=summary_rows, parse=parse_year_stage, describe=describe_year, personal=False,
)  # fmt: skip


GRADE_COLUMNS = [
    Column("STT", 6, numeric=True), Column("Họ và tên", 26), Column("Ngày sinh", 11), Column("Giới tính", 8),
    Column("Số CCCD", 14), Column("Chi đoàn", 28), Column("Xếp loại", 8), Column("Kết quả xếp loại", 28),
    Column("Tự xếp loại", 10), Column("Giải trình", 30), Column("Ngày phê duyệt", 12),
]  # fmt: skip


def grade_rows(*, actor: Any, unit: Any, params: dict) -> Iterator[tuple]:
    from doanso.evaluation import selectors

    short = dict(_grade_codes())
    sexes = {"M": "Nam", "F": "Nữ"}
    rows = selectors.grade_rows(actor=actor, unit=unit, year=params["year"], stage=params.get("stage", "approved"))
    for i, r in enumerate(rows, 1):
        approved = timezone.localtime(r.approved_at).date() if r.approved_at else None
        yield (
            i, r.full_name, r.date_of_birth, sexes.get(r.sex, r.sex), r.citizen_id_masked, r.branch_name,
            r.grade_short, r.grade_label, short.get(r.self_grade, ""), r.justification, approved,
        )  # fmt: skip


def grade_count(*, actor: Any, unit: Any, params: dict) -> int:
    """From the live rollup (exact by design): the progress bar's total, not the file's content."""
    from doanso.evaluation.selectors import grade_counts

    data = grade_counts(actor=actor, unit=unit, year=params["year"], stage=params.get("stage", "approved"))
    return sum(data["total"].values())


register_export(
    "grades", label="Danh sách xếp loại đoàn viên", perm="member.export", columns=GRADE_COLUMNS, rows=grade_rows,
    count=grade_count, parse=parse_year_stage, describe=describe_year,
)  # fmt: skip


def parse_as_of(raw: Mapping[str, Any]) -> dict:
    text = str(raw.get("as_of") or "").strip()
    if not text:
        return {"as_of": timezone.localdate().isoformat()}
    day = parse_vn_date(text)
    if day is None:
        raise ValidationError({"as_of": "Ngày tính nợ không hợp lệ, hãy nhập theo dạng dd/mm/yyyy."})
    if day > timezone.localdate():
        raise ValidationError({"as_of": "Ngày tính nợ không được sau hôm nay."})
    return {"as_of": day.isoformat()}


def as_of(params: dict) -> date:
    return date.fromisoformat(params["as_of"])


# ---------------------------------------------------------------- Party referrals (year)


def referral_columns(params: dict) -> list[Column]:
    from doanso.procedures.selectors import ROW_COLUMNS

    wide = {"member_name": 24, "branch": 24, "grassroots": 24, "party_cell": 20, "state_label": 18}
    return [Column("STT", 5, numeric=True)] + [Column(label, wide.get(key, 12)) for key, label in ROW_COLUMNS]


def referral_rows(*, actor: Any, unit: Any, params: dict) -> Iterator[tuple]:
    from doanso.procedures.selectors import ROW_COLUMNS, party_referral_rows

    keys = [key for key, _ in ROW_COLUMNS]
    for i, row in enumerate(party_referral_rows(actor=actor, unit=unit, year=params["year"]), 1):
        yield (i, *(("Chậm" if row[k] else "") if k == "stalled" else row.get(k, "") for k in keys))


register_export(
    "party_referrals", label="Danh sách đoàn viên ưu tú giới thiệu cho Đảng", perm="member.export",
    columns=referral_columns, rows=referral_rows, parse=parse_year, describe=describe_year,
)  # fmt: skip


# ---------------------------------------------------------------- dues arrears (as of a date)


def parse_arrears(raw: Mapping[str, Any]) -> dict:
    out = parse_as_of(raw)
    if str(raw.get("all") or "") in ("1", "true", "on"):
        out["all"] = "1"  # every current member, not only those owing
    return out


def describe_arrears(params: dict) -> str:
    text = f"Tính đến tháng {as_of(params).strftime('%m/%Y')}"
    return text + (" · Tất cả đoàn viên" if params.get("all") else " · Đoàn viên còn nợ")


ARREARS_COLUMNS = [
    Column("STT", 6, numeric=True), Column("Họ và tên", 26), Column("Số CCCD", 14), Column("Chi đoàn", 26),
    Column("Đối tượng", 16), Column("Mức đóng/tháng (đồng)", 12, numeric=True),
    Column("Số tháng phải đóng", 10, numeric=True), Column("Số tháng đã đóng", 10, numeric=True),
    Column("Số tháng chưa đóng", 10, numeric=True), Column("Các tháng chưa đóng", 30),
    Column("Số tiền chưa đóng (đồng)", 13, numeric=True), Column("Đã đóng đến tháng", 11),
]  # fmt: skip


def _months_text(months: list[date], limit: int = 24) -> str:
    text = ", ".join(m.strftime("%m/%Y") for m in months[:limit])
    return text + (f" … (+{len(months) - limit})" if len(months) > limit else "")


def arrears_export_rows(*, actor: Any, unit: Any, params: dict) -> Iterator[tuple]:
    from doanso.dues.selectors import arrears_rows

    rows = arrears_rows(actor=actor, unit=unit, as_of=as_of(params), action="export", only_owing=not params.get("all"))
    for i, r in enumerate(rows, 1):
        yield (
            i, r.full_name, r.citizen_id, r.unit_name, r.category_label, r.rate, r.months_due, r.months_paid,
            r.months_unpaid, _months_text(r.unpaid), r.amount_unpaid, r.last_paid.strftime("%m/%Y") if r.last_paid else "",
        )  # fmt: skip


register_export(
    "dues_arrears", label="Danh sách đoàn viên nợ đoàn phí", perm="member.export", columns=ARREARS_COLUMNS,
    rows=arrears_export_rows, parse=parse_arrears, describe=describe_arrears,
)  # fmt: skip


# ---------------------------------------------------------------- periodic report (doanso/reports)


def _periodic(name: str):
    def call(*args: Any, **kwargs: Any) -> Any:
        from doanso.reports import exports as periodic

        return getattr(periodic, name)(*args, **kwargs)

    return call


register_export(
    "periodic_report", label="Báo cáo thống kê đoàn viên", perm="member.view", columns=_periodic("columns"),
    rows=_periodic("rows"), parse=_periodic("parse"), describe=_periodic("describe"), write=_periodic("write"),
    formats=("xlsx", "pdf"), personal=False,
)  # fmt: skip


# ---------------------------------------------------------------- dashboard


DASHBOARD_COLUMNS = [
    Column("STT", 5, numeric=True), Column("Bảng", 30), Column("Đơn vị", 34), Column("Chỉ tiêu", 22),
    Column("Số lượng", 10, numeric=True), Column("Tỉ lệ (%)", 9, numeric=True),
]  # fmt: skip


def dashboard_rows(*, actor: Any, unit: Any, params: dict) -> Iterator[tuple]:
    """Every table of the dashboard, one line per (unit, figure): the subtree first, then each child unit."""
    from doanso.dashboards import selectors

    figures = selectors.dashboard_figures(actor=actor, unit=unit, year=params["year"])
    n = 0
    for table in selectors.dashboard_tables(figures):
        lines = [(f"Toàn {unit.name}", table.total)] + [(r.unit.name, r.values) for r in table.rows]
        for name, values in lines:
            total = sum(values)
            for (_, label), count in zip(table.columns, values, strict=True):
                n += 1
                share = round(100 * count / total, 1) if table.stacked and total else None
                yield (n, table.title, name, label, count, share)
    for month, counts in selectors.dashboard_trend(figures):
        for kind, count in zip(selectors.MAIN_EVENTS, counts, strict=True):
            n += 1
            yield (n, f"Biến động theo tháng năm {figures.year}", month, selectors.EVENT_LABELS[kind], count, None)


register_export(
    "dashboard", label="Tổng quan số liệu đoàn viên", perm="member.view", columns=DASHBOARD_COLUMNS,
    rows=dashboard_rows, parse=parse_year, describe=describe_year, formats=("xlsx", "pdf"), personal=False,
)  # fmt: skip

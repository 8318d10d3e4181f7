"""The periodic report: the tree as it was on the period's last day, figures from the dated records."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from doanso.core.scope import ScopeError
from doanso.organisations.models import Unit
from doanso.reports.periods import Period, default_period, parts_for, period_parse
from doanso.reports.selectors import periodic_report, report_size

from .helpers import MERGED_ON, Q2, Q3, TODAY, Y2026, direct_count, tell_story

pytestmark = pytest.mark.django_db


def rows_by_name(report):
    return {r.unit.name: r for r in report.rows}


def test_q2_shows_the_merged_commune_under_its_old_parent_and_q3_shows_it_merged(cast):
    tell_story(cast)
    q2 = periodic_report(actor=cast.users["p1"], unit=cast.p1, period=Q2, today=TODAY)
    rows = rows_by_name(q2)
    assert list(rows) == ["Đoàn phường Long Xuyên", "Đoàn xã Mỹ Hòa"]
    lx = rows["Đoàn phường Long Xuyên"]
    assert lx.note == f"Đã hợp nhất {MERGED_ON:%d/%m/%Y}"
    # its own figures: 6 members at the start, one removed in May
    assert (lx.figures["start"], lx.figures["end"], lx.figures["removed"]) == (6, 5, 1)
    mh = rows["Đoàn xã Mỹ Hòa"].figures
    # Mỹ Hòa: the member who left for Cà Mau in May counts there at the end of Q2; one admitted in May
    assert (mh["start"], mh["end"], mh["admitted"], mh["transfer_out"], mh["transfer_in"]) == (5, 6, 1, 1, 0)
    assert (mh["female"], mh["minority"], mh["religion"]) == (4, 1, 1)
    assert q2.total["end"] == 11 and q2.complete

    q3 = periodic_report(actor=cast.users["p1"], unit=cast.p1, period=Q3, today=TODAY)
    assert [r.unit.name for r in q3.rows] == ["Đoàn xã Mỹ Hòa"]
    assert q3.rows[0].figures["aged_out"] == 1 and q3.total["end"] == 5
    # … and in Cà Mau the merged branches now count under Tân Thành.
    ca_mau = periodic_report(actor=cast.users["p2"], unit=cast.p2, period=Q3, today=TODAY)
    tt = rows_by_name(ca_mau)["Đoàn xã Tân Thành"].figures
    assert tt["end"] == 6 + 1 + 5 and tt["start"] == 6 + 1 + 5


def test_the_central_report_reproduces_the_tree_and_totals_add_up(cast):
    tell_story(cast)
    for period, p1_end, p2_end in ((Q2, 11, 13), (Q3, 5, 18)):
        report = periodic_report(actor=cast.users["central"], unit=cast.tw, period=period, today=TODAY)
        rows = rows_by_name(report)
        assert rows["Tỉnh đoàn An Giang"].figures["end"] == p1_end
        assert rows["Tỉnh đoàn Cà Mau"].figures["end"] == p2_end
        for key in report.total:
            assert report.total[key] == sum(r.figures[key] for r in report.rows), key
    # The Q2 transfer between provinces is out of one and into the other; a move inside a row is neither.
    q2 = rows_by_name(periodic_report(actor=cast.users["central"], unit=cast.tw, period=Q2, today=TODAY))
    assert q2["Tỉnh đoàn An Giang"].figures["transfer_out"] == 1
    assert q2["Tỉnh đoàn Cà Mau"].figures["transfer_in"] == 1


@pytest.mark.parametrize("period", [Q2, Q3])
def test_members_at_start_and_end_match_a_direct_count(cast, period):
    tell_story(cast)
    for root in (cast.tw, cast.p1, cast.p2):
        report = periodic_report(actor=cast.users["central"], unit=root, period=period, today=TODAY)
        for row in report.rows:
            end = direct_count(root, row.unit, period.end, status_day=period.end)
            start = direct_count(root, row.unit, period.end, status_day=period.start - timedelta(days=1))
            assert (row.figures["start"], row.figures["end"]) == (start, end), (root.name, row.unit.name)


def test_grassroots_rows_are_branches_and_a_branch_reports_on_itself(cast):
    tell_story(cast)
    commune = periodic_report(actor=cast.users["c11"], unit=cast.c11, period=Q2, today=TODAY)
    assert {r.unit.pk for r in commune.rows} == {cast.b111.pk, cast.b112.pk}
    branch = periodic_report(actor=cast.users["b111"], unit=cast.b111, period=Q2, today=TODAY)
    assert [r.unit.pk for r in branch.rows] == [cast.b111.pk] and not branch.rows[0].direct
    assert branch.total["end"] == 3  # 3 − 1 transferred + 1 admitted


def test_yearly_report_has_grades_referrals_and_dues(cast):
    from doanso.dues.models import Forwarding
    from doanso.evaluation.models import Evaluation, EvaluationRound

    tell_story(cast)
    rnd = EvaluationRound.objects.create(unit=cast.c11, year=2026, opened_by=cast.users["c11"])
    for member, grade in ((cast.m_b111_0, "excellent"), (cast.m_b111_1, "good"), (cast.m_b112_1, "good")):
        Evaluation.objects.create(
            round=rnd, member=member, year=2026, branch=member.unit, unit_path=member.unit_path, stage="approved",
            grade=grade,
        )  # fmt: skip
    Forwarding.objects.create(
        unit=cast.c11, parent=cast.p1, period_start=date(2026, 4, 1), period_months=3, own_collected=30_000,
        received=60_000, collected=90_000, kept=60_000, forwarded=30_000, kept_thirds=2,
        recorded_by=cast.users["c11"],
    )  # fmt: skip
    Forwarding.objects.create(
        unit=cast.c11, parent=cast.p1, period_start=date(2025, 10, 1), period_months=3, own_collected=9,
        received=0, collected=9, kept=6, forwarded=3, kept_thirds=2, recorded_by=cast.users["c11"],
    )  # fmt: skip
    from doanso.procedures import referral

    referral.referral_nominate(
        actor=cast.users["b111"], member=cast.m_b111_1, meeting_on="12/03/2026", resolution="NQ 01"
    )
    year = periodic_report(actor=cast.users["p1"], unit=cast.p1, period=Y2026, today=TODAY)
    mh = rows_by_name(year)["Đoàn xã Mỹ Hòa"].figures
    assert (mh["excellent"], mh["good"], mh["done"], mh["failed"]) == (1, 2, 0, 0)
    assert (mh["dues_collected"], mh["dues_forwarded"]) == (90_000, 30_000)  # 2025's Q4 is not in 2026
    assert mh["referred"] == 1
    # grades only in the yearly report; the nomination of March is in Q1, not in Q2
    q2 = periodic_report(actor=cast.users["p1"], unit=cast.p1, period=Q2, today=TODAY)
    assert "excellent" not in q2.total and q2.total["referred"] == 0
    assert rows_by_name(q2)["Đoàn xã Mỹ Hòa"].figures["dues_collected"] == 90_000


def test_a_running_period_is_counted_to_today(cast):
    report = periodic_report(actor=cast.users["p1"], unit=cast.p1, period=Period(2026, "Q4"), today=TODAY)
    assert report.as_of == TODAY and not report.complete and report.total["end"] == 12


def test_sibling_commune_cannot_get_another_subtree_report(cast):
    with pytest.raises(Unit.DoesNotExist):
        periodic_report(actor=cast.users["c21"], unit=cast.c11, period=Q2, today=TODAY)
    with pytest.raises(Unit.DoesNotExist):
        periodic_report(actor=cast.users["c11"], unit=cast.p1, period=Q2, today=TODAY)
    with pytest.raises(ScopeError):
        periodic_report(actor=cast.users["member_b111"], unit=cast.b111, period=Q2, today=TODAY)


def test_report_size_reads_the_rollup(cast):
    assert report_size(actor=cast.users["p1"], unit=cast.p1) == 12
    with pytest.raises(Unit.DoesNotExist):
        report_size(actor=cast.users["c21"], unit=cast.c11)


# ---------------------------------------------------------------- periods


def test_period_parse_and_labels():
    today = date(2026, 11, 24)
    q2 = period_parse("2026-q2", unit_kind="grassroots", today=today)
    assert (q2.start, q2.end, q2.label, q2.code) == (date(2026, 4, 1), date(2026, 6, 30), "Quý II/2026", "2026-Q2")
    h2 = period_parse("2026-H2", unit_kind="province", today=today)
    assert (h2.start, h2.end, h2.label) == (date(2026, 7, 1), date(2026, 12, 31), "6 tháng cuối năm 2026")
    y = period_parse("2025-Y", unit_kind="province", today=today)
    assert (y.start, y.end, y.is_yearly) == (date(2025, 1, 1), date(2025, 12, 31), True)
    assert period_parse("2024-Q1", unit_kind="province", today=today).end == date(2024, 3, 31)
    assert parts_for("branch") == ["Q1", "Q2", "Q3", "Q4"] and "Y" in parts_for("province")
    assert default_period(unit_kind="grassroots", today=today) == Period(2026, "Q3")
    assert default_period(unit_kind="province", today=today) == Period(2026, "H1")
    assert default_period(unit_kind="branch", today=date(2026, 2, 1)) == Period(2025, "Q4")


def test_period_in_the_future_or_off_cadence_is_refused_in_vietnamese():
    today = date(2026, 11, 24)
    with pytest.raises(ValidationError) as exc:
        period_parse("2027-Q1", unit_kind="province", today=today)
    assert "chưa bắt đầu" in exc.value.message_dict["period"][0]
    with pytest.raises(ValidationError) as exc:
        period_parse("2026-Y", unit_kind="grassroots", today=today)
    assert "theo quý" in exc.value.message_dict["period"][0]
    with pytest.raises(ValidationError) as exc:
        period_parse("Q2/2026", unit_kind="province", today=today)
    assert "2026-Q2" in exc.value.message_dict["period"][0]

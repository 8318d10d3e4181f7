"""Each dashboard figure against a direct query on the cast; scope."""

from collections import Counter
from datetime import date

import pytest
from django.utils import timezone

from conftest import member_data
from doanso.core.scope import ScopeError
from doanso.dashboards import selectors
from doanso.members import services as members

from .helpers import direct, direct_events

pytestmark = pytest.mark.django_db


def table(tables, code):
    return next(t for t in tables if t.code == code)


def as_dict(t, values):
    return {k: n for (k, _), n in zip(t.columns, values, strict=True) if n}


def test_province_figures_equal_direct_queries(cast):
    members.member_update(actor=cast.users["c11"], member=cast.members["m_b111_1"], data={"ethnicity": "04"})
    figures = selectors.dashboard_figures(actor=cast.users["p1"], unit=cast.p1)
    tables = selectors.dashboard_tables(figures)
    assert [r.unit for r in table(tables, "sex").rows] == [cast.c12, cast.c11]  # by name
    for code in ("status", "sex", "eth", "rel"):
        t = table(tables, code)
        assert as_dict(t, t.total) == dict(direct(cast.p1, code)), code
        for row in t.rows:
            assert as_dict(t, row.values) == dict(direct(row.unit, code)), (code, row.unit)
    this_year = timezone.localdate().year
    age = table(tables, "age")
    bands = Counter(selectors.age_band(int(y), this_year) for y, n in direct(cast.p1, "born").items() for _ in range(n))
    assert as_dict(age, age.total) == dict(bands)
    assert table(tables, "party").total == [0, 12]


def test_national_is_the_sum_of_the_provinces(cast):
    figures = selectors.dashboard_figures(actor=cast.users["central"], unit=cast.tw)
    sex = table(selectors.dashboard_tables(figures), "sex")
    assert [r.unit for r in sex.rows] == [cast.p1, cast.p2]
    assert as_dict(sex, sex.total) == dict(direct(cast.tw, "sex"))
    assert sex.grand == 24


def test_events_of_the_year_and_by_month(cast):
    today = timezone.localdate()
    members.member_create(
        actor=cast.users["c11"], unit=cast.b112, accept_warnings=True,
        data=member_data("Đinh Thị Hoa", dob=date(today.year - 17, 1, 2), sex="F", admitted_on=today),
    )  # fmt: skip
    members.member_change_status(actor=cast.users["c12"], member=cast.members["m_b121_0"], status="removed",
                                 effective_on=today, reason="Bỏ sinh hoạt")  # fmt: skip
    members.members_relocate(actor=cast.users["central"], member_ids=[cast.members["m_b211_0"].pk],
                             to_unit=cast.b111, on=today, reason="Chuyển sinh hoạt")  # fmt: skip
    figures = selectors.dashboard_figures(actor=cast.users["p1"], unit=cast.p1)
    events = table(selectors.dashboard_tables(figures), "events")
    assert as_dict(events, events.total) == dict(direct_events(cast.p1, today.year))
    assert as_dict(events, events.total) == {"admitted": 1, "removed": 1, "transfer_in": 1}
    by_child = {r.unit: as_dict(events, r.values) for r in events.rows}
    assert by_child[cast.c11] == {"admitted": 1, "transfer_in": 1} and by_child[cast.c12] == {"removed": 1}
    trend = dict(selectors.dashboard_trend(figures))
    assert trend[f"{today.month:02d}/{today.year}"] == [1, 1, 0, 0, 1]
    assert sum(sum(v) for v in trend.values()) == 3
    last_year = selectors.dashboard_figures(actor=cast.users["p1"], unit=cast.p1, year=today.year - 1)
    assert sum(table(selectors.dashboard_tables(last_year), "events").total) == 0


def test_branch_has_no_children_and_its_own_figures(cast):
    figures = selectors.dashboard_figures(actor=cast.users["b111"], unit=cast.b111)
    sex = table(selectors.dashboard_tables(figures), "sex")
    assert sex.rows == [] and sex.grand == 3


def test_sibling_subtree_is_refused(cast):
    with pytest.raises(ScopeError):
        selectors.dashboard_figures(actor=cast.users["c11"], unit=cast.c12)
    with pytest.raises(ScopeError):
        selectors.dashboard_figures(actor=cast.users["p2"], unit=cast.p1)


def test_grades_absent_without_rounds(cast):
    assert selectors.dashboard_grades(actor=cast.users["p1"], unit=cast.p1) is None


def test_query_count(cast, django_assert_max_num_queries):
    figures = None
    with django_assert_max_num_queries(7):
        figures = selectors.dashboard_figures(actor=cast.users["central"], unit=cast.tw)
        selectors.dashboard_tables(figures)

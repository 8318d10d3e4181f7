"""The demo the README promises: real places, valid people, exact rollups, one login per level."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count

from doanso.core import vn
from doanso.members.models import Member, MemberStat
from doanso.members.services import clean_member_data
from doanso.organisations.models import Unit

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_valid_province_with_logins():
    call_command("seed_demo", "--if-empty", stdout=StringIO())
    assert 2500 <= Member.objects.count() <= 6000
    kinds = set(Unit.objects.values_list("kind", flat=True))
    assert {
        "central",
        "province",
        "grassroots",
        "faculty_union",
        "intermediate",
        "branch",
        "grassroots_branch",
    } <= kinds
    assert Unit.objects.filter(ward__isnull=False, kind="grassroots").count() >= 16
    # Paths and depths agree with parents; child counts are exact.
    for unit in Unit.objects.select_related("parent"):
        if unit.parent:
            assert unit.path == f"{unit.parent.path}{unit.pk}/" and unit.depth == unit.parent.depth + 1
        assert unit.child_count == Unit.objects.filter(parent=unit, closed_on__isnull=True).count()
    # Every person passes the same validation a form would apply, with derived fields as the model computes them.
    for m in Member.objects.order_by("?")[:300]:
        data = {f: getattr(m, f) for f in ("full_name", "date_of_birth", "sex", "citizen_id", "admitted_on")}
        data.update(ethnicity=m.ethnicity_id, religion=m.religion_id, phone=m.phone)
        clean_member_data(data, accept_warnings=False)
        probe = Member(full_name=m.full_name)
        probe.set_derived_name_fields()
        assert (probe.sort_key, probe.search_name) == (m.sort_key, m.search_name)
        assert vn.check_citizen_id(m.citizen_id, m.date_of_birth, m.sex).warnings == []
    # The rollup equals a GROUP BY.
    real = {
        (r["unit_id"], r["status"]): r["n"] for r in Member.objects.values("unit_id", "status").annotate(n=Count("id"))
    }
    assert {(s.unit_id, s.status): s.count for s in MemberStat.objects.exclude(count=0)} == real
    # Each printed login works.
    out = StringIO()
    call_command("demo_logins", stdout=out)
    lines = [line.split()[0] for line in out.getvalue().splitlines() if line.startswith("  ")]
    assert len(lines) == 7
    for login in lines:
        assert authenticate(username=login, password="Doanso@2026") is not None, login
    # Running it again changes nothing.
    count = Member.objects.count()
    call_command("seed_demo", "--if-empty", stdout=StringIO())
    assert Member.objects.count() == count

"""Two officials approve the same case at the same moment: exactly one wins (PostgreSQL, two connections)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from doanso.members.models import Member
from doanso.procedures import services
from doanso.procedures.models import CaseStep

from .test_admission import approve_data, register, vote

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two real connections (PostgreSQL)"),
]


def test_concurrent_approvals_one_wins():
    from conftest import build_cast

    cast = build_cast()
    y = register(cast)
    case = services.admission_open(actor=cast.users["b111"], unit=cast.b111, youths=[y])
    services.case_act(actor=cast.users["b111"], case=case, action="vote", data=vote(case, {y.pk: 9}))
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(user):
        from django.db import connections

        try:
            barrier.wait()
            services.case_act(actor=user, case=case, action="approve", data=approve_data())
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (cast.users["c11"], cast.users["c11_deputy"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[0].startswith("Hồ sơ đang ở bước") and outcomes.count("ok") == 1
    assert Member.objects.filter(citizen_id=y.citizen_id).count() == 1
    assert CaseStep.objects.filter(case=case, action="approve").count() == 1

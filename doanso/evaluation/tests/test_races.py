"""Two officials approve the same round at the same moment: exactly one wins (PostgreSQL, two connections)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from doanso.evaluation import services
from doanso.evaluation.choices import Stage
from doanso.evaluation.models import Evaluation, EvaluationRound

from .helpers import open_round, propose_all, recount, rollup

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two real connections (PostgreSQL)"),
]


def test_concurrent_round_approvals_one_wins():
    from conftest import build_cast

    cast = build_cast()
    rnd = open_round(cast)
    propose_all(cast, rnd, cast.b111)
    propose_all(cast, rnd, cast.b112)
    rnd.refresh_from_db()
    version = rnd.version
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(user):
        from django.db import connections

        try:
            barrier.wait()
            services.round_approve(actor=user, rnd=rnd, version=version)
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
    assert outcomes.count("ok") == 1, outcomes
    loser = next(o for o in outcomes if o != "ok")
    assert "đã được phê duyệt và khóa" in loser
    assert EvaluationRound.objects.get(pk=rnd.pk).version == version + 1
    assert Evaluation.objects.filter(stage=Stage.APPROVED).count() == 6
    assert rollup() == recount()

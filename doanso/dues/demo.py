"""Demo dues for the An Giang demo commune (login `xa`): a few months of payments, some arrears,
a correction, a member abroad, and closed periods forwarded up to the province.

Called by `seed_demo` after the demo tree, members and accounts exist:

    from doanso.dues import demo as dues_demo
    dues_demo.seed(today=timezone.localdate(), rnd=random.Random(2026))
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from doanso.accounts.models import User
from doanso.members.models import Member
from doanso.organisations.choices import MEMBER_HOLDING_KINDS
from doanso.organisations.models import Unit

from . import services
from .months import month_add, month_of

MONTHS = 4  # months of history before the current one


def seed(*, today: date, rnd: random.Random, commune_username: str = "xa") -> dict[str, int]:
    """Add dues to the demo: returns counts (entries, forwardings). Uses the services, so every rule holds."""
    actor = User.objects.select_related("unit", "role").get(username=commune_username)
    commune = actor.unit
    this = month_of(today)
    first = month_add(this, -MONTHS)
    services.ledger_start_set(actor=actor, unit=commune, month=first)
    branches = list(Unit.objects.filter(parent=commune, kind__in=MEMBER_HOLDING_KINDS).order_by("code"))
    entries = 0
    stragglers: set[int] = set()
    for branch in branches:
        members = list(Member.objects.filter(unit=branch, status="active").order_by("pk"))
        # About one in eight stops paying at some point (arrears; some reach the removal trigger).
        stragglers |= {m.pk for m in members if rnd.random() < 0.12}
        for n in range(MONTHS + 1):
            month = month_add(first, n)
            payers = [
                m.pk
                for m in members
                if (m.admitted_on is None or month_of(m.admitted_on) <= month)
                and not (m.pk in stragglers and n >= rnd.randint(0, 2))
                and rnd.random() < (0.97 if n < MONTHS else 0.6)  # the current month is still being collected
            ]
            if not payers:
                continue
            paid_on = min(month + timedelta(days=rnd.randint(4, 24)), today)
            entries += len(services.dues_record(actor=actor, unit=branch, month=month, members=payers, paid_on=paid_on))
    # A mistake corrected: one payment reversed and recorded again at the right amount.
    from .models import DuesEntry

    wrong = DuesEntry.objects.filter(unit__in=branches, first_month=month_add(this, -1)).order_by("pk").first()
    if wrong is not None:
        services.dues_payment_correct(
            actor=actor, entry=wrong, reason="Ghi nhầm số tiền", amount=wrong.amount // wrong.months + 1000
        )
        entries += 2
    # A member working abroad pays the abroad minimum.
    abroad = (
        Member.objects.filter(unit__in=branches, status="active").exclude(pk__in=stragglers).order_by("-pk").first()
    )
    if abroad is not None:
        services.dues_category_set(actor=actor, member=abroad, category="abroad", note="Lao động tại Hàn Quốc")
    # Branches and the commune closed the older months; last month is left for the demo user to close.
    forwardings = 0
    for n in range(MONTHS - 1):
        month = month_add(first, n)
        for branch in branches:
            services.forwarding_record(actor=actor, unit=branch, period_start=month, note="Nộp tiền mặt")
            forwardings += 1
        services.forwarding_record(actor=actor, unit=commune, period_start=month, note="Chuyển khoản")
        forwardings += 1
    return {"entries": entries, "forwardings": forwardings}

"""Reads of the self-improvement programme. Every actor-facing selector starts from the actor's scope."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from doanso.core import audit
from doanso.members.models import Member
from doanso.organisations.models import Unit

from .choices import RegistrationState
from .models import Programme, Registration, Reminder

CHUNK = 900


def programme_results(*, year: int, member_ids: Iterable[int]) -> dict[int, str]:
    """Confirmed year-end result level per member (`excellent`/`good`/`done`/`failed`).

    Only results the branch has confirmed; members without one are absent. Not scoped: the caller
    (the evaluation round) has already limited `member_ids` to members the actor may see.
    """
    ids = list(member_ids)
    out: dict[int, str] = {}
    for start in range(0, len(ids), CHUNK):  # stay under SQLite's bound-parameter limit
        rows = Registration.objects.filter(
            year=year, member_id__in=ids[start : start + CHUNK], state=RegistrationState.ASSESSED
        ).exclude(result="")
        out.update(rows.values_list("member_id", "result"))
    return out


# ---------------------------------------------------------------- actor-facing reads


@dataclass
class BranchRow:
    member: Member
    registration: Registration | None
    last_reminder: Reminder | None = None

    @property
    def registered(self) -> bool:
        return self.registration is not None


@dataclass
class BranchStatus:
    unit: Unit
    year: int
    programme: Programme | None
    rows: list[BranchRow] = field(default_factory=list)

    @property
    def registered_count(self) -> int:
        return sum(1 for r in self.rows if r.registered)

    @property
    def not_registered_count(self) -> int:
        return len(self.rows) - self.registered_count

    @property
    def assessed_count(self) -> int:
        return sum(1 for r in self.rows if r.registration and r.registration.state == RegistrationState.ASSESSED)


def programme_list(*, actor: Any) -> QuerySet[Programme]:
    return Programme.objects.restrict(actor, "view").select_related("unit").order_by("-year", "unit__path")


def programme_get(*, actor: Any, pk: int) -> Programme:
    return programme_list(actor=actor).prefetch_related("areas").get(pk=pk)


def programme_applicable(*, actor: Any, unit: Unit, year: int) -> Programme | None:
    """The programme that applies to a unit the actor may see (the nearest ancestor's)."""
    from .services import programme_for

    if not Unit.objects.restrict(actor, "view").filter(pk=unit.pk).exists():
        raise Unit.DoesNotExist
    return programme_for(unit=unit, year=year)


def branch_status(*, actor: Any, unit: Unit, year: int) -> BranchStatus:
    """Who in a branch has registered for the year, who has not, who was reminded — in name order."""
    from .services import programme_for

    members = list(Member.objects.restrict(actor, "view").filter(unit=unit, status="active").order_by("sort_key", "id"))
    ids = [m.pk for m in members]
    regs = {
        r.member_id: r
        for r in Registration.objects.filter(member_id__in=ids, year=year).prefetch_related("targets__area")
    }
    reminders: dict[int, Reminder] = {}
    for r in Reminder.objects.filter(member_id__in=ids, year=year).order_by("created_at", "id"):
        reminders[r.member_id] = r  # the latest wins
    return BranchStatus(
        unit=unit,
        year=year,
        programme=programme_for(unit=unit, year=year),
        rows=[BranchRow(m, regs.get(m.pk), reminders.get(m.pk)) for m in members],
    )


@dataclass
class MemberTraining:
    member: Member
    year: int
    programme: Programme | None
    registration: Registration | None
    reminders: list[Reminder]
    history: list[Registration]


def member_training(*, actor: Any, member: Member, year: int) -> MemberTraining:
    """The member's own programme page (or an official's view of one member in scope)."""
    from .services import programme_for

    if not Member.objects.restrict(actor, "view").filter(pk=member.pk).exists():
        raise Member.DoesNotExist
    registration = Registration.objects.filter(member=member, year=year).prefetch_related("targets__area").first()
    programme = registration.programme if registration else programme_for(unit=member.unit, year=year)
    return MemberTraining(
        member=member,
        year=year,
        programme=programme,
        registration=registration,
        reminders=list(Reminder.objects.filter(member=member, read_at__isnull=True)[:5]),
        history=list(Registration.objects.filter(member=member, year__lt=year).order_by("-year")[:5]),
    )


def registration_history(*, actor: Any, registration: Registration) -> QuerySet:
    if not Registration.objects.restrict(actor, "view").filter(pk=registration.pk).exists():
        raise Registration.DoesNotExist
    return audit.history_of(registration)

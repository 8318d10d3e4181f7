"""Template pieces of the evaluation: the grade on a member's record and in the e-member book."""

from __future__ import annotations

from django import template

from doanso.core.scope import has_perm

from .. import selectors
from ..choices import GRADE_SHORT, Grade, SheetState, Stage

register = template.Library()


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.inclusion_tag("evaluation/partials/member_grades.html", takes_context=True)
def member_grades(context, member):
    """Grades by year (with corrections) on an official's view of a member's record."""
    actor = context["request"].user
    grades = selectors.member_grades(actor=actor, member=member)
    for ev in grades:
        ev.can_correct = ev.stage == Stage.APPROVED and selectors.can_approve(actor, ev.round)
    return {"grades": grades, "short": GRADE_SHORT, "can_view": has_perm(actor, "member.view")}


@register.inclusion_tag("evaluation/partials/book.html", takes_context=True)
def evaluation_book(context, member):
    """The member's own book: the open round with the self-assessment form, and their grades."""
    request = context["request"]
    actor = request.user
    rnd = selectors.open_round_for_member(member=member)
    current = None
    can_self_assess = False
    if rnd is not None:
        current = next((ev for ev in selectors.member_grades(actor=actor, member=member) if ev.year == rnd.year), None)
        sheet_open = not rnd.sheets.filter(branch=member.unit, state=SheetState.APPROVED).exists()
        can_self_assess = sheet_open and (current is None or current.stage != Stage.APPROVED)
    return {
        "round": rnd,
        "current": current,
        "can_self_assess": can_self_assess,
        "grades": [ev for ev in selectors.member_grades(actor=actor, member=member) if ev.stage == Stage.APPROVED],
        "choices": Grade.choices,
        "short": GRADE_SHORT,
        "csrf_token": context.get("csrf_token"),
    }

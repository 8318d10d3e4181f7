"""`{{ amount|vnd }}` and `{% dues_book member user %}` (the member's own dues in the e-member book)."""

from __future__ import annotations

from django import template

from doanso.dues import selectors

register = template.Library()


@register.filter
def vnd(amount) -> str:
    try:
        return f"{int(amount):,}đ".replace(",", ".")
    except (TypeError, ValueError):
        return ""


@register.inclusion_tag("dues/partials/book.html")
def dues_book(member, user) -> dict:
    """Dues history and arrears; the selector checks the viewer may see this member."""
    try:
        ledger = selectors.member_ledger(actor=user, member=member)
    except selectors.ScopeError:
        ledger = None
    return {"ledger": ledger}

from django import template
from django.utils import timezone

from doanso.training import selectors

register = template.Library()


@register.inclusion_tag("training/partials/book_section.html", takes_context=True)
def training_book_section(context, member):
    """The programme section of the e-member book (only for the member's own account or an official in scope)."""
    request = context.get("request")
    actor = getattr(request, "user", None)
    try:
        info = selectors.member_training(actor=actor, member=member, year=timezone.localdate().year)
    except member.__class__.DoesNotExist:
        info = None
    return {"info": info} if info else {"info": {"year": timezone.localdate().year}}

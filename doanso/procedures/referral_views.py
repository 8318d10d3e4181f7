"""Pages of the Party referral (đoàn viên ưu tú): nominate from a branch; lists and counts per unit and year."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from doanso.core.scope import ScopeError, has_perm
from doanso.core.web import unit_from_request
from doanso.members.models import Member
from doanso.organisations.choices import MEMBER_HOLDING_KINDS

from . import referral, selectors
from .views import _official


def _year(request) -> int:
    raw = request.GET.get("year", "")
    this_year = timezone.localdate().year
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= this_year + 1 else this_year


@login_required
def referral_list(request):
    """Counts per child unit and the list of the year's nominees, with the stalled badge."""
    _official(request)
    unit = unit_from_request(request)
    year = _year(request)
    counts = selectors.party_referral_counts(actor=request.user, unit=unit, year=year)
    rows = list(selectors.party_referral_rows(actor=request.user, unit=unit, year=year))
    this_year = timezone.localdate().year
    return render(
        request, "procedures/referral_list.html",
        {"unit": unit, "year": year, "export_params": {"year": year}, "counts": counts, "rows": rows, "years": range(this_year, this_year - 5, -1),
         "can_nominate": unit.kind in MEMBER_HOLDING_KINDS and has_perm(request.user, "member.manage")},
    )  # fmt: skip


@login_required
def referral_open(request):
    """A branch records its meeting's resolution to refer an outstanding member to the Party."""
    _official(request)
    unit = unit_from_request(request)
    members = list(
        Member.objects.restrict(request.user, "manage")
        .in_subtree(unit)
        .filter(status="active", party_joined_on__isnull=True)
        .select_related("unit")
        .order_by("sort_key")[:300]
    )
    hints = {m.pk: referral.nomination_warning(m, request.user) for m in members}
    if request.method == "POST":
        chosen = next((m for m in members if str(m.pk) == request.POST.get("member")), None)
        if chosen is None:
            messages.error(request, "Đoàn viên: hãy chọn một đoàn viên.")
        else:
            try:
                case = referral.referral_nominate(
                    actor=request.user, member=chosen, meeting_on=request.POST.get("meeting_on", ""),
                    resolution=request.POST.get("resolution", ""), note=request.POST.get("note", ""),
                )  # fmt: skip
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            except ScopeError as exc:
                messages.error(request, str(exc))
            else:
                if case.data.get("warning"):
                    messages.warning(request, case.data["warning"])
                messages.success(request, f"Đã gửi đề nghị tới {case.deciding_unit.name}.")
                return redirect("case_detail", pk=case.pk)
    return render(
        request, "procedures/referral_open.html",
        {"unit": unit, "members": members, "hints": hints, "today": timezone.localdate(),
         "preselected": request.GET.get("member", "")},
    )  # fmt: skip

"""Procedure pages: the inbox, candidates, opening a case, acting on one or many cases."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from doanso.core.scope import ScopeError, has_perm
from doanso.core.web import apply_service_errors, unit_from_request
from doanso.members.models import Member
from doanso.organisations.choices import MEMBER_HOLDING_KINDS

from . import selectors, services
from .forms import ApproveForm, NoteForm, ReleaseForm, YouthForm
from .kinds import spec_for
from .models import Case, CaseSubject, Youth


def _official(request):
    if not has_perm(request.user, "member.view"):
        raise PermissionDenied("Chỉ tài khoản cán bộ mới dùng được nghiệp vụ.")


@login_required
def inbox(request):
    _official(request)
    tab = request.GET.get("tab", "waiting")
    cases = list(selectors.case_list(actor=request.user, tab=tab)[:200])
    for case in cases:
        case.state_label = spec_for(case.kind).states.get(case.state, case.state)
    return render(
        request,
        "procedures/inbox.html",
        {"cases": cases, "tab": tab, "approve_form": ApproveForm(initial={"decision_on": timezone.localdate()})},
    )


@login_required
def youth_list(request):
    _official(request)
    unit = unit_from_request(request)
    youths = (
        Youth.objects.restrict(request.user, "view")
        .filter(unit__path__startswith=unit.path)
        .select_related("unit", "member")
    )
    return render(
        request, "procedures/youth_list.html",
        {"unit": unit, "youths": youths[:500], "holds_members": unit.kind in MEMBER_HOLDING_KINDS,
         "can_manage": has_perm(request.user, "member.manage")},
    )  # fmt: skip


@login_required
def youth_register(request):
    _official(request)
    unit = unit_from_request(request)
    sponsors = Member.objects.restrict(request.user, "view").filter(unit=unit, status="active").order_by("sort_key")
    form = YouthForm(request.POST or None, sponsors=sponsors)
    if request.method == "POST" and form.is_valid():
        try:
            youth = services.youth_register(actor=request.user, unit=unit, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Đã đăng ký thanh niên {youth.full_name}.")
            return redirect(f"/nghiep-vu/thanh-nien/?unit={unit.pk}")
    return render(
        request,
        "procedures/form.html",
        {"form": form, "title": f"Đăng ký thanh niên vào Đoàn — {unit.name}", "unit": unit},
    )


@login_required
def admission_open(request):
    _official(request)
    unit = unit_from_request(request)
    busy = CaseSubject.objects.filter(is_open=True, youth__isnull=False).values("youth_id")
    youths = list(
        Youth.objects.restrict(request.user, "view").filter(unit=unit, member__isnull=True).exclude(pk__in=busy)
    )
    if request.method == "POST":
        chosen = [y for y in youths if str(y.pk) in request.POST.getlist("youth")]
        try:
            case = services.admission_open(
                actor=request.user, unit=unit, youths=chosen, note=request.POST.get("note", "")
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Đã lập hồ sơ kết nạp. Bước tiếp: ghi kết quả biểu quyết của chi đoàn.")
            return redirect("case_detail", pk=case.pk)
    return render(request, "procedures/admission_open.html", {"unit": unit, "youths": youths})


def _case(request, pk: int) -> Case:
    case = (
        Case.objects.restrict(request.user, "view").select_related("origin_unit", "deciding_unit").filter(pk=pk).first()
    )
    if case is None:
        raise Http404("Không tìm thấy hồ sơ trong phạm vi quản lý của bạn.")
    return case


@login_required
def case_detail(request, pk: int):
    _official(request)
    case = _case(request, pk)
    spec = spec_for(case.kind)
    actions = [t for t in spec.transitions.values() if case.state in t.sources]
    context = {
        "case": case,
        "state_label": spec.states.get(case.state, case.state),
        "subjects": case.subjects.select_related("youth", "member", "youth__sponsor_member"),
        "steps": case.steps.select_related("actor", "actor_unit", "case"),
        "actions": actions,
        "approve_form": ApproveForm(initial={"decision_on": timezone.localdate()}),
        "note_form": NoteForm(),
        "release_form": _release_form(case, actions),
        "branches": _receiving_branches(request, case),
        "today": timezone.localdate(),
        "has_document": _has_document(case),
    }
    return render(request, "procedures/case_detail.html", context)


def _release_form(case: Case, actions) -> ReleaseForm | None:
    """The sending unit's release form; for one member whose branch keeps its dues book here, the
    dues month is filled in from the book, with the months still owed."""
    if not any(t.action == "release" for t in actions):
        return None
    from doanso.dues.selectors import paid_through

    form = ReleaseForm()
    members = [s.member for s in case.subjects.select_related("member") if s.member]
    ledger = paid_through(members).get(members[0].pk) if len(members) == 1 else None
    if ledger is not None:
        form.initial["dues_paid_to"] = ledger.month_text
        owing = f" Còn nợ: {', '.join(ledger.unpaid_texts)}." if ledger.unpaid else ""
        form.fields["dues_paid_to"].help_text = f"Theo sổ đoàn phí: đã đóng {ledger.paid_text}.{owing}"
    return form


def _has_document(case: Case) -> bool:
    from .documents import has_document

    return has_document(case)


def _receiving_branches(request, case: Case):
    if case.kind != "transfer" or case.state != "released" or case.deciding_unit is None:
        return []
    from doanso.organisations.models import Unit

    return (
        Unit.objects.restrict(request.user, "view")
        .filter(path__startswith=case.deciding_unit.path, kind__in=MEMBER_HOLDING_KINDS, closed_on__isnull=True)
        .order_by("name")
    )


def _vote_data(request, case: Case) -> dict:
    votes = {}
    for s in case.subjects.all():
        votes[str(s.youth_id)] = {
            "for": request.POST.get(f"for_{s.youth_id}", ""),
            "against": request.POST.get(f"against_{s.youth_id}", "0") or "0",
        }
    return {
        "meeting_on": request.POST.get("meeting_on", ""),
        "present": request.POST.get("present", ""),
        "votes": votes,
        "note": request.POST.get("note", ""),
    }


@login_required
@require_POST
def case_act(request, pk: int, action: str):
    _official(request)
    case = _case(request, pk)
    data = (
        _vote_data(request, case)
        if action == "vote"
        else {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    )
    if action == "approve":
        form = ApproveForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            return redirect("case_detail", pk=case.pk)
        data = form.cleaned_data
    try:
        services.case_act(actor=request.user, case=case, action=action, data=data, version=request.POST.get("version"))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except ScopeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Đã cập nhật hồ sơ.")
    return redirect("case_detail", pk=case.pk)


@login_required
@require_POST
def bulk_act(request):
    """Approve (or return) many cases at once; each case is atomic, the page reports each result."""
    _official(request)
    action = request.POST.get("action", "")
    ids = [int(i) for i in request.POST.getlist("case") if i.isdigit()]
    cases = list(Case.objects.restrict(request.user, "view").filter(pk__in=ids))
    if action == "approve":
        form = ApproveForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            return redirect("case_inbox")
        data = form.cleaned_data
    else:
        data = {"note": request.POST.get("note", "")}
    if action == "release":
        data = {k: request.POST.get(k, "") for k in ("remarks", "dues_paid_to", "note")}
    results = services.cases_bulk_act(actor=request.user, cases=cases, action=action, data=data)
    ok = sum(r["ok"] for r in results)
    return render(request, "procedures/bulk_result.html", {"results": results, "ok": ok, "failed": len(results) - ok})


@login_required
def receiving_unit_search(request):
    """HTMX: grassroots units anywhere in the country (names only) as radio options."""
    _official(request)
    units = services.receiving_units(q=request.GET.get("to_unit_q", ""))
    return render(request, "procedures/partials/receiving_units.html", {"units": units})


@login_required
def transfer_open(request):
    """Transfer one member, or a batch (a class graduating to many communes) from one branch."""
    _official(request)
    unit = unit_from_request(request)
    members = list(
        Member.objects.restrict(request.user, "manage").filter(unit=unit, status="active").order_by("sort_key")[:300]
    )
    preselected = {int(m) for m in request.GET.getlist("member") if m.isdigit()}
    siblings = []
    if unit.kind in MEMBER_HOLDING_KINDS:
        home = services.grassroots_of(unit)
        from doanso.organisations.models import Unit

        siblings = Unit.objects.filter(
            path__startswith=home.path, kind__in=MEMBER_HOLDING_KINDS, closed_on__isnull=True
        ).exclude(pk=unit.pk)
    results = None
    if request.method == "POST":
        from doanso.organisations.models import Unit

        to_id = request.POST.get("to_unit") or request.POST.get("to_branch")
        to_unit = Unit.objects.filter(pk=to_id).first() if str(to_id).isdigit() else None
        destination = request.POST.get("destination", "").strip()
        chosen = [m for m in members if str(m.pk) in request.POST.getlist("member")]
        if (to_unit is None and not destination) or not chosen:
            messages.error(request, "Chọn đoàn viên và đơn vị đến.")
        else:
            outcomes = services.transfers_open(
                actor=request.user, members=chosen, to_unit=to_unit, reason=request.POST.get("reason", ""),
                destination=destination,
            )  # fmt: skip
            results = [
                {"case": None, "title": m.full_name, "ok": False, "message": " ".join(getattr(o, "messages", [str(o)]))}
                if isinstance(o, Exception)
                else {"case": o.pk, "title": o.title, "ok": True, "message": o.outcome or "Đã lập hồ sơ"}
                for m, o in zip(chosen, outcomes, strict=True)
            ]
            ok = sum(r["ok"] for r in results)
            return render(
                request, "procedures/bulk_result.html", {"results": results, "ok": ok, "failed": len(results) - ok}
            )
    return render(
        request, "procedures/transfer_open.html",
        {"unit": unit, "members": members, "preselected": preselected, "siblings": siblings},
    )  # fmt: skip


KIND_PAGES = {
    "truong-thanh": "ageing_out",
    "o-lai": "age_extension",
    "lam-an-xa": "working_away",
    "xoa-ten": "removal",
}


@login_required
def member_case_open(request, slug: str):
    """Open an ageing-out list, an extension, a working-away report or a removal proposal for a branch."""
    _official(request)
    kind = KIND_PAGES.get(slug)
    if kind is None:
        raise Http404
    unit = unit_from_request(request)
    today = timezone.localdate()
    suggested: dict[int, str] = {}
    if kind == "ageing_out":
        members = services.ageing_out_due(unit=unit, on=today)
        suggested = {m.pk: "đến tuổi trưởng thành" for m in members}
    elif kind == "removal":
        pairs = services.removal_candidates(unit=unit, on=today)
        members = [m for m, _n in pairs]
        suggested = {m.pk: f"{n} tháng bỏ sinh hoạt/đoàn phí" for m, n in pairs}
    else:
        members = list(
            Member.objects.restrict(request.user, "manage")
            .in_subtree(unit)
            .filter(status="active")
            .select_related("unit")
            .order_by("sort_key")[:300]
        )
    if request.method == "POST":
        chosen = [m for m in members if str(m.pk) in request.POST.getlist("member")]
        data = {k: request.POST.get(k, "") for k in ("until", "starts_on", "ends_on", "place", "note")}
        try:
            case = services.member_case_open(actor=request.user, kind=kind, members=chosen, data=data)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        except ScopeError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Đã lập hồ sơ.")
            return redirect("case_detail", pk=case.pk)
    from .kinds import spec_for as _spec

    return render(
        request, "procedures/member_case_open.html",
        {"unit": unit, "members": members, "suggested": suggested, "kind": kind, "label": _spec(kind).label,
         "batch": kind in services.BATCH_KINDS, "preselected": {int(m) for m in request.GET.getlist("member") if m.isdigit()}},
    )  # fmt: skip


@login_required
def activity_month(request):
    """A branch ticks, for one month, who took part and who paid dues — the ledger removal reads."""
    from datetime import date

    from .models import ActivityMonth

    _official(request)
    unit = unit_from_request(request)
    if unit.kind not in MEMBER_HOLDING_KINDS:
        messages.error(request, "Mở một chi đoàn để ghi nhận sinh hoạt và đoàn phí.")
        return redirect("unit_detail", pk=unit.pk)
    raw = request.GET.get("month") or timezone.localdate().strftime("%Y-%m")
    try:
        month = date.fromisoformat(f"{raw}-01")
    except ValueError:
        raise Http404("Tháng không hợp lệ.") from None
    members = list(
        Member.objects.restrict(request.user, "view").filter(unit=unit, status="active").order_by("sort_key")
    )
    if request.method == "POST":
        rows = {m.pk: (f"att_{m.pk}" in request.POST, f"paid_{m.pk}" in request.POST) for m in members}
        try:
            services.activity_record(actor=request.user, unit=unit, month=month, rows=rows)
        except (ValidationError, ScopeError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, f"Đã lưu tháng {month:%m/%Y}.")
            return redirect(f"{request.path}?unit={unit.pk}&month={raw}")
    from doanso.dues.selectors import paid_member_ids

    saved = {a.member_id: a for a in ActivityMonth.objects.filter(member__in=members, month=month)}
    paid = paid_member_ids(members=members, month=month)  # the dues ledger, not the activity row
    # Never saved yet: everyone ticked by default; saved: dues as the ledger says.
    rows = [(m, saved.get(m.pk), m.pk in paid or m.pk not in saved) for m in members]
    return render(request, "procedures/activity_month.html", {"unit": unit, "rows": rows, "month": month, "raw": raw})


def _member_for(request, pk: int) -> Member:
    member = Member.objects.restrict(request.user, "manage").select_related("unit").filter(pk=pk).first()
    if member is None:
        raise Http404("Không tìm thấy đoàn viên trong phạm vi quản lý.")
    return member


@login_required
def reward_create(request, pk: int):
    from .forms import RewardRecordForm

    _official(request)
    member = _member_for(request, pk)
    form = RewardRecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reward_record(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Đã ghi khen thưởng.")
            return redirect("member_detail", pk=member.pk)
    return render(request, "procedures/form.html", {"form": form, "title": f"Khen thưởng — {member.full_name}"})


@login_required
def discipline_propose(request, pk: int):
    from .forms import DisciplineProposeForm

    _official(request)
    member = _member_for(request, pk)
    form = DisciplineProposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.discipline_open(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Đã lập hồ sơ kỷ luật; bước tiếp: bỏ phiếu kín.")
            return redirect("case_detail", pk=case.pk)
    return render(request, "procedures/form.html", {"form": form, "title": f"Đề nghị kỷ luật — {member.full_name}"})


@login_required
def honorary_nominate(request):
    from .forms import HonoraryForm

    _official(request)
    unit = unit_from_request(request)
    form = HonoraryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.honorary_nominate(actor=request.user, unit=unit, data=form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except ScopeError as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, f"Đã gửi đề nghị tới {case.deciding_unit.name}.")
            return redirect("case_detail", pk=case.pk)
    return render(
        request, "procedures/form.html", {"form": form, "title": f"Đề nghị công nhận đoàn viên danh dự — {unit.name}"}
    )


@login_required
def attachment_open(request, slug: str):
    """Residence or temporary activity: pick the host unit anywhere in the country and the period."""
    kind = {"noi-cu-tru": "residence", "tam-thoi": "temporary"}.get(slug)
    if kind is None:
        raise Http404
    _official(request)
    member = _member_for(request, int(request.GET.get("member", "0") or 0))
    if request.method == "POST":
        from doanso.organisations.models import Unit

        host = Unit.objects.filter(pk=request.POST.get("to_unit") or 0).first()
        if host is None:
            messages.error(request, "Chọn đơn vị tiếp nhận.")
        else:
            try:
                case = services.attachment_open(
                    actor=request.user, kind=kind, member=member, host=host, starts_on=request.POST.get("starts_on"),
                    ends_on=request.POST.get("ends_on"), note=request.POST.get("note", ""),
                )  # fmt: skip
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                messages.success(request, f"Đã giới thiệu tới {host.name}.")
                return redirect("case_detail", pk=case.pk)
    from .kinds import spec_for as _spec

    return render(request, "procedures/attachment_open.html", {"member": member, "label": _spec(kind).label})


@login_required
def case_document(request, pk: int, fmt: str):
    """The decision (admission) or introduction letter (transfer) as .docx or .pdf."""
    from django.http import HttpResponse

    from . import documents

    _official(request)
    case = _case(request, pk)
    if not documents.has_document(case) or fmt not in ("docx", "pdf"):
        raise Http404("Hồ sơ này chưa có văn bản.")
    name = documents.context_for(case)["filename"]
    if fmt == "docx":
        body = documents.render_docx(case)
        kind = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    else:
        body = documents.render_pdf(case)
        kind = "application/pdf"
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response

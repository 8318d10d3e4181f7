"""Account pages: officials hand out accounts to their sub-units, level by level."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from doanso.core import audit
from doanso.core.scope import has_perm
from doanso.core.web import apply_service_errors, get_or_404
from doanso.organisations import selectors as unit_selectors

from . import selectors, services
from .forms import AccountCreateForm, AccountEditForm, LoginForm, PasswordResetForm
from .models import User


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


def _unit(request):
    pk = request.GET.get("unit") or request.user.unit_id
    if not str(pk).isdigit():
        raise Http404
    return get_or_404(unit_selectors.unit_get, actor=request.user, pk=int(pk))


@login_required
def account_list(request):
    if not has_perm(request.user, "account.view"):
        raise PermissionDenied("Vai trò của bạn không xem được tài khoản.")
    unit = _unit(request)
    accounts = selectors.account_list(actor=request.user, unit=unit)[:500]
    return render(
        request,
        "accounts/list.html",
        {
            "unit": unit,
            "accounts": accounts,
            "crumbs": unit_selectors.unit_breadcrumbs(actor=request.user, unit=unit),
            "can_manage": has_perm(request.user, "account.manage"),
        },
    )


@login_required
def account_create(request):
    if not has_perm(request.user, "account.manage"):
        raise PermissionDenied("Vai trò của bạn không cấp được tài khoản.")
    unit = _unit(request)
    roles = selectors.roles_grantable(actor=request.user, unit=unit)
    form = AccountCreateForm(request.POST or None, roles=roles)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            account = services.account_create(
                actor=request.user, unit=unit, role=d["role"], username=d["username"], full_name=d["full_name"],
                password=d["password"], phone=d["phone"], email=d["email"],
            )  # fmt: skip
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Đã cấp tài khoản “{account.username}” cho {unit.name}.")
            return redirect(f"/tai-khoan/?unit={unit.pk}")
    return render(
        request, "accounts/form.html", {"form": form, "unit": unit, "title": f"Cấp tài khoản cho {unit.name}"}
    )


@login_required
def account_detail(request, pk: int):
    account = get_or_404(selectors.account_get, actor=request.user, pk=pk)
    roles = selectors.roles_grantable(actor=request.user, unit=account.unit)
    initial = {
        "full_name": account.full_name,
        "role": account.role_id,
        "phone": account.phone,
        "email": account.email,
        "is_active": account.is_active,
    }
    form = AccountEditForm(request.POST or None, initial=initial, roles=roles or [account.role])
    if request.method == "POST":
        if not has_perm(request.user, "account.manage"):
            raise PermissionDenied("Vai trò của bạn không sửa được tài khoản.")
        if form.is_valid():
            try:
                services.account_update(actor=request.user, account=account, data=form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "Đã lưu tài khoản.")
                return redirect("account_detail", pk=account.pk)
    events = audit.history_of(account)[:100] if has_perm(request.user, "audit.view") else []
    return render(
        request,
        "accounts/detail.html",
        {
            "account": account,
            "form": form,
            "events": events,
            "labels": audit.field_labels(User),
            "pwform": PasswordResetForm(),
        },
    )


@login_required
def account_password(request, pk: int):
    account = get_or_404(selectors.account_get, actor=request.user, pk=pk)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_set_password(actor=request.user, account=account, password=form.cleaned_data["password"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Đã đặt lại mật khẩu.")
    return redirect("account_detail", pk=account.pk)

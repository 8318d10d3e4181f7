from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect

from .scope import is_official


@login_required
def home(request):
    if is_official(request.user):
        return redirect("unit_detail", pk=request.user.unit_id)
    return redirect("member_book")


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@login_required
def rule_sets(request):
    """Every official can read the rules in force and their history; the Central level publishes new ones."""
    from django import forms
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.shortcuts import render

    from .models import RuleSet
    from .rules import RULES, rules_on
    from .scope import has_perm
    from .services import rule_set_publish
    from .web import apply_service_errors, vn_date_field

    if not is_official(request.user):
        raise PermissionDenied("Chỉ tài khoản cán bộ xem được bộ quy định.")
    current = rules_on()
    can_publish = has_perm(request.user, "rules.manage") and request.user.unit.depth == 0

    class RuleSetForm(forms.Form):
        effective_from = vn_date_field("Có hiệu lực từ ngày", required=True)
        note = forms.CharField(
            label="Căn cứ (số văn bản, ghi chú)", required=False, widget=forms.Textarea(attrs={"rows": 2})
        )

    form = RuleSetForm(request.POST or None)
    for rule in RULES:
        if rule.kind == "bool":
            field = forms.BooleanField(label=rule.label, required=False)
        else:
            field = forms.IntegerField(label=f"{rule.label} ({rule.unit})", min_value=0)
        field.help_text = rule.help
        field.initial = getattr(current, rule.key)
        form.fields[rule.key] = field
    if request.method == "POST":
        if not can_publish:
            raise PermissionDenied("Chỉ Trung ương Đoàn ban hành bộ quy định.")
        if form.is_valid():
            values = {r.key: form.cleaned_data[r.key] for r in RULES}
            try:
                rule_set_publish(
                    actor=request.user, effective_from=form.cleaned_data["effective_from"], values=values,
                    note=form.cleaned_data["note"],
                )  # fmt: skip
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "Đã ban hành bộ quy định mới.")
                return redirect("rule_sets")
    rows = [(rule, getattr(current, rule.key)) for rule in RULES]
    context = {
        "rows": rows,
        "current": current,
        "history": RuleSet.objects.all()[:50],
        "form": form,
        "can_publish": can_publish,
    }
    return render(request, "core/rule_sets.html", context)

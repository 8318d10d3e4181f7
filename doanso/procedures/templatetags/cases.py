from django import template

from doanso.procedures.kinds import REGISTRY

register = template.Library()

RESULTS = {
    "passed": "Đạt biểu quyết",
    "not_passed": "Không đạt biểu quyết",
    "admitted": "Đã kết nạp",
    "placed": "Đã tiếp nhận",
}
EXTRA_ACTIONS = {"open": "Lập hồ sơ", "expire": "Quá hạn, trả về"}


@register.filter
def step_label(step) -> str:
    spec = REGISTRY.get(step.case.kind)
    transition = spec.transitions.get(step.action) if spec else None
    return transition.label if transition else EXTRA_ACTIONS.get(step.action, step.action)


@register.filter
def result_label(code: str) -> str:
    return RESULTS.get(code, code)


@register.filter
def isodate(value: str) -> str:
    """An ISO date kept in a case's data, shown as dd/mm/yyyy."""
    from datetime import date

    try:
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return value or ""


@register.filter
def referral_stalled(case) -> bool:
    """The computed "stalled" badge of an open Party referral (no step for the rule-set months)."""
    from doanso.procedures.referral import is_stalled, stall_cutoff

    if case.kind != "party_referral" or not case.is_open:
        return False
    last = case.steps.order_by("-at").values_list("at", flat=True).first()
    return is_stalled(last, is_open=case.is_open, cutoff=stall_cutoff())

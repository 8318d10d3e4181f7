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

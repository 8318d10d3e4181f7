from django import template

from doanso.core import vn

register = template.Library()

ACTIONS = {
    "create": "Tạo mới", "update": "Cập nhật", "status": "Đổi trạng thái", "move": "Chuyển trực thuộc",
    "merge": "Hợp nhất", "merge_in": "Nhận hợp nhất", "merge_revert": "Hủy hợp nhất", "split": "Chia tách",
    "close": "Giải thể", "reopen": "Khôi phục", "password": "Đặt lại mật khẩu", "export": "Xuất dữ liệu",
}  # fmt: skip


@register.filter
def get(mapping, key):
    try:
        return mapping.get(key, key)
    except AttributeError:
        return key


@register.filter
def action_label(action: str) -> str:
    return ACTIONS.get(action, action)


@register.filter
def phone(e164: str) -> str:
    return vn.format_phone(e164)


@register.filter
def long_date(day) -> str:
    return vn.long_date(day) if day else ""

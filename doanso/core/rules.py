"""The one place for numbers the Union may change: dated rule sets.

Every number in the membership rules (ages, periods, quotas, dues) is a rule
with a default here; the Central level publishes a RuleSet with an effective
date that overrides any of them, and every check reads `rules_on(day)` — the
rule set in force on that day — never a literal. Rules marked unconfirmed (?)
say so in their help text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone


@dataclass(frozen=True)
class RuleDef:
    key: str
    label: str
    default: Any
    unit: str = ""
    help: str = ""
    confirmed: bool = True

    @property
    def kind(self) -> str:
        return "bool" if isinstance(self.default, bool) else "int"


UNCONFIRMED = " (?) Chưa xác nhận được từ văn bản gốc: giá trị là thiết lập, có thể sửa."

RULES: list[RuleDef] = [
    RuleDef("admission_min_age", "Tuổi tối thiểu khi kết nạp", 16, "tuổi"),
    RuleDef(
        "admission_min_age_counts_from_15_plus_1_day",
        "Tính tuổi tối thiểu từ “15 tuổi + 1 ngày” (thay vì tròn 16 tuổi)",
        False,
        help="Hướng dẫn của Đoàn tính “đủ 15 tuổi + 1 ngày”, Luật Thanh niên tính tròn 16 tuổi." + UNCONFIRMED,
        confirmed=False,
    ),
    RuleDef("admission_max_age", "Tuổi tối đa khi kết nạp", 30, "tuổi"),
    RuleDef("ageing_out_age", "Tuổi trưởng thành Đoàn", 30, "tuổi"),
    RuleDef("max_age_with_extension", "Tuổi tối đa khi được chi đoàn đồng ý ở lại", 35, "tuổi", UNCONFIRMED, False),
    RuleDef("sponsor_min_months", "Người giới thiệu là đoàn viên ít nhất", 3, "tháng"),
    RuleDef("removal_missed_months", "Số tháng bỏ sinh hoạt/không đóng đoàn phí để đề nghị xóa tên", 3, "tháng"),
    RuleDef("working_away_max_months", "Thời gian đi làm ăn xa tối đa mỗi lần", 12, "tháng"),
    RuleDef("suspension_max_months", "Thời hạn đình chỉ sinh hoạt tối đa", 3, "tháng"),
    RuleDef("suspension_extension_max_months", "Gia hạn đình chỉ tối đa (một lần)", 3, "tháng"),
    RuleDef(
        "transfer_expiry_days",
        "Hồ sơ chuyển sinh hoạt không được tiếp nhận thì trả lại sau",
        60,
        "ngày",
        UNCONFIRMED,
        False,
    ),
    RuleDef("temporary_activity_max_months", "Sinh hoạt tạm thời tối đa mỗi lần", 12, "tháng", UNCONFIRMED, False),
    RuleDef("residence_min_months", "Tạm trú tối thiểu để sinh hoạt nơi cư trú", 6, "tháng"),
    RuleDef("dues_non_salaried", "Đoàn phí đoàn viên không hưởng lương", 2000, "đồng/tháng"),
    RuleDef("dues_salaried", "Đoàn phí đoàn viên hưởng lương", 5000, "đồng/tháng"),
    RuleDef("dues_abroad_min", "Đoàn phí tối thiểu ở nước ngoài", 5000, "đồng/tháng"),
    RuleDef("dues_kept_thirds", "Phần đoàn phí mỗi cấp giữ lại (phần ba)", 2, "/3", UNCONFIRMED, False),
    RuleDef("htxs_min_attendance_percent", "HTXS: tỉ lệ tham gia sinh hoạt tối thiểu", 90, "%"),
    RuleDef("htxs_max_share_of_htt_percent", "HTXS không vượt quá (so với số HTT)", 20, "%", UNCONFIRMED, False),
    RuleDef("party_course_valid_years", "Giấy chứng nhận “Nhận thức về Đảng” có giá trị", 5, "năm"),
    RuleDef("branch_min_members", "Chi đoàn có ít nhất", 3, "đoàn viên"),
    # --- union dues (doanso/dues)
    RuleDef(
        "dues_max_prepay_months", "Đóng đoàn phí trước tối đa (tính từ tháng hiện tại)", 3, "tháng", UNCONFIRMED, False
    ),
    # --- evaluation (đánh giá, xếp loại đoàn viên)
    RuleDef(
        "htxs_requires_excellent_programme",
        "HTXS: kết quả chương trình rèn luyện phải đạt “Xuất sắc”",
        True,
    ),
    RuleDef(
        "htxs_no_discipline_in_year",
        "HTXS: không bị kỷ luật trong năm",
        True,
        help=UNCONFIRMED,
        confirmed=False,
    ),
    RuleDef(
        "htxs_requires_residence_remarks",
        "HTXS: có nhận xét tích cực của nơi cư trú/sinh hoạt tạm thời (khi có đăng ký)",
        False,
        help="Bật để yêu cầu mọi đoàn viên HTXS có nhận xét của Đoàn nơi cư trú." + UNCONFIRMED,
        confirmed=False,
    ),
    RuleDef("grade_justification_min_chars", "Giải trình khi không đạt điều kiện: tối thiểu", 10, "ký tự"),
    RuleDef("evaluation_open_years_back", "Mở đợt đánh giá cho năm trước tối đa", 1, "năm"),
    # --- self-improvement programme and Party referral (doanso/training, procedures party_referral)
    RuleDef(
        "party_referral_stall_months",
        "Hồ sơ giới thiệu đoàn viên ưu tú cho Đảng bị coi là chậm tiến độ khi không có bước mới sau",
        6,
        "tháng",
        UNCONFIRMED,
        False,
    ),
]
RULES_BY_KEY = {r.key: r for r in RULES}


class Rules:
    """The values in force on one day, as attributes (`rules.admission_min_age`)."""

    def __init__(self, values: dict[str, Any], effective_from: date | None, rule_set_id: int | None = None):
        self._values = {r.key: values.get(r.key, r.default) for r in RULES}
        self.effective_from = effective_from
        self.rule_set_id = rule_set_id

    def __getattr__(self, key: str) -> Any:
        try:
            return self.__dict__["_values"][key]
        except KeyError:
            raise AttributeError(key) from None

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)


def rules_on(day: date | None = None) -> Rules:
    """The rule set in force on `day` (today by default), over the defaults above."""
    from .memo import cached
    from .models import RuleSet

    day = day or timezone.localdate()

    def load() -> Rules:
        rule_set = RuleSet.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
        if rule_set is None:
            return Rules({}, None)
        return Rules(rule_set.values, rule_set.effective_from, rule_set.pk)

    return cached(("rules_on", day), load)


def clean_rule_values(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate a submitted rule set: known keys, right types, sensible bounds."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in raw.items():
        rule = RULES_BY_KEY.get(key)
        if rule is None:
            errors[key] = "Quy định không có trong danh mục."
            continue
        if rule.kind == "bool":
            values[key] = value in (True, "1", "true", "on", 1)
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            errors[key] = f"{rule.label}: phải là số nguyên."
            continue
        if number < 0:
            errors[key] = f"{rule.label}: không được âm."
            continue
        values[key] = number
    low, high = values.get("admission_min_age", 16), values.get("admission_max_age", 30)
    if not errors and low >= high:
        errors["admission_max_age"] = "Tuổi tối đa khi kết nạp phải lớn hơn tuổi tối thiểu."
    return values, errors

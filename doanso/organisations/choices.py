from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    CENTRAL = "central", _("Trung ương Đoàn")
    PROVINCE = "province", _("Tỉnh/Thành đoàn")
    CENTRAL_DIRECT = "central_direct", _("Đơn vị trực thuộc Trung ương")
    INTERMEDIATE = "intermediate", _("Đoàn cấp trên cơ sở (Đoàn khối, Đoàn UBND tỉnh…)")
    DISTRICT = "district", _("Huyện/Quận đoàn (trước 01/7/2025)")
    GRASSROOTS = "grassroots", _("Đoàn cơ sở")
    GRASSROOTS_BRANCH = "grassroots_branch", _("Chi đoàn cơ sở")
    FACULTY_UNION = "faculty_union", _("Liên chi đoàn")
    BRANCH = "branch", _("Chi đoàn")


K = UnitKind

# Which kinds may hang under which (the tree has kinds, not a fixed depth).
ALLOWED_CHILDREN: dict[str, set[str]] = {
    K.CENTRAL: {K.PROVINCE, K.CENTRAL_DIRECT},
    K.PROVINCE: {K.INTERMEDIATE, K.DISTRICT, K.GRASSROOTS, K.GRASSROOTS_BRANCH},
    K.CENTRAL_DIRECT: {K.INTERMEDIATE, K.GRASSROOTS, K.GRASSROOTS_BRANCH},
    K.INTERMEDIATE: {K.INTERMEDIATE, K.GRASSROOTS, K.GRASSROOTS_BRANCH},
    K.DISTRICT: {K.GRASSROOTS, K.GRASSROOTS_BRANCH},
    K.GRASSROOTS: {K.FACULTY_UNION, K.BRANCH},
    K.FACULTY_UNION: {K.BRANCH},
    K.GRASSROOTS_BRANCH: set(),
    K.BRANCH: set(),
}

# Kinds that may be merged into one another (the survivor keeps its kind).
MERGE_GROUPS: list[set[str]] = [
    {K.PROVINCE, K.CENTRAL_DIRECT},
    {K.INTERMEDIATE, K.DISTRICT},
    {K.GRASSROOTS, K.GRASSROOTS_BRANCH},
    {K.FACULTY_UNION},
    {K.BRANCH},
]

# Members are kept on the rolls of a branch (or a branch with grassroots powers).
MEMBER_HOLDING_KINDS = {K.BRANCH, K.GRASSROOTS_BRANCH}


def can_merge(a: str, b: str) -> bool:
    return any(a in group and b in group for group in MERGE_GROUPS)


class Sector(models.TextChoices):
    LOCALITY = "locality", _("Xã, phường, đặc khu")
    SCHOOL = "school", _("Trường học")
    UNIVERSITY = "university", _("Đại học, cao đẳng")
    ENTERPRISE = "enterprise", _("Doanh nghiệp")
    AGENCY = "agency", _("Cơ quan, đơn vị sự nghiệp")
    ARMED_FORCES = "armed_forces", _("Lực lượng vũ trang")
    OTHER = "other", _("Khác")


class ChangeKind(models.TextChoices):
    CREATE = "create", _("Thành lập")
    RENAME = "rename", _("Đổi tên")
    UPDATE = "update", _("Cập nhật thông tin")
    MOVE = "move", _("Chuyển trực thuộc")
    MERGE = "merge", _("Hợp nhất")
    MERGE_REVERT = "merge_revert", _("Hủy hợp nhất")
    SPLIT = "split", _("Chia tách")
    CLOSE = "close", _("Giải thể")
    REOPEN = "reopen", _("Khôi phục hoạt động")

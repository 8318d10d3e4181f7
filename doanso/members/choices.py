from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    MALE = "M", _("Nam")
    FEMALE = "F", _("Nữ")


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("Đang sinh hoạt")
    IN_TRANSIT = "in_transit", _("Đang chuyển sinh hoạt")
    AGED_OUT = "aged_out", _("Đã trưởng thành Đoàn")
    REMOVED = "removed", _("Đã xóa tên")
    EXPELLED = "expelled", _("Bị khai trừ")
    DECEASED = "deceased", _("Đã mất")
    LEFT = "left", _("Chuyển ra khỏi hệ thống")


# Statuses that still count as a member on the rolls of a unit.
CURRENT_STATUSES = {MemberStatus.ACTIVE, MemberStatus.IN_TRANSIT}

# Statuses reachable by a plain dated status record in this foundation; the
# procedures (transfer, removal, discipline…) will own the others.
ALLOWED_STATUS_CHANGES: dict[str, set[str]] = {
    MemberStatus.ACTIVE: {
        MemberStatus.AGED_OUT, MemberStatus.REMOVED, MemberStatus.EXPELLED, MemberStatus.DECEASED,
        MemberStatus.IN_TRANSIT, MemberStatus.LEFT,
    },
    MemberStatus.IN_TRANSIT: {MemberStatus.ACTIVE, MemberStatus.LEFT, MemberStatus.DECEASED},
    MemberStatus.AGED_OUT: {MemberStatus.ACTIVE, MemberStatus.DECEASED},
    MemberStatus.REMOVED: {MemberStatus.ACTIVE, MemberStatus.DECEASED},
    MemberStatus.EXPELLED: {MemberStatus.ACTIVE, MemberStatus.DECEASED},
    MemberStatus.LEFT: {MemberStatus.ACTIVE, MemberStatus.DECEASED},
    MemberStatus.DECEASED: set(),
}  # fmt: skip


class AgeBand(models.TextChoices):
    UNDER_18 = "u18", _("Dưới 18")
    B18_22 = "18_22", _("18–22")
    B23_26 = "23_26", _("23–26")
    B27_30 = "27_30", _("27–30")
    OVER_30 = "o30", _("Trên 30")


AGE_BANDS = {  # inclusive age bounds
    AgeBand.UNDER_18: (0, 17),
    AgeBand.B18_22: (18, 22),
    AgeBand.B23_26: (23, 26),
    AgeBand.B27_30: (27, 30),
    AgeBand.OVER_30: (31, 200),
}


class Position(models.TextChoices):
    MEMBER = "member", _("Đoàn viên")
    SECRETARY = "secretary", _("Bí thư")
    DEPUTY_SECRETARY = "deputy_secretary", _("Phó Bí thư")
    COMMITTEE = "committee", _("Ủy viên BCH")

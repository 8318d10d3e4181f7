from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseKind(models.TextChoices):
    ADMISSION = "admission", _("Kết nạp đoàn viên")
    TRANSFER = "transfer", _("Chuyển sinh hoạt Đoàn")
    AGEING_OUT = "ageing_out", _("Trưởng thành Đoàn")
    AGE_EXTENSION = "age_extension", _("Ở lại sinh hoạt quá tuổi")
    WORKING_AWAY = "working_away", _("Đi làm ăn xa")
    REMOVAL = "removal", _("Xóa tên")
    HONORARY = "honorary", _("Công nhận đoàn viên danh dự")
    DISCIPLINE = "discipline", _("Kỷ luật đoàn viên")
    RESIDENCE = "residence", _("Sinh hoạt nơi cư trú")
    TEMPORARY = "temporary", _("Sinh hoạt tạm thời")
    PARTY_REFERRAL = "party_referral", _("Giới thiệu đoàn viên ưu tú cho Đảng")


class SponsorKind(models.TextChoices):
    MEMBER = "member", _("Đoàn viên giới thiệu")
    PIONEER_DETACHMENT = "pioneer", _("Liên đội/Chi đội TNTP Hồ Chí Minh giới thiệu")
    ASSOCIATION_BRANCH = "association", _("Chi hội (Hội LHTN, Hội Sinh viên) giới thiệu")


class DisciplineForm(models.TextChoices):
    REPRIMAND = "reprimand", _("Khiển trách")
    WARNING = "warning", _("Cảnh cáo")
    DISMISSAL = "dismissal", _("Cách chức (chỉ với cán bộ Đoàn)")
    EXPULSION = "expulsion", _("Khai trừ")
    SUSPENSION = "suspension", _("Đình chỉ sinh hoạt")


class RewardForm(models.TextChoices):
    CERTIFICATE = "certificate", _("Giấy khen")
    MERIT = "merit", _("Bằng khen")
    EMULATION = "emulation", _("Danh hiệu thi đua")
    OTHER = "other", _("Hình thức khác")

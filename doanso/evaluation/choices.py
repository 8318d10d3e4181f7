from django.db import models
from django.utils.translation import gettext_lazy as _


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("Hoàn thành xuất sắc nhiệm vụ")
    GOOD = "good", _("Hoàn thành tốt nhiệm vụ")
    DONE = "done", _("Hoàn thành nhiệm vụ")
    FAILED = "failed", _("Không hoàn thành nhiệm vụ")


GRADE_SHORT = {"excellent": "HTXS", "good": "HTT", "done": "HT", "failed": "KHT"}
GRADES = [g.value for g in Grade]


class RoundState(models.TextChoices):
    OPEN = "open", _("Đang đánh giá")
    LOCKED = "locked", _("Đã phê duyệt và khóa")


class SheetState(models.TextChoices):
    OPEN = "open", _("Chi đoàn đang đánh giá")
    APPROVED = "approved", _("Đã phê duyệt")


class Stage(models.TextChoices):
    SELF_ASSESSED = "self_assessed", _("Đã tự đánh giá")
    PROPOSED = "proposed", _("Chi đoàn đã đề xuất")
    APPROVED = "approved", _("Đã phê duyệt")

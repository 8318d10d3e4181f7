from django.db import models
from django.utils.translation import gettext_lazy as _


class ResultLevel(models.TextChoices):
    """The year-end result of a member's self-improvement programme (the branch confirms it)."""

    EXCELLENT = "excellent", _("Xuất sắc")
    GOOD = "good", _("Tốt")
    DONE = "done", _("Đạt")
    FAILED = "failed", _("Không đạt")


class RegistrationState(models.TextChoices):
    REGISTERED = "registered", _("Đã đăng ký")
    IN_PROGRESS = "in_progress", _("Đang thực hiện")
    ASSESSED = "assessed", _("Đã đánh giá")


class ProgrammeState(models.TextChoices):
    DRAFT = "draft", _("Bản nháp")
    PUBLISHED = "published", _("Đã ban hành")

from django.db import models
from django.utils.translation import gettext_lazy as _


class DuesCategory(models.TextChoices):
    NON_SALARIED = "non_salaried", _("Không hưởng lương")
    SALARIED = "salaried", _("Hưởng lương")
    ABROAD = "abroad", _("Ở nước ngoài")


class EntryKind(models.TextChoices):
    PAYMENT = "payment", _("Thu đoàn phí")
    REVERSAL = "reversal", _("Bút toán điều chỉnh (hủy khoản thu)")


# The rule that sets each category's monthly rate (for "abroad" it is the minimum).
RATE_RULES = {
    DuesCategory.NON_SALARIED: "dues_non_salaried",
    DuesCategory.SALARIED: "dues_salaried",
    DuesCategory.ABROAD: "dues_abroad_min",
}

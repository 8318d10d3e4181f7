from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Who did what to which record, when, and the old → new values. Append-only."""

    at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("người thực hiện"),
    )  # fmt: skip
    target_type = models.CharField(max_length=40)  # "organisations.unit", "members.member", "accounts.user"
    target_id = models.BigIntegerField()
    action = models.CharField(_("thao tác"), max_length=40)
    summary = models.CharField(_("nội dung"), max_length=300, blank=True)
    changes = models.JSONField(_("thay đổi"), default=dict, blank=True)  # {field: [old, new]}
    note = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        verbose_name = _("lịch sử thay đổi")
        indexes = [models.Index(fields=["target_type", "target_id", "at"], name="audit_target_idx")]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.target_type}#{self.target_id} {self.action}"


class Province(models.Model):
    """A provincial-level administrative unit (post-2025: 34), GSO code."""

    code = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(max_length=100)
    division_type = models.CharField(max_length=40)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tỉnh/thành phố")

    def __str__(self) -> str:
        return self.name


class Ward(models.Model):
    """A commune-level administrative unit (xã, phường, đặc khu), GSO code."""

    code = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(max_length=100)
    division_type = models.CharField(max_length=40)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="wards")
    name_search = models.CharField(max_length=100, db_index=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("xã/phường")

    def __str__(self) -> str:
        return f"{self.name}, {self.province.name}"


class Ethnicity(models.Model):
    """Decision 121-TCTK/PPCĐ (1979) list; `code_list` names the numbering used."""

    code = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=60)
    code_list = models.CharField(max_length=20, default="dm_dantoc_1979")
    aliases = models.CharField(max_length=200, blank=True)  # folded spellings, "|"-separated, for imports
    confirmed = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("dân tộc")

    def __str__(self) -> str:
        return self.name


class Religion(models.Model):
    """GSO list (Decision 1019/QĐ-TCTK, 2008) plus later additions; "00" = Không."""

    code = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=120)
    confirmed = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("tôn giáo")

    def __str__(self) -> str:
        return self.name


class RuleSet(models.Model):
    """Rule values in force from `effective_from` until the next rule set. Published by the Central level."""

    effective_from = models.DateField(_("có hiệu lực từ ngày"), unique=True)
    values = models.JSONField(_("giá trị"), default=dict)
    note = models.TextField(_("căn cứ / ghi chú"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("bộ quy định")

    def __str__(self) -> str:
        return f"Quy định từ {self.effective_from:%d/%m/%Y}"

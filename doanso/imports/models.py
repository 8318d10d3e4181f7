"""An uploaded file and its check result, kept: who imported what, into which unit, with which outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from doanso.core.scope import ScopedQuerySet


class ImportKind(models.TextChoices):
    MEMBERS = "members", _("Đoàn viên")
    UNITS = "units", _("Đơn vị")


class ImportState(models.TextChoices):
    CHECKING = "checking", _("Đang kiểm tra")
    CHECKED = "checked", _("Đã kiểm tra — chờ xác nhận")
    CONFIRMING = "confirming", _("Đang ghi")
    CONFIRMED = "confirmed", _("Đã nhập")
    FAILED = "failed", _("Không nhập được")


class ImportMode(models.TextChoices):
    ALL = "all", _("Tất cả hoặc không gì cả")
    VALID = "valid", _("Chỉ các dòng hợp lệ")


class Outcome(models.TextChoices):
    CREATE = "create", _("Thêm mới")
    UPDATE = "update", _("Cập nhật")
    SAME = "same", _("Không thay đổi")
    CONFLICT = "conflict", _("Đã đăng ký ở đơn vị khác")
    ERROR = "error", _("Lỗi")


class ImportBatch(models.Model):
    """One uploaded file for one unit. Nothing in the registry changes until it is confirmed."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("người nhập")
    )
    unit = models.ForeignKey("organisations.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("đơn vị"))
    kind = models.CharField(_("loại dữ liệu"), max_length=10, choices=ImportKind.choices, default=ImportKind.MEMBERS)
    file_name = models.CharField(_("tên tệp"), max_length=255)
    file_size = models.PositiveBigIntegerField(_("dung lượng"), default=0)
    file_path = models.CharField(max_length=300, blank=True)  # relative to settings.IMPORT_ROOT
    file_type = models.CharField(_("định dạng"), max_length=10, blank=True)
    encoding = models.CharField(_("bảng mã"), max_length=20, blank=True)
    sheet = models.CharField(_("trang tính"), max_length=100, blank=True)
    sheets = models.JSONField(_("các trang tính"), default=list, blank=True)
    header_row = models.PositiveIntegerField(_("dòng tiêu đề"), null=True, blank=True)
    headers = models.JSONField(_("tiêu đề cột"), default=list, blank=True)
    columns = models.JSONField(_("cột nhận ra"), default=dict, blank=True)  # str(column index) → field
    unknown_columns = models.JSONField(_("cột không nhận ra"), default=list, blank=True)
    state = models.CharField(_("trạng thái"), max_length=12, choices=ImportState.choices, default=ImportState.CHECKING)
    message = models.TextField(_("thông báo"), blank=True)
    total_rows = models.PositiveIntegerField(_("số dòng"), default=0)
    create_count = models.PositiveIntegerField(_("thêm mới"), default=0)
    update_count = models.PositiveIntegerField(_("cập nhật"), default=0)
    same_count = models.PositiveIntegerField(_("không thay đổi"), default=0)
    conflict_count = models.PositiveIntegerField(_("ở đơn vị khác"), default=0)
    error_count = models.PositiveIntegerField(_("có lỗi"), default=0)
    mode = models.CharField(_("cách nhập"), max_length=5, choices=ImportMode.choices, blank=True)
    created_count = models.PositiveIntegerField(_("đã thêm"), default=0)
    updated_count = models.PositiveIntegerField(_("đã cập nhật"), default=0)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("tải lên lúc"), auto_now_add=True)
    checked_at = models.DateTimeField(_("kiểm tra xong"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("xác nhận lúc"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("người xác nhận"),
    )  # fmt: skip

    objects = ScopedQuerySet.as_manager()
    scope_domain = "member"

    class Meta:
        verbose_name = _("lần nhập dữ liệu")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["unit", "-created_at"], name="import_unit_idx")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_state_display()})"

    @classmethod
    def scope_subtree(cls, qs, unit):
        return qs.filter(unit__path__startswith=unit.path)

    @property
    def writable_count(self) -> int:
        return self.create_count + self.update_count

    @property
    def blocked_count(self) -> int:
        return self.error_count + self.conflict_count

    @property
    def is_busy(self) -> bool:
        return self.state in (ImportState.CHECKING, ImportState.CONFIRMING)


class ImportRow(models.Model):
    """One data row of the file: its cells as read, and what the check (then the confirmation) made of it."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(_("dòng"))  # the row number in the sheet, as Excel shows it
    outcome = models.CharField(_("kết quả kiểm tra"), max_length=10, choices=Outcome.choices)
    cells = models.JSONField(default=list)  # the row's cells, in the file's column order (dates as dd/mm/yyyy)
    errors = models.JSONField(default=list, blank=True)  # [[column header, value, reason], …]
    warnings = models.JSONField(default=list, blank=True)
    changes = models.JSONField(default=dict, blank=True)  # update: {label: [old, new]}
    target_id = models.IntegerField(null=True, blank=True)  # the member (or unit) it matched or created
    target_label = models.CharField(max_length=300, blank=True)
    written = models.BooleanField(default=False)

    class Meta:
        ordering = ["batch", "number"]
        indexes = [models.Index(fields=["batch", "outcome", "number"], name="importrow_outcome_idx")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.number} {self.outcome}"

"""A background job (an export today; imports and reports later) and the log of exports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    QUEUED = "queued", _("Đang chờ")
    RUNNING = "running", _("Đang chạy")
    DONE = "done", _("Hoàn thành")
    FAILED = "failed", _("Lỗi")


class Job(models.Model):
    """One piece of background work started by one person; only that person sees it and its file."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("người tạo")
    )
    kind = models.CharField(_("loại"), max_length=60)  # "export.members", "export.evaluation_summary", …
    label = models.CharField(_("nội dung"), max_length=300)
    params = models.JSONField(_("tham số"), default=dict, blank=True)
    unit = models.ForeignKey(
        "organisations.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("đơn vị"),
    )  # fmt: skip
    state = models.CharField(_("trạng thái"), max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    progress_done = models.PositiveIntegerField(_("đã xử lý"), default=0)
    progress_total = models.PositiveIntegerField(_("tổng số"), null=True, blank=True)
    row_count = models.PositiveIntegerField(_("số dòng"), null=True, blank=True)
    result_path = models.CharField(max_length=300, blank=True)  # relative to settings.JOBS_ROOT
    result_name = models.CharField(_("tên tệp"), max_length=200, blank=True)
    error = models.TextField(_("lỗi"), blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    started_at = models.DateTimeField(_("bắt đầu"), null=True, blank=True)
    finished_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("công việc nền")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="job_owner_idx")]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_state_display()})"

    @property
    def is_finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(99, self.progress_done * 100 // self.progress_total)


class ExportLog(models.Model):
    """Who exported what, of which unit, in which format, when, and how many rows. Append-only."""

    at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("người xuất")
    )
    export = models.CharField(_("danh sách"), max_length=60)
    unit = models.ForeignKey("organisations.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("đơn vị"))
    format = models.CharField(_("định dạng"), max_length=10)
    params = models.JSONField(_("bộ lọc"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("số dòng"))
    personal_data = models.BooleanField(_("có dữ liệu cá nhân"), default=True)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("nhật ký xuất dữ liệu")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["unit", "at"], name="exportlog_unit_idx")]

    def __str__(self) -> str:
        return f"{self.export} {self.format} ({self.row_count})"

"""The self-improvement programme (chương trình rèn luyện): a programme per year published by the
Central level or a province, each member's registered targets, and the branch's year-end result."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from doanso.core.scope import ScopedQuerySet

from .choices import ProgrammeState, RegistrationState, ResultLevel


class ProgrammeQuerySet(ScopedQuerySet):
    pass


class Programme(models.Model):
    """A year's programme published by a unit for its subtree; the nearest ancestor's programme applies."""

    unit = models.ForeignKey(
        "organisations.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("đơn vị ban hành")
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    title = models.CharField(_("tên chương trình"), max_length=200)
    introduction = models.TextField(_("hướng dẫn chung"), blank=True)
    state = models.CharField(
        _("tình trạng"), max_length=12, choices=ProgrammeState.choices, default=ProgrammeState.DRAFT
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ProgrammeQuerySet.as_manager()
    scope_domain = "member"

    class Meta:
        verbose_name = _("chương trình rèn luyện")
        ordering = ["-year", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="training_programme_unit_year")]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})"

    @property
    def is_published(self) -> bool:
        return self.state == ProgrammeState.PUBLISHED

    @classmethod
    def scope_subtree(cls, qs, unit):
        """A unit sees the programmes that may apply to it (its ancestors') and those of its subtree."""
        return qs.filter(Q(unit__path__startswith=unit.path) | Q(unit_id__in=unit.ancestor_ids()))

    @classmethod
    def scope_for_member(cls, qs, member_id: int):
        from doanso.members.models import Member

        path = Member.objects.filter(pk=member_id).values_list("unit_path", flat=True).first() or ""
        ids = [int(p) for p in path.strip("/").split("/") if p]
        return qs.filter(unit_id__in=ids, state=ProgrammeState.PUBLISHED)


class ProgrammeArea(models.Model):
    """One area of a programme (Học tập, Rèn luyện đạo đức…): its targets and how they are assessed."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="areas")
    position = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    name = models.CharField(_("nội dung"), max_length=200)
    targets = models.TextField(_("chỉ tiêu"))
    assessment = models.TextField(_("cách đánh giá"))

    class Meta:
        ordering = ["programme", "position", "id"]
        verbose_name = _("nội dung rèn luyện")

    def __str__(self) -> str:
        return self.name


class RegistrationQuerySet(ScopedQuerySet):
    pass


class Registration(models.Model):
    """A member's personal targets for a year: registered → in progress → assessed (the branch's result)."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="registrations")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="training_registrations")
    year = models.PositiveSmallIntegerField(_("năm"))
    state = models.CharField(
        _("tình trạng"), max_length=12, choices=RegistrationState.choices, default=RegistrationState.REGISTERED
    )
    registered_at = models.DateTimeField(_("ngày đăng ký"), auto_now_add=True)
    started_at = models.DateTimeField(_("chi đoàn ghi nhận"), null=True, blank=True)
    result = models.CharField(_("kết quả"), max_length=12, choices=ResultLevel.choices, blank=True)
    result_note = models.CharField(_("nhận xét"), max_length=300, blank=True)
    result_unit = models.ForeignKey(
        "organisations.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("đơn vị xác nhận kết quả"),
    )  # fmt: skip
    result_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result_confirmed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = RegistrationQuerySet.as_manager()
    scope_domain = "member"

    class Meta:
        verbose_name = _("đăng ký rèn luyện")
        ordering = ["-year", "id"]
        constraints = [models.UniqueConstraint(fields=["member", "year"], name="training_registration_member_year")]
        indexes = [models.Index(fields=["year", "result"], name="training_reg_year_result_idx")]

    def __str__(self) -> str:
        return f"{self.member} — {self.year}"

    @classmethod
    def scope_subtree(cls, qs, unit):
        return qs.filter(member__unit_path__startswith=unit.path)

    @classmethod
    def scope_for_member(cls, qs, member_id: int):
        return qs.filter(member_id=member_id)


class RegistrationTarget(models.Model):
    """The member's own target under one area of the programme."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="targets")
    area = models.ForeignKey(ProgrammeArea, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("chỉ tiêu cá nhân"))

    class Meta:
        ordering = ["area__position", "area_id"]
        constraints = [models.UniqueConstraint(fields=["registration", "area"], name="training_target_unique")]

    def __str__(self) -> str:
        return self.text[:60]


class Reminder(models.Model):
    """An in-app reminder to register, shown in the member's e-member book."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="training_reminders")
    year = models.PositiveSmallIntegerField(_("năm"))
    unit = models.ForeignKey("organisations.Unit", on_delete=models.PROTECT, related_name="+")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["member", "read_at"], name="training_reminder_member_idx")]

    def __str__(self) -> str:
        return self.message

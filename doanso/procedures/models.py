"""One case mechanism for every membership procedure (nghiệp vụ)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from doanso.core import vn
from doanso.core.scope import ScopedQuerySet

from .choices import CaseKind, DisciplineForm, RewardForm, SponsorKind


class YouthQuerySet(ScopedQuerySet):
    pass


class Youth(models.Model):
    """A young person applying to join (thanh niên): not a member until the superior approves."""

    unit = models.ForeignKey(
        "organisations.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("chi đoàn")
    )
    full_name = models.CharField(_("họ và tên"), max_length=120)
    sort_key = models.CharField(max_length=255, editable=False)
    search_name = models.CharField(max_length=120, editable=False)
    date_of_birth = models.DateField(_("ngày sinh"))
    sex = models.CharField(_("giới tính"), max_length=1, choices=[("M", _("Nam")), ("F", _("Nữ"))])
    ethnicity = models.ForeignKey("core.Ethnicity", on_delete=models.PROTECT, default="01", verbose_name=_("dân tộc"))
    religion = models.ForeignKey("core.Religion", on_delete=models.PROTECT, default="00", verbose_name=_("tôn giáo"))
    citizen_id = models.CharField(_("số CCCD"), max_length=12, unique=True)
    phone = models.CharField(_("số điện thoại"), max_length=16, blank=True)
    occupation = models.CharField(_("nghề nghiệp"), max_length=120, blank=True)
    current_address = models.CharField(_("nơi ở hiện nay"), max_length=300, blank=True)
    applied_on = models.DateField(_("ngày nộp đơn"))
    application = models.TextField(_("đơn xin vào Đoàn"), blank=True)
    personal_history = models.TextField(_("lý lịch"), blank=True)
    course_passed_on = models.DateField(_("ngày hoàn thành lớp cảm tình Đoàn"), null=True, blank=True)
    course_certificate = models.CharField(_("số giấy chứng nhận cảm tình Đoàn"), max_length=60, blank=True)
    sponsor_kind = models.CharField(
        _("người/tổ chức giới thiệu"), max_length=20, choices=SponsorKind.choices, blank=True
    )
    sponsor_member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("đoàn viên giới thiệu"),
    )  # fmt: skip
    sponsor_note = models.CharField(_("ghi chú người giới thiệu"), max_length=200, blank=True)
    member = models.OneToOneField(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="youth_record"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = YouthQuerySet.as_manager()
    scope_domain = "member"
    scope_path_field = "unit__path"

    class Meta:
        verbose_name = _("thanh niên (quần chúng ưu tú)")
        ordering = ["sort_key"]

    def __str__(self) -> str:
        return self.full_name

    def set_derived(self) -> None:
        self.full_name = vn.nfc(self.full_name)
        self.sort_key = vn.name_sort_key(self.full_name)
        self.search_name = vn.fold(self.full_name)


class CaseQuerySet(ScopedQuerySet):
    pass


class Case(models.Model):
    """A procedure about one member or a batch: kind, state, who decides next, dated steps."""

    kind = models.CharField(_("nghiệp vụ"), max_length=30, choices=CaseKind.choices)
    state = models.CharField(_("tình trạng"), max_length=30)
    title = models.CharField(_("tiêu đề"), max_length=300)
    origin_unit = models.ForeignKey(
        "organisations.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("đơn vị lập hồ sơ")
    )
    deciding_unit = models.ForeignKey(
        "organisations.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("đơn vị xử lý tiếp"),
    )  # fmt: skip
    data = models.JSONField(default=dict, blank=True)
    is_open = models.BooleanField(default=True, db_index=True)
    outcome = models.CharField(_("kết quả"), max_length=300, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    rule_set_id = models.IntegerField(null=True, blank=True)
    # A host unit's view of the member ends by itself on this day (residence / temporary activity).
    access_until = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = CaseQuerySet.as_manager()
    scope_domain = "member"

    class Meta:
        verbose_name = _("hồ sơ nghiệp vụ")
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["deciding_unit", "is_open"], name="case_inbox_idx")]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def scope_subtree(cls, qs, unit):
        """A unit sees the cases it started or must decide, and those of its subtree; a host unit only
        until the attachment's end date."""
        from django.utils import timezone

        current = Q(access_until__isnull=True) | Q(access_until__gte=timezone.localdate())
        return qs.filter(
            Q(origin_unit__path__startswith=unit.path) | (Q(deciding_unit__path__startswith=unit.path) & current)
        )


class CaseSubject(models.Model):
    """A member or a candidate the case is about (a batch case has several)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="subjects")
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    youth = models.ForeignKey(Youth, null=True, blank=True, on_delete=models.PROTECT, related_name="subjects")
    kind = models.CharField(max_length=30, choices=CaseKind.choices)
    is_open = models.BooleanField(default=True)
    result = models.CharField(_("kết quả"), max_length=30, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member", "kind"],
                condition=Q(is_open=True, member__isnull=False),
                name="one_open_case_per_member",
            ),
            models.UniqueConstraint(
                fields=["youth", "kind"], condition=Q(is_open=True, youth__isnull=False), name="one_open_case_per_youth"
            ),
        ]

    def __str__(self) -> str:
        return str(self.member or self.youth)


class CaseStep(models.Model):
    """Append-only: who did what to the case, when, from which state to which."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="steps")
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=30, blank=True)
    to_state = models.CharField(max_length=30)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_unit = models.ForeignKey("organisations.Unit", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} → {self.to_state}"


class Notification(models.Model):
    """In-app inbox of a unit: a case now waits for it."""

    unit = models.ForeignKey("organisations.Unit", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["unit", "read_at"], name="notification_unit_idx")]

    def __str__(self) -> str:
        return self.message


class AwayPeriod(models.Model):
    """A member registered as working away (from–to, ≤ the rule-set maximum); exempt from removal."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="away_periods")
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="away_period")
    starts_on = models.DateField(_("từ ngày"))
    ends_on = models.DateField(_("đến ngày"))
    returned_on = models.DateField(_("ngày trở về"), null=True, blank=True)
    pays_quarterly = models.BooleanField(_("đóng đoàn phí theo quý"), default=True)

    class Meta:
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return f"{self.member} đi làm ăn xa {self.starts_on:%d/%m/%Y}–{self.ends_on:%d/%m/%Y}"

    def covers(self, month) -> bool:
        end = self.returned_on or self.ends_on
        return self.starts_on.replace(day=1) <= month <= end


class ActivityMonth(models.Model):
    """One month of one member: took part in branch activity, paid dues. Feeds the removal trigger."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="activity_months")
    month = models.DateField(_("tháng"))  # the first day of the month
    attended = models.BooleanField(_("tham gia sinh hoạt"), default=True)
    dues_paid = models.BooleanField(_("đã đóng đoàn phí"), default=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "month"], name="activity_month_unique")]
        ordering = ["member", "month"]

    def __str__(self) -> str:
        return f"{self.member} {self.month:%m/%Y}"


class Distinction(models.Model):
    """A reward or a discipline on a member's record: decision number, date, issuing unit, form, reason."""

    class Kind(models.TextChoices):
        REWARD = "reward", _("Khen thưởng")
        DISCIPLINE = "discipline", _("Kỷ luật")

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="distinctions")
    kind = models.CharField(_("loại"), max_length=12, choices=Kind.choices)
    form = models.CharField(_("hình thức"), max_length=20, choices=[*RewardForm.choices, *DisciplineForm.choices])
    decision_number = models.CharField(_("số quyết định"), max_length=60)
    decided_on = models.DateField(_("ngày quyết định"))
    issuing_unit = models.ForeignKey(
        "organisations.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("cấp quyết định")
    )
    reason = models.TextField(_("lý do, thành tích"))
    ends_on = models.DateField(_("hết hiệu lực / hết thời hạn"), null=True, blank=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_form_display()} — {self.member} ({self.decided_on:%d/%m/%Y})"


class Honorary(models.Model):
    """A person recognised as honorary member (no age window); linked to a member record when there is one."""

    full_name = models.CharField(_("họ và tên"), max_length=120)
    date_of_birth = models.DateField(_("ngày sinh"), null=True, blank=True)
    citizen_id = models.CharField(_("số CCCD"), max_length=12, blank=True)
    contribution = models.TextField(_("đóng góp"))
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    nominating_unit = models.ForeignKey("organisations.Unit", on_delete=models.PROTECT, related_name="+")
    recognising_unit = models.ForeignKey("organisations.Unit", on_delete=models.PROTECT, related_name="+")
    decision_number = models.CharField(_("số quyết định"), max_length=60)
    decided_on = models.DateField(_("ngày quyết định"))
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="honorary")

    class Meta:
        ordering = ["-decided_on"]

    def __str__(self) -> str:
        return self.full_name

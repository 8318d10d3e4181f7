"""The dues ledger (sổ đoàn phí): append-only entries, the months they cover, forwarding up the tree.

A payment is never edited: a mistake is undone by a reversal entry that points at it, and both
stay. `DuesMonth` is the projection "which months of a member are paid, by which entry", kept by
the services in the same transaction as the entries; its unique (member, month) is what makes a
double payment impossible even when two officials post at once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from doanso.core.scope import ScopedQuerySet

from .choices import DuesCategory, EntryKind


class DuesEntryQuerySet(ScopedQuerySet):
    pass


class DuesEntry(models.Model):
    """One line of a branch's dues book: a payment (one month, or several for members away) or its reversal."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="dues_entries")
    unit = models.ForeignKey(
        "organisations.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("đơn vị thu")
    )
    kind = models.CharField(_("loại"), max_length=10, choices=EntryKind.choices, default=EntryKind.PAYMENT)
    first_month = models.DateField(_("từ tháng"))  # the first day of the first month covered
    months = models.PositiveSmallIntegerField(_("số tháng"), default=1)
    amount = models.IntegerField(_("số tiền (đồng)"))  # negative for a reversal
    category = models.CharField(_("đối tượng"), max_length=14, choices=DuesCategory.choices)
    paid_on = models.DateField(_("ngày nộp"))
    note = models.CharField(_("ghi chú"), max_length=300, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal",
        verbose_name=_("điều chỉnh cho khoản"),
    )  # fmt: skip
    rule_set_id = models.IntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = DuesEntryQuerySet.as_manager()
    scope_domain = "member"
    scope_path_field = "unit__path"

    class Meta:
        verbose_name = _("khoản đoàn phí")
        ordering = ["first_month", "id"]
        indexes = [
            models.Index(fields=["member", "first_month"], name="dues_entry_member_idx"),
            models.Index(fields=["unit", "paid_on"], name="dues_entry_unit_paid_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.period_label}: {self.amount:,} đ".replace(",", ".")

    @classmethod
    def scope_subtree(cls, qs, unit):
        # The branch that recorded it, or the member's current unit (history follows the member).
        return qs.filter(models.Q(unit__path__startswith=unit.path) | models.Q(member__unit_path__startswith=unit.path))

    @classmethod
    def scope_for_member(cls, qs, member_id: int):
        return qs.filter(member_id=member_id)

    @property
    def last_month(self):
        total = self.first_month.year * 12 + self.first_month.month - 1 + self.months - 1
        return self.first_month.replace(year=total // 12, month=total % 12 + 1)

    @property
    def period_label(self) -> str:
        if self.months == 1:
            return f"{self.first_month:%m/%Y}"
        return f"{self.first_month:%m/%Y}–{self.last_month:%m/%Y}"


class DuesMonth(models.Model):
    """A paid month of a member and the payment that covers it (the projection arrears read)."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    entry = models.ForeignKey(DuesEntry, on_delete=models.PROTECT, related_name="covered")
    amount = models.IntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "month"], name="dues_month_unique")]
        ordering = ["member", "month"]

    def __str__(self) -> str:
        return f"{self.member_id} {self.month:%m/%Y}"


class DuesCategoryOverride(models.Model):
    """A member's dues category when it is not what `is_salaried` says (a member abroad)."""

    member = models.OneToOneField("members.Member", on_delete=models.PROTECT, related_name="dues_category")
    category = models.CharField(_("đối tượng đóng đoàn phí"), max_length=14, choices=DuesCategory.choices)
    note = models.CharField(_("ghi chú"), max_length=300, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("đối tượng đóng đoàn phí")

    def __str__(self) -> str:
        return f"{self.member}: {self.get_category_display()}"


class LedgerStart(models.Model):
    """The month a unit began keeping the dues book here: arrears are not counted before it (its subtree too)."""

    unit = models.OneToOneField("organisations.Unit", on_delete=models.PROTECT, related_name="dues_ledger_start")
    month = models.DateField(_("bắt đầu theo dõi từ tháng"))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.unit}: {self.month:%m/%Y}"


class ForwardingQuerySet(ScopedQuerySet):
    pass


class Forwarding(models.Model):
    """A unit closes a period: what it collected (its own + received from its children), kept and sent up."""

    unit = models.ForeignKey(
        "organisations.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("đơn vị nộp")
    )
    parent = models.ForeignKey(
        "organisations.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("đơn vị nhận")
    )
    period_start = models.DateField(_("từ tháng"))
    period_months = models.PositiveSmallIntegerField(_("số tháng"), default=1)  # 1 (month) or 3 (quarter)
    own_collected = models.IntegerField(_("tự thu"))
    received = models.IntegerField(_("cấp dưới nộp lên"))
    collected = models.IntegerField(_("tổng thu"))
    kept = models.IntegerField(_("giữ lại"))
    forwarded = models.IntegerField(_("nộp cấp trên"))
    kept_thirds = models.PositiveSmallIntegerField()
    rule_set_id = models.IntegerField(null=True, blank=True)
    note = models.CharField(_("ghi chú"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = ForwardingQuerySet.as_manager()
    scope_domain = "member"
    scope_path_field = "unit__path"

    class Meta:
        verbose_name = _("nộp đoàn phí lên cấp trên")
        ordering = ["-period_start", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "period_start"], name="dues_forwarding_unique"),
            models.CheckConstraint(condition=models.Q(collected=models.F("kept") + models.F("forwarded")),
                                   name="dues_forwarding_adds_up"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.unit} → {self.parent} {self.period_label}"

    @property
    def period_end(self):
        total = self.period_start.year * 12 + self.period_start.month - 1 + self.period_months
        return self.period_start.replace(year=total // 12, month=total % 12 + 1)  # exclusive

    @property
    def period_label(self) -> str:
        if self.period_months == 3:
            return f"Quý {(self.period_start.month - 1) // 3 + 1}/{self.period_start.year}"
        return f"Tháng {self.period_start:%m/%Y}"

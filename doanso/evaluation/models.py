"""Yearly evaluation (đánh giá, xếp loại): rounds, one grade row per member and year, the rollup."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from doanso.core.scope import ScopedQuerySet

from .choices import Grade, RoundState, SheetState, Stage


class EvaluationRoundQuerySet(ScopedQuerySet):
    pass


class EvaluationRound(models.Model):
    """A grassroots unit's round for one year over its branches (one per unit and year)."""

    unit = models.ForeignKey(
        "organisations.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("đơn vị cơ sở")
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    state = models.CharField(_("tình trạng"), max_length=10, choices=RoundState.choices, default=RoundState.OPEN)
    rule_set_id = models.IntegerField(null=True, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    locked_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = EvaluationRoundQuerySet.as_manager()
    scope_domain = "member"

    class Meta:
        verbose_name = _("đợt đánh giá, xếp loại")
        ordering = ["-year", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="evaluation_round_unique")]

    def __str__(self) -> str:
        return f"Đánh giá, xếp loại đoàn viên năm {self.year} — {self.unit.name}"

    @classmethod
    def scope_subtree(cls, qs, unit):
        """A unit sees the rounds of its subtree, and a branch the round of the grassroots unit above it."""
        return qs.filter(Q(unit__path__startswith=unit.path) | Q(unit_id__in=unit.ancestor_ids()))

    @property
    def is_locked(self) -> bool:
        return self.state == RoundState.LOCKED


class EvaluationSheet(models.Model):
    """One branch's list in a round: graded by the branch, approved (locked) by the grassroots unit."""

    round = models.ForeignKey(EvaluationRound, on_delete=models.PROTECT, related_name="sheets")
    branch = models.ForeignKey("organisations.Unit", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=SheetState.choices, default=SheetState.OPEN)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "branch"], name="evaluation_sheet_unique")]

    def __str__(self) -> str:
        return f"{self.round} / {self.branch_id}"


class EvaluationQuerySet(ScopedQuerySet):
    pass


class Evaluation(models.Model):
    """A member's grade for one year: self-assessment, the branch's proposal, the approved grade."""

    round = models.ForeignKey(EvaluationRound, on_delete=models.PROTECT, related_name="evaluations")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("năm"))
    branch = models.ForeignKey(
        "organisations.Unit", on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("chi đoàn")
    )
    unit_path = models.CharField(max_length=255)
    stage = models.CharField(_("bước"), max_length=14, choices=Stage.choices, default=Stage.SELF_ASSESSED)
    self_grade = models.CharField(_("tự xếp loại"), max_length=10, choices=Grade.choices, blank=True)
    self_text = models.TextField(_("tự đánh giá"), blank=True)
    self_at = models.DateTimeField(null=True, blank=True)
    proposed_grade = models.CharField(_("chi đoàn đề xuất"), max_length=10, choices=Grade.choices, blank=True)
    justification = models.TextField(_("giải trình"), blank=True)
    unmet_conditions = models.JSONField(default=list, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    grade = models.CharField(_("xếp loại"), max_length=10, choices=Grade.choices, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = EvaluationQuerySet.as_manager()
    scope_domain = "member"
    scope_path_field = "unit_path"

    class Meta:
        verbose_name = _("xếp loại đoàn viên")
        constraints = [models.UniqueConstraint(fields=["member", "year"], name="evaluation_member_year_unique")]
        indexes = [
            models.Index(fields=["round", "branch", "stage"], name="evaluation_sheet_idx"),
            models.Index(
                fields=["year", "unit_path"],
                name="evaluation_year_path_idx",
                opclasses=["int2_ops", "varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.year}: {self.grade or self.proposed_grade or self.self_grade}"

    @classmethod
    def scope_for_member(cls, qs, member_id: int):
        return qs.filter(member_id=member_id)

    def counted(self) -> tuple[str, str] | None:
        """Where this row counts in the rollup: (stage, grade), or nowhere."""
        if self.stage == Stage.APPROVED and self.grade:
            return (Stage.APPROVED, self.grade)
        if self.stage == Stage.PROPOSED and self.proposed_grade:
            return (Stage.PROPOSED, self.proposed_grade)
        return None


class GradeCorrection(models.Model):
    """A correction of one approved grade after locking: old → new, who, when, why. Append-only."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="corrections")
    old_grade = models.CharField(max_length=10, choices=Grade.choices)
    new_grade = models.CharField(max_length=10, choices=Grade.choices)
    reason = models.TextField(_("lý do đính chính"))
    justification = models.TextField(_("giải trình"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.evaluation_id}: {self.old_grade} → {self.new_grade}"


class GradeStat(models.Model):
    """Rollup: grades per branch, year, stage (proposed / approved) and grade. Kept exact by the services."""

    branch = models.ForeignKey("organisations.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)
    year = models.PositiveSmallIntegerField()
    stage = models.CharField(max_length=14, choices=Stage.choices)
    grade = models.CharField(max_length=10, choices=Grade.choices)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["branch", "year", "stage", "grade"], name="grade_stat_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.branch_id}/{self.year}/{self.stage}/{self.grade}: {self.count}"

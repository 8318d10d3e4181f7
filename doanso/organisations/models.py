from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from doanso.core.scope import ScopedQuerySet

from .choices import ChangeKind, Sector, UnitKind


class UnitQuerySet(ScopedQuerySet):
    def in_subtree(self, unit: Unit) -> UnitQuerySet:
        return self.filter(path__startswith=unit.path)

    def open(self) -> UnitQuerySet:
        return self.filter(closed_on__isnull=True)


class Unit(models.Model):
    """A node of the organisation tree (materialised path `/1/34/556/`, self included)."""

    code = models.CharField(_("mã đơn vị"), max_length=30, unique=True)
    name = models.CharField(_("tên đơn vị"), max_length=200)
    short_name = models.CharField(_("tên viết tắt / ký hiệu"), max_length=40, blank=True)
    kind = models.CharField(_("cấp / loại đơn vị"), max_length=20, choices=UnitKind.choices)
    sector = models.CharField(_("khối"), max_length=20, choices=Sector.choices, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("đơn vị cấp trên"),
    )
    path = models.CharField(max_length=255, unique=True)
    depth = models.PositiveSmallIntegerField(default=0)
    province = models.ForeignKey(
        "core.Province", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("tỉnh/thành phố")
    )
    ward = models.ForeignKey("core.Ward", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("xã/phường"))
    address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    founded_on = models.DateField(_("ngày thành lập"), null=True, blank=True)
    closed_on = models.DateField(_("ngày giải thể/sáp nhập"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("hợp nhất vào")
    )
    name_search = models.CharField(max_length=200, db_index=True, editable=False)
    child_count = models.PositiveIntegerField(default=0, editable=False)  # open children, for the lazy tree
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UnitQuerySet.as_manager()
    scope_path_field = "path"

    class Meta:
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="unit_path_like_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["parent", "name"], name="unit_parent_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this unit, self included."""
        return [int(p) for p in self.path.strip("/").split("/") if p]

    def is_descendant_of(self, other: Unit) -> bool:
        return self.path.startswith(other.path)


class UnitParentage(models.Model):
    """Effective-dated parentage: where a unit hung from `valid_from` until `valid_to` (exclusive)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="parentages")
    parent = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["unit", "valid_from"], name="parentage_unit_idx")]
        ordering = ["unit", "valid_from", "id"]

    def __str__(self) -> str:
        return f"{self.unit_id} ⊂ {self.parent_id} từ {self.valid_from:%d/%m/%Y}"


class UnitChange(models.Model):
    """A dated change of the tree; `details` holds what a later change needs to reverse it."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="changes", verbose_name=_("đơn vị"))
    kind = models.CharField(_("loại thay đổi"), max_length=20, choices=ChangeKind.choices)
    effective_on = models.DateField(_("ngày hiệu lực"))
    decision_number = models.CharField(_("số quyết định"), max_length=60, blank=True)
    details = models.JSONField(default=dict, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    reverted_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-effective_on", "-id"]
        verbose_name = _("thay đổi tổ chức")

    def __str__(self) -> str:
        return self.summary or self.get_kind_display()

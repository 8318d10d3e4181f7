from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from doanso.core import vn
from doanso.core.fields import ByteOrderCharField
from doanso.core.scope import ScopedQuerySet

from .choices import MemberStatus, Position, Sex

# Members carry their unit's ancestors at depths 1..SCOPE_LEVELS (ancestor-or-self),
# so "the members of X and all its descendants, in name order" is one index range
# on (scopeN, sort_key) instead of a join over thousands of units.
SCOPE_LEVELS = 3


def subtree_filter(unit) -> models.Q:
    if unit.depth == 0:
        return models.Q()
    if unit.depth <= SCOPE_LEVELS:
        return models.Q(**{f"scope{unit.depth}": unit.pk})
    return models.Q(unit_path__startswith=unit.path)


class MemberQuerySet(ScopedQuerySet):
    def in_subtree(self, unit) -> MemberQuerySet:
        return self.filter(subtree_filter(unit))


def derived_name_fields(full_name: str | None) -> tuple[str, str, str, str, str, str]:
    """(full_name, family_name, given_name, sort_key, search_name, search_given) of a member's name.

    The one definition of the name columns: Member.set_derived_name_fields and every bulk writer
    (seeds, imports) use it.
    """
    full = vn.nfc(full_name)
    parts = vn.split_name(full)
    search_name, search_given = vn.search_forms(full)
    return full, parts.family[:40], parts.given[:40], vn.name_sort_key(full), search_name, search_given


class Member(models.Model):
    """One record per person (CCCD), across transfers. Never hard-deleted."""

    # --- placement (changed only by services)
    unit = models.ForeignKey(
        "organisations.Unit", on_delete=models.PROTECT, related_name="members", db_index=False,
        verbose_name=_("chi đoàn"),
    )  # fmt: skip
    unit_path = models.CharField(max_length=255, editable=False)
    scope1 = models.IntegerField(null=True, editable=False)
    scope2 = models.IntegerField(null=True, editable=False)
    scope3 = models.IntegerField(null=True, editable=False)

    # --- identity
    full_name = models.CharField(_("họ và tên"), max_length=120)
    family_name = models.CharField(_("họ"), max_length=40, editable=False)
    given_name = models.CharField(_("tên"), max_length=40, editable=False)
    sort_key = ByteOrderCharField(max_length=255, editable=False)
    search_name = models.CharField(max_length=120, editable=False)
    search_given = models.CharField(max_length=120, editable=False)
    date_of_birth = models.DateField(_("ngày sinh"))
    sex = models.CharField(_("giới tính"), max_length=1, choices=Sex.choices)
    ethnicity = models.ForeignKey(
        "core.Ethnicity", on_delete=models.PROTECT, verbose_name=_("dân tộc"), db_index=False, default="01"
    )
    religion = models.ForeignKey(
        "core.Religion", on_delete=models.PROTECT, verbose_name=_("tôn giáo"), db_index=False, default="00"
    )
    citizen_id = ByteOrderCharField(_("số CCCD"), max_length=12, unique=True)
    citizen_id_issued_on = models.DateField(_("ngày cấp CCCD"), null=True, blank=True)
    citizen_id_issued_place = models.CharField(_("nơi cấp CCCD"), max_length=120, blank=True)
    legacy_id_9 = models.CharField(_("số CMND cũ (9 số)"), max_length=9, blank=True)
    hometown = models.CharField(_("quê quán"), max_length=200, blank=True)
    permanent_ward = models.ForeignKey(
        "core.Ward", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False,
        verbose_name=_("xã/phường thường trú"),
    )  # fmt: skip
    permanent_address = models.CharField(_("địa chỉ thường trú"), max_length=300, blank=True)
    current_ward = models.ForeignKey(
        "core.Ward", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False,
        verbose_name=_("xã/phường nơi ở hiện nay"),
    )  # fmt: skip
    current_address = models.CharField(_("nơi ở hiện nay"), max_length=300, blank=True)
    phone = ByteOrderCharField(_("số điện thoại"), max_length=16, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)

    # --- education and work
    education_general = models.CharField(_("trình độ giáo dục phổ thông"), max_length=20, blank=True)
    education_professional = models.CharField(_("trình độ chuyên môn"), max_length=100, blank=True)
    political_theory = models.CharField(_("trình độ lý luận chính trị"), max_length=60, blank=True)
    it_level = models.CharField(_("trình độ tin học"), max_length=60, blank=True)
    foreign_language = models.CharField(_("trình độ ngoại ngữ"), max_length=60, blank=True)
    occupation = models.CharField(_("nghề nghiệp"), max_length=120, blank=True)
    is_salaried = models.BooleanField(_("hưởng lương"), default=False)

    # --- Union and Party
    party_joined_on = models.DateField(_("ngày vào Đảng"), null=True, blank=True)
    position = models.CharField(_("chức vụ Đoàn"), max_length=20, choices=Position.choices, default=Position.MEMBER)
    is_full_time_official = models.BooleanField(_("cán bộ chuyên trách / được bầu"), default=False)
    card_number = models.CharField(_("số thẻ đoàn viên"), max_length=30, blank=True)
    admitted_on = models.DateField(_("ngày vào Đoàn"), null=True, blank=True)
    admission_decision_number = models.CharField(_("số quyết định kết nạp"), max_length=60, blank=True)
    admission_place = models.CharField(_("nơi kết nạp"), max_length=200, blank=True)
    federation_member = models.BooleanField(_("hội viên Hội LHTN Việt Nam"), default=False)
    student_association_member = models.BooleanField(_("hội viên Hội Sinh viên Việt Nam"), default=False)
    is_honorary = models.BooleanField(_("đoàn viên danh dự"), default=False, editable=False)
    stay_until = models.DateField(_("được ở lại sinh hoạt đến"), null=True, blank=True, editable=False)

    # --- status (only through MemberStatusRecord)
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=MemberStatus.choices, default=MemberStatus.ACTIVE, editable=False
    )
    status_since = models.DateField(_("từ ngày"), null=True, editable=False)

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("đoàn viên")
        verbose_name_plural = _("đoàn viên")
        indexes = [
            models.Index(fields=["sort_key", "id"], name="member_sort_idx"),
            models.Index(fields=["scope1", "sort_key", "id"], name="member_s1_sort_idx"),
            models.Index(fields=["scope2", "sort_key", "id"], name="member_s2_sort_idx"),
            models.Index(fields=["scope3", "sort_key", "id"], name="member_s3_sort_idx"),
            models.Index(fields=["unit", "sort_key", "id"], name="member_unit_sort_idx"),
            models.Index(
                fields=["scope1", "search_name"],
                name="member_s1_name_idx",
                opclasses=["int4_ops", "varchar_pattern_ops"],
            ),
            models.Index(
                fields=["scope1", "search_given"],
                name="member_s1_given_idx",
                opclasses=["int4_ops", "varchar_pattern_ops"],
            ),
            models.Index(fields=["search_name"], name="member_name_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["search_given"], name="member_given_idx", opclasses=["varchar_pattern_ops"]),
            # Looked up by equality only (sign-in, search by number): one index, without the
            # varchar_pattern_ops twin Django adds for db_index=True.
            models.Index(fields=["phone"], name="member_phone_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    # ---- facts about one row
    @classmethod
    def scope_subtree(cls, qs, unit):
        return qs.filter(subtree_filter(unit))

    @classmethod
    def scope_for_member(cls, qs, member_id: int):
        return qs.filter(pk=member_id)

    def age_on(self, day: date) -> int:
        return vn.age_on(self.date_of_birth, day)

    @property
    def masked_citizen_id(self) -> str:
        return vn.mask_citizen_id(self.citizen_id)

    @property
    def phone_display(self) -> str:
        return vn.format_phone(self.phone)

    @property
    def is_current(self) -> bool:
        return self.status in (MemberStatus.ACTIVE, MemberStatus.IN_TRANSIT)

    def set_derived_name_fields(self) -> None:
        (
            self.full_name, self.family_name, self.given_name, self.sort_key, self.search_name, self.search_given
        ) = derived_name_fields(self.full_name)  # fmt: skip

    def set_placement(self, unit) -> None:
        self.unit = unit
        self.unit_path = unit.path
        ids = unit.ancestor_ids()
        for level in range(1, SCOPE_LEVELS + 1):
            setattr(self, f"scope{level}", ids[level] if len(ids) > level else None)


class MemberStatusRecord(models.Model):
    """A dated change of membership status, with the decision that caused it."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="status_records")
    status = models.CharField(_("trạng thái"), max_length=12, choices=MemberStatus.choices)
    previous_status = models.CharField(_("trạng thái trước"), max_length=12, choices=MemberStatus.choices, blank=True)
    effective_on = models.DateField(_("ngày hiệu lực"))
    decision_number = models.CharField(_("số quyết định"), max_length=60, blank=True)
    reason = models.TextField(_("lý do"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["member", "effective_on", "id"]
        verbose_name = _("quá trình trạng thái")

    def __str__(self) -> str:
        return f"{self.get_status_display()} từ {self.effective_on:%d/%m/%Y}"


class MemberUnitChange(models.Model):
    """A dated move of a member between units (by a tree change or, later, a transfer)."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="unit_changes")
    from_unit = models.ForeignKey("organisations.Unit", on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey("organisations.Unit", on_delete=models.PROTECT, related_name="+")
    effective_on = models.DateField(_("ngày hiệu lực"))
    reason = models.CharField(_("lý do"), max_length=200, blank=True)
    unit_change = models.ForeignKey("organisations.UnitChange", null=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["member", "effective_on", "id"]

    def __str__(self) -> str:
        return f"{self.from_unit} → {self.to_unit} ({self.effective_on:%d/%m/%Y})"


class MemberStat(models.Model):
    """Rollup: members directly on a unit's rolls per status. Kept exact by the services."""

    unit = models.ForeignKey("organisations.Unit", on_delete=models.CASCADE, related_name="member_stats")
    status = models.CharField(max_length=12, choices=MemberStatus.choices)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "status"], name="member_stat_unique")]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.status}: {self.count}"


class MemberFacet(models.Model):
    """Rollup for dashboards: members of a unit's whole subtree per dimension and key.

    Kept for every unit except the root (the root's figures are the sum of its children's), so a
    unit's dashboard reads its own rows and its children's. dims: "status" (all members, key =
    status), and over members on the rolls: "sex", "eth" (ethnicity code), "rel" (religion code),
    "born" (birth year; age bands are computed at read time), "party" (key "1": Party members).
    Kept exact in the same transaction by members.rollups, called from the services and bulk loads.
    """

    # no database FK: bulk loads write millions of rows (units are never deleted, only closed)
    unit = models.ForeignKey(
        "organisations.Unit", on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    dim = ByteOrderCharField(max_length=8)
    key = ByteOrderCharField(max_length=16)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "dim", "key"], name="member_facet_unique")]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.dim}/{self.key}: {self.count}"


class MemberEvent(models.Model):
    """Rollup for dashboards: dated events of a unit's whole subtree per year, month and kind.

    Kinds: "admitted" (first status record), "aged_out", "removed", "expelled", "deceased", "left"
    (status records, by effective date, counted where the member is held now), "transfer_in" /
    "transfer_out" (MemberUnitChange rows of a transfer, not of a tree change, counted for the
    units that the member entered / left). Same keeping and same units as MemberFacet.
    """

    # no database FK: bulk loads write millions of rows (units are never deleted, only closed)
    unit = models.ForeignKey(
        "organisations.Unit", on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    year = models.SmallIntegerField()
    month = models.SmallIntegerField()
    kind = ByteOrderCharField(max_length=12)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "year", "month", "kind"], name="member_event_unique")]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.year}-{self.month}/{self.kind}: {self.count}"


class RegisterLock(models.Model):
    """The member register is being loaded for the first time (`import_members --first-load`).

    Such a load writes millions of members without their dashboard figures and adds those at the
    end, set-based, for every member from its first id on; a member written meanwhile by anybody else
    would be counted twice, or a change to a loaded member lost. While a row is here, the member
    writes that count in the figures are refused (members.rollups.require_register_open). The load
    adds the row in the transaction that drops its indexes and deletes it in the one that adds the
    figures; after a hard kill, `import_members FILE --resume` finishes and deletes it.
    """

    reason = models.CharField(_("lý do"), max_length=300)
    started_at = models.DateTimeField(_("bắt đầu"), auto_now_add=True)

    class Meta:
        verbose_name = _("khóa sổ đoàn viên")

    def __str__(self) -> str:
        return self.reason

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from doanso.core.scope import ScopedQuerySet


class Role(models.Model):
    """A named set of permissions held at a unit (secretary, deputy, committee member, clerk)."""

    code = models.CharField(_("mã vai trò"), max_length=40, unique=True)
    name = models.CharField(_("tên vai trò"), max_length=100)
    rank = models.PositiveSmallIntegerField(_("thứ bậc"), default=0)
    permissions = models.JSONField(_("quyền"), default=list)

    class Meta:
        ordering = ["-rank", "name"]
        verbose_name = _("vai trò")

    def __str__(self) -> str:
        return self.name

    def is_no_stronger_than(self, other: Role) -> bool:
        return self.rank <= other.rank and set(self.permissions) <= set(other.permissions)


class UserQuerySet(ScopedQuerySet):
    pass


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """An official account (unit + role) or a member's own account (member)."""

    class Kind(models.TextChoices):
        OFFICIAL = "official", _("Cán bộ")
        MEMBER = "member", _("Đoàn viên")

    kind = models.CharField(_("loại tài khoản"), max_length=10, choices=Kind.choices, default=Kind.OFFICIAL)
    full_name = models.CharField(_("họ và tên"), max_length=120, blank=True)
    unit = models.ForeignKey(
        "organisations.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="accounts",
        verbose_name=_("đơn vị"),
    )  # fmt: skip
    role = models.ForeignKey(Role, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("vai trò"))
    member = models.OneToOneField(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="account",
        verbose_name=_("đoàn viên"),
    )  # fmt: skip
    phone = models.CharField(_("số điện thoại"), max_length=16, blank=True)
    created_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = ScopedUserManager()
    scope_domain = "account"
    scope_path_field = "unit__path"

    class Meta:
        verbose_name = _("tài khoản")
        verbose_name_plural = _("tài khoản")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_official(self) -> bool:
        return bool(self.unit_id and self.role_id)

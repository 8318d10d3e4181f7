"""Accounts are handed out level by level: an official creates accounts for its sub-units."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from doanso.core import audit, vn
from doanso.core.scope import ScopeError, require
from doanso.organisations.models import Unit

from .models import Role, User

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
AUDIT_FIELDS = ["username", "full_name", "unit", "role", "phone", "email", "is_active"]


# Django's `vi` catalogue leaves some password messages in English ("This password is too short…").
_PASSWORD_MESSAGES = {
    "password_too_short": "Mật khẩu quá ngắn: cần ít nhất {min_length} ký tự.",
    "password_too_common": "Mật khẩu này quá phổ biến, dễ bị đoán.",
    "password_entirely_numeric": "Mật khẩu không được chỉ gồm chữ số.",
    "password_too_similar": "Mật khẩu quá giống thông tin của tài khoản ({verbose_name}).",
}


def _password_errors(password: str, user: User | None = None) -> str:
    """Vietnamese messages of the configured password validators ("" if the password is acceptable)."""
    try:
        validate_password(password or "", user=user)
    except ValidationError as exc:
        messages = []
        for error in exc.error_list:
            template = _PASSWORD_MESSAGES.get(error.code or "")
            params = {k: str(v) for k, v in (error.params or {}).items()}
            messages.append(template.format(**params) if template else " ".join(error.messages))
        return " ".join(messages)
    return ""


def _check_grant(actor: Any, unit: Unit, role: Role) -> None:
    """Sub-units get any role up to the actor's own; the actor's own unit only weaker roles."""
    require(actor, "account.manage", unit)
    if not role.is_no_stronger_than(actor.role):
        raise ValidationError(
            {"role": f"Không thể cấp vai trò “{role.name}” mạnh hơn vai trò của bạn ({actor.role.name})."}
        )
    if unit.pk == actor.unit_id and role.rank >= actor.role.rank:
        raise ValidationError(
            {"role": "Tại chính đơn vị của mình, chỉ cấp được tài khoản có vai trò thấp hơn vai trò của bạn."}
        )


def _check_manageable(actor: Any, account: User) -> None:
    if not account.unit_id:
        raise ScopeError("Tài khoản này không thuộc đơn vị nào trong phạm vi quản lý.")
    require(actor, "account.manage", account.unit)
    if account.pk == actor.pk:
        raise ValidationError({"__all__": "Không tự sửa vai trò hoặc khóa tài khoản của chính mình."})
    if account.unit_id == actor.unit_id and account.role.rank >= actor.role.rank:
        raise ScopeError("Không thể sửa tài khoản ngang hoặc cao hơn vai trò của bạn tại cùng đơn vị.")
    if account.role is None or not account.role.is_no_stronger_than(actor.role):
        # the same bound as granting: an account one could not have created is not one's to change or lock
        raise ScopeError("Không thể sửa tài khoản có vai trò cao hơn vai trò của bạn.")


def _clean_contact(phone: str, email: str, errors: dict) -> tuple[str, str]:
    if phone:
        try:
            phone = vn.normalize_phone(phone)
        except vn.PhoneError as exc:
            errors["phone"] = str(exc)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = "Thư điện tử không đúng định dạng."
    return phone, email


@transaction.atomic
def account_create(
    *,
    actor: Any,
    unit: Unit,
    role: Role,
    username: str,
    full_name: str,
    password: str,
    phone: str = "",
    email: str = "",
) -> User:
    _check_grant(actor, unit, role)
    errors: dict[str, str] = {}
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        errors["username"] = "Tên đăng nhập gồm 2–40 ký tự chữ thường không dấu, số, dấu chấm, gạch ngang, gạch dưới."
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = f"Tên đăng nhập “{username}” đã có người dùng."
    if not vn.nfc(full_name):
        errors["full_name"] = "Họ và tên không được để trống."
    if not unit.is_open:
        errors["unit"] = f"Đơn vị “{unit.name}” đã giải thể."
    phone, email = _clean_contact(phone, email, errors)
    password_errors = _password_errors(password, User(username=username, full_name=full_name, email=email))
    if password_errors:
        errors["password"] = password_errors
    if errors:
        raise ValidationError(errors)
    user = User(
        username=username, full_name=vn.nfc(full_name), unit=unit, role=role, phone=phone, email=email,
        kind=User.Kind.OFFICIAL, created_by=actor,
    )  # fmt: skip
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ValidationError({"username": f"Tên đăng nhập “{username}” đã có người dùng."}) from exc
    audit.record(actor=actor, obj=user, action="create", changes=audit.diff({}, audit.snapshot(user, AUDIT_FIELDS)))
    return user


@transaction.atomic
def account_update(*, actor: Any, account: User, data: dict[str, Any]) -> User:
    account = User.objects.select_for_update(of=("self",)).select_related("unit", "role").get(pk=account.pk)
    _check_manageable(actor, account)
    allowed = {"full_name", "role", "phone", "email", "is_active"}
    errors: dict[str, str] = dict.fromkeys(set(data) - allowed, "Trường này không sửa được.")
    before = audit.snapshot(account, AUDIT_FIELDS)
    if "role" in data:
        role = data["role"]
        _check_grant(actor, account.unit, role)
        account.role = role
    if "full_name" in data:
        account.full_name = vn.nfc(data["full_name"])
        if not account.full_name:
            errors["full_name"] = "Họ và tên không được để trống."
    phone, email = _clean_contact(data.get("phone", account.phone), data.get("email", account.email), errors)
    account.phone, account.email = phone, email
    if "is_active" in data:
        account.is_active = bool(data["is_active"])
    if errors:
        raise ValidationError(errors)
    changes = audit.diff(before, audit.snapshot(account, AUDIT_FIELDS))
    if changes:
        account.save()
        audit.record(actor=actor, obj=account, action="update", changes=changes)
    return account


@transaction.atomic
def account_set_password(*, actor: Any, account: User, password: str) -> None:
    account = User.objects.select_for_update(of=("self",)).select_related("unit", "role").get(pk=account.pk)
    if account.kind == User.Kind.MEMBER:
        require(actor, "member.manage", account.member.unit)
    else:
        _check_manageable(actor, account)
    password_errors = _password_errors(password, account)
    if password_errors:
        raise ValidationError({"password": password_errors})
    account.set_password(password)
    account.save(update_fields=["password"])
    audit.record(actor=actor, obj=account, action="password", summary="Đặt lại mật khẩu")


@transaction.atomic
def member_account_issue(*, actor: Any, member, password: str) -> User:
    """Give a member a login to their own e-member book (CCCD or phone + password)."""
    require(actor, "member.manage", member.unit)
    existing = User.objects.filter(member=member).first()
    if existing:
        account_set_password(actor=actor, account=existing, password=password)
        return existing
    user = User(
        username=f"dv{member.citizen_id}", full_name=member.full_name, kind=User.Kind.MEMBER, member=member,
        phone=member.phone, created_by=actor,
    )  # fmt: skip
    password_errors = _password_errors(password, user)
    if password_errors:
        raise ValidationError({"password": password_errors})
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ValidationError({"__all__": f"Tên đăng nhập “{user.username}” đã có người dùng."}) from exc
    audit.record(actor=actor, obj=user, action="create", summary=f"Cấp tài khoản sổ đoàn viên cho {member.full_name}")
    return user

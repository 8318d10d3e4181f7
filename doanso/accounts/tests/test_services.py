"""Accounts are handed out level by level, within one's subtree and up to one's own role."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from conftest import PASSWORD
from doanso.accounts import selectors, services
from doanso.accounts.models import Role, User
from doanso.core.models import AuditEvent
from doanso.core.scope import ScopeError
from doanso.organisations.choices import UnitKind
from doanso.organisations.services import unit_close, unit_create


@pytest.fixture
def acc(cast):
    return SimpleNamespace(**cast.users)


@pytest.fixture
def roles(db):
    return SimpleNamespace(**{r.code: r for r in Role.objects.all()})


def state() -> dict:
    return {
        "users": sorted(
            User.objects.values_list(
                "pk", "username", "full_name", "unit_id", "role_id", "phone", "email", "is_active", "password"
            )
        ),
        "audit": AuditEvent.objects.count(),
    }


def assert_refused(exc_type, fn, *, field: str | None = None, contains: str = "") -> str:
    before = state()
    with pytest.raises(exc_type) as info:
        fn()
    if field is not None:
        assert field in info.value.message_dict, info.value.message_dict
        message = " ".join(info.value.message_dict[field])
    else:
        message = str(info.value)
    assert contains in message, message
    assert state() == before
    return message


def create(actor, unit, role, username="new.account", password=PASSWORD, **kw):
    return services.account_create(
        actor=actor,
        unit=unit,
        role=role,
        username=username,
        full_name=kw.pop("full_name", "Nguyễn Văn Mới"),
        password=password,
        **kw,
    )


# ---------------------------------------------------------------- create


def test_create_on_a_sub_unit_and_audit(cast, acc, roles):
    user = create(
        acc.c11, cast.b112, roles.secretary, username=" B112.BiThu ", phone="0912 345 111", email="bt@vi-du.vn"
    )
    user.refresh_from_db()
    assert (user.username, user.unit_id, user.role_id, user.kind) == (
        "b112.bithu",
        cast.b112.pk,
        roles.secretary.pk,
        "official",
    )
    assert user.phone == "+84912345111" and user.created_by_id == acc.c11.pk
    assert user.check_password(PASSWORD)
    event = AuditEvent.objects.get(target_type="accounts.user", target_id=user.pk)
    assert event.action == "create" and event.actor_id == acc.c11.pk
    assert event.changes["role"] == [None, "Bí thư"] and event.changes["unit"] == [None, cast.b112.name]
    assert "password" not in event.changes


@pytest.mark.parametrize(
    ("actor_key", "unit_key", "role_code", "ok"),
    [
        # a secretary: any role on a sub-unit, only weaker ones at its own unit
        ("c11", "b112", "secretary", True),
        ("c11", "c11", "secretary", False),
        ("c11", "c11", "deputy_secretary", True),
        ("p1", "c12", "secretary", True),
        ("p1", "p1", "deputy_secretary", True),
        # a deputy: up to deputy on a sub-unit; below deputy at its own unit
        ("c11_deputy", "b112", "secretary", False),
        ("c11_deputy", "b112", "deputy_secretary", True),
        ("c11_deputy", "b112", "clerk", True),
        ("c11_deputy", "c11", "deputy_secretary", False),
        ("c11_deputy", "c11", "committee_member", True),
        # a branch secretary at its own branch
        ("b111", "b111", "secretary", False),
        ("b111", "b111", "deputy_secretary", True),
    ],
)
def test_which_roles_may_be_granted_where(cast, acc, roles, actor_key, unit_key, role_code, ok):
    actor, unit, role = getattr(acc, actor_key), getattr(cast, unit_key), getattr(roles, role_code)
    if ok:
        assert create(actor, unit, role).role_id == role.pk
        assert role in selectors.roles_grantable(actor=actor, unit=unit)
    else:
        assert_refused(ValidationError, lambda: create(actor, unit, role), field="role")
        assert role not in selectors.roles_grantable(actor=actor, unit=unit)


def test_a_role_holding_a_permission_one_lacks_is_stronger(cast, acc, roles):
    manager = Role.objects.create(
        code="manager",
        name="Quản trị tài khoản",
        rank=35,
        permissions=["account.view", "account.manage", "member.view"],
    )
    exporter = Role.objects.create(
        code="exporter", name="Thống kê", rank=5, permissions=["member.view", "member.export"]
    )
    viewer = Role.objects.create(code="viewer", name="Xem", rank=5, permissions=["member.view"])
    admin = create(acc.c11, cast.b112, manager, username="b112.admin")
    # a lower rank is not enough: "exporter" holds member.export, which the manager lacks
    msg = assert_refused(ValidationError, lambda: create(admin, cast.b112, exporter, username="tk1"), field="role")
    assert "mạnh hơn" in msg
    assert create(admin, cast.b112, viewer, username="tk2").role_id == viewer.pk
    # and a higher rank is too much even with fewer permissions
    high = Role.objects.create(code="high", name="Cao", rank=36, permissions=["member.view"])
    assert_refused(ValidationError, lambda: create(admin, cast.b112, high, username="tk3"), field="role")
    # an account lacking account.manage cannot grant at all
    weak = Role.objects.create(code="weak", name="Yếu", rank=40, permissions=["member.view", "account.view"])
    user = create(acc.c11, cast.b112, weak, username="weak.one")
    assert_refused(ScopeError, lambda: create(user, cast.b112, viewer, username="tk4"))


def test_create_outside_own_subtree_is_refused(cast, acc, roles):
    for actor, unit in (
        (acc.c11, cast.c12),
        (acc.c11, cast.p1),
        (acc.c11, cast.b121),
        (acc.p1, cast.c21),
        (acc.b111, cast.b112),
    ):
        assert_refused(ScopeError, lambda a=actor, u=unit: create(a, u, roles.clerk), contains="ngoài phạm vi")


def test_clerk_and_member_accounts_cannot_create(cast, acc, roles):
    msg = assert_refused(ScopeError, lambda: create(acc.c11_clerk, cast.b111, roles.clerk))
    assert "Cán bộ văn phòng" in msg and "Cấp, sửa, khóa tài khoản" in msg
    assert_refused(ScopeError, lambda: create(acc.member_b111, cast.b111, roles.clerk))


def test_duplicate_username_is_refused(cast, acc, roles):
    for username in ("c12", "C12", " c11.clerk "):
        msg = assert_refused(
            ValidationError, lambda u=username: create(acc.c11, cast.b111, roles.clerk, username=u), field="username"
        )
        assert "đã có người dùng" in msg


@pytest.mark.parametrize("username", ["", "a", "nguyễn.an", "an an", "-an", "x" * 41, "an@doan"])
def test_bad_username_is_refused(cast, acc, roles, username):
    assert_refused(
        ValidationError, lambda: create(acc.c11, cast.b111, roles.clerk, username=username), field="username"
    )


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Ab1@", "Mật khẩu quá ngắn: cần ít nhất 8 ký tự."),
        ("password", "quá phổ biến"),
        ("12345678901", "chỉ gồm chữ số"),
        ("", "Mật khẩu quá ngắn"),
    ],
)
def test_weak_password_is_refused_in_vietnamese(cast, acc, roles, password, expected):
    msg = assert_refused(
        ValidationError,
        lambda: create(acc.c11, cast.b111, roles.clerk, password=password),
        field="password",
        contains=expected,
    )
    assert "password" not in msg.lower() and "This" not in msg


def test_other_create_refusals(cast, acc, roles):
    assert_refused(ValidationError, lambda: create(acc.c11, cast.b111, roles.clerk, full_name="  "), field="full_name")
    assert_refused(ValidationError, lambda: create(acc.c11, cast.b111, roles.clerk, phone="0123"), field="phone")
    assert_refused(ValidationError, lambda: create(acc.c11, cast.b111, roles.clerk, email="a@"), field="email")
    spare = unit_create(actor=acc.c11, parent=cast.c11, code="T89-C11-9", name="Chi đoàn 9", kind=UnitKind.BRANCH)
    unit_close(actor=acc.c11, unit=spare)
    spare.refresh_from_db()
    assert_refused(ValidationError, lambda: create(acc.c11, spare, roles.clerk), field="unit", contains="đã giải thể")


# ---------------------------------------------------------------- update


def test_update_records_old_to_new(cast, acc, roles):
    clerk = acc.c11_clerk
    services.account_update(
        actor=acc.c11,
        account=clerk,
        data={"full_name": "Lê Thị Văn Phòng", "role": roles.committee_member, "phone": "0912345000"},
    )
    clerk.refresh_from_db()
    assert (clerk.full_name, clerk.role_id, clerk.phone) == (
        "Lê Thị Văn Phòng",
        roles.committee_member.pk,
        "+84912345000",
    )
    event = AuditEvent.objects.filter(target_type="accounts.user", target_id=clerk.pk).first()
    assert event.action == "update" and event.actor_id == acc.c11.pk
    assert event.changes == {
        "full_name": ["Văn phòng Mỹ Hòa", "Lê Thị Văn Phòng"],
        "role": ["Cán bộ văn phòng", "Ủy viên Ban Chấp hành"],
        "phone": ["", "+84912345000"],
    }
    before = state()
    services.account_update(actor=acc.c11, account=clerk, data={"full_name": "Lê Thị Văn Phòng"})
    assert state() == before  # nothing changed, nothing recorded


def test_deactivate_an_account(cast, acc):
    services.account_update(actor=acc.c11, account=acc.b111, data={"is_active": False})
    acc.b111.refresh_from_db()
    assert acc.b111.is_active is False
    assert AuditEvent.objects.filter(target_id=acc.b111.pk, target_type="accounts.user").first().changes == {
        "is_active": [True, False]
    }


def test_update_cannot_raise_a_role_above_ones_own(cast, acc, roles):
    target = create(acc.c11, cast.b112, roles.committee_member, username="b112.uv")
    assert_refused(
        ValidationError,
        lambda: services.account_update(actor=acc.c11_deputy, account=target, data={"role": roles.secretary}),
        field="role",
    )
    services.account_update(actor=acc.c11_deputy, account=target, data={"role": roles.deputy_secretary})
    target.refresh_from_db()
    assert target.role_id == roles.deputy_secretary.pk
    # at one's own unit: never up to one's own rank
    assert_refused(
        ValidationError,
        lambda: services.account_update(actor=acc.c11, account=acc.c11_deputy, data={"role": roles.secretary}),
        field="role",
    )


def test_update_cannot_touch_sibling_or_parent_accounts(cast, acc):
    for actor, target in (
        (acc.c11, acc.c12),
        (acc.c11, acc.p1),
        (acc.c11, acc.central),
        (acc.p1, acc.c21),
        (acc.b111, acc.c11_clerk),
    ):
        assert_refused(
            ScopeError, lambda a=actor, t=target: services.account_update(actor=a, account=t, data={"is_active": False})
        )


def test_update_cannot_touch_peers_of_equal_or_higher_rank_at_the_same_unit(cast, acc, roles):
    peer = create(acc.c11, cast.c11, roles.deputy_secretary, username="c11.deputy2")
    for actor, target in ((acc.c11_deputy, peer), (acc.c11_deputy, acc.c11), (acc.c11_clerk, acc.c11_deputy)):
        assert_refused(
            ScopeError, lambda a=actor, t=target: services.account_update(actor=a, account=t, data={"full_name": "X Y"})
        )
    # the secretary may manage the weaker accounts of its own unit
    services.account_update(actor=acc.c11, account=peer, data={"is_active": False})


def test_update_cannot_touch_a_stronger_account_on_a_sub_unit(cast, acc):
    # the branch secretary's role is stronger than the commune deputy's: the deputy could not have granted it
    msg = assert_refused(
        ScopeError, lambda: services.account_update(actor=acc.c11_deputy, account=acc.b111, data={"is_active": False})
    )
    assert "cao hơn" in msg
    services.account_update(actor=acc.c11, account=acc.b111, data={"full_name": "Bí thư Chi đoàn Một"})


def test_update_cannot_edit_self(cast, acc, roles):
    for data in ({"is_active": False}, {"role": roles.clerk}, {"full_name": "Tự sửa"}):
        assert_refused(
            ValidationError,
            lambda d=data: services.account_update(actor=acc.c11, account=acc.c11, data=d),
            field="__all__",
        )


def test_update_refuses_unknown_fields_and_bad_contact(cast, acc):
    for data, field in (
        ({"username": "x1"}, "username"),
        ({"unit": cast.c12}, "unit"),
        ({"phone": "12"}, "phone"),
        ({"email": "@"}, "email"),
        ({"full_name": ""}, "full_name"),
    ):
        assert_refused(
            ValidationError,
            lambda d=data: services.account_update(actor=acc.c11, account=acc.c11_clerk, data=d),
            field=field,
        )


def test_member_accounts_are_not_managed_as_officials(cast, acc):
    assert_refused(
        ScopeError, lambda: services.account_update(actor=acc.c11, account=acc.member_b111, data={"is_active": False})
    )


# ---------------------------------------------------------------- passwords and member accounts


def test_set_password(cast, acc):
    services.account_set_password(actor=acc.c11, account=acc.c11_clerk, password="Mat-khau-moi-2026")
    acc.c11_clerk.refresh_from_db()
    assert acc.c11_clerk.check_password("Mat-khau-moi-2026")
    assert_refused(
        ValidationError,
        lambda: services.account_set_password(actor=acc.c11, account=acc.c11_clerk, password="123"),
        field="password",
        contains="Mật khẩu quá ngắn",
    )
    assert_refused(
        ScopeError,
        lambda: services.account_set_password(actor=acc.c12, account=acc.c11_clerk, password="Mat-khau-moi-2027"),
    )
    # a member's password: by whoever manages the member
    services.account_set_password(actor=acc.c11_clerk, account=acc.member_b111, password="Mat-khau-moi-2028")
    assert_refused(
        ScopeError,
        lambda: services.account_set_password(actor=acc.c12, account=acc.member_b111, password="Mat-khau-moi-2029"),
    )


def test_member_account_issue(cast, acc):
    m = cast.m_b112_1
    user = services.member_account_issue(actor=acc.c11_clerk, member=m, password="Doan-vien-2026")
    user.refresh_from_db()
    assert (user.kind, user.member_id, user.unit_id, user.role_id) == ("member", m.pk, None, None)
    assert user.username == f"dv{m.citizen_id}" and user.phone == m.phone and user.full_name == m.full_name
    assert user.check_password("Doan-vien-2026")
    assert AuditEvent.objects.filter(target_type="accounts.user", target_id=user.pk, action="create").exists()
    # issuing again resets the password of the same account
    again = services.member_account_issue(actor=acc.c11, member=m, password="Doan-vien-2027")
    assert again.pk == user.pk and User.objects.filter(member=m).count() == 1
    again.refresh_from_db()
    assert again.check_password("Doan-vien-2027")


def test_member_account_issue_refusals(cast, acc, roles):
    m = cast.m_b112_1
    assert_refused(
        ScopeError, lambda: services.member_account_issue(actor=acc.c12, member=m, password="Doan-vien-2026")
    )
    assert_refused(
        ScopeError, lambda: services.member_account_issue(actor=acc.member_b111, member=m, password="Doan-vien-2026")
    )
    assert_refused(
        ValidationError,
        lambda: services.member_account_issue(actor=acc.c11, member=m, password="12345678"),
        field="password",
        contains="quá phổ biến",
    )
    # an official account already holds the name the member account would take
    create(acc.c11, cast.b112, roles.clerk, username=f"dv{m.citizen_id}")
    assert_refused(
        ValidationError,
        lambda: services.member_account_issue(actor=acc.c11, member=m, password="Doan-vien-2026"),
        field="__all__",
        contains="đã có người dùng",
    )


# ---------------------------------------------------------------- selectors


def test_account_list_is_scoped(cast, acc):
    usernames = {u.username for u in selectors.account_list(actor=acc.c11)}
    assert usernames == {"c11", "c11.clerk", "c11.deputy", "b111"}
    assert {u.username for u in selectors.account_list(actor=acc.p1)} >= usernames | {"p1", "c12"}
    assert "c11" not in {u.username for u in selectors.account_list(actor=acc.c12)}
    assert list(selectors.account_list(actor=acc.member_b111)) == []
    with pytest.raises(User.DoesNotExist):
        selectors.account_get(actor=acc.c12, pk=acc.c11_clerk.pk)

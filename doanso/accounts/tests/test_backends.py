"""Log-in: officials by username, members by CCCD or phone number (any common format), with a password."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth import authenticate

from conftest import PASSWORD, member_data
from doanso.accounts.models import User
from doanso.accounts.services import member_account_issue
from doanso.core import vn
from doanso.members.services import member_create, member_update


@pytest.fixture
def acc(cast):
    return SimpleNamespace(**cast.users)


def login(identifier, password=PASSWORD):
    return authenticate(None, username=identifier, password=password)


def phone_forms(e164: str) -> list[str]:
    national = vn.format_phone(e164)  # "0912 300 045"
    d = national.replace(" ", "")
    return [
        d,
        national,
        e164,
        f"+84 {d[1:4]} {d[4:7]} {d[7:]}",
        f"84{d[1:]}",
        f"{d[:4]}.{d[4:7]}.{d[7:]}",
        f"{d[:4]}-{d[4:7]}-{d[7:]}",
        f"  {d}  ",
    ]


def test_official_logs_in_by_username(cast, acc):
    assert login("c11") == acc.c11
    assert login("C11.Clerk") == acc.c11_clerk  # usernames are case-insensitive
    assert login("  p1 ") == acc.p1


def test_member_logs_in_by_cccd(cast, acc):
    m = cast.m_b111_0
    assert login(m.citizen_id) == acc.member_b111
    assert login(f"{m.citizen_id[:3]} {m.citizen_id[3:6]} {m.citizen_id[6:]}") == acc.member_b111
    assert login(f"{m.citizen_id[:4]}.{m.citizen_id[4:8]}.{m.citizen_id[8:]}") == acc.member_b111


@pytest.mark.parametrize("index", range(8))
def test_member_logs_in_by_phone_in_any_common_format(cast, acc, index):
    form = phone_forms(cast.m_b111_0.phone)[index]
    assert login(form) == acc.member_b111, form


@pytest.mark.parametrize("template", ["0084{rest}", "({d4}) {d6}"])
def test_member_logs_in_by_phone_with_0084_or_brackets(cast, acc, template):
    d = vn.format_phone(cast.m_b111_0.phone).replace(" ", "")
    assert login(template.format(rest=d[1:], d4=d[:4], d6=d[4:])) == acc.member_b111


def test_member_logs_in_with_an_old_11_digit_number(cast, acc):
    m = member_create(actor=acc.c11, unit=cast.b111, data=member_data("Lâm Văn Cũ", phone="0321234567"))
    user = member_account_issue(actor=acc.c11, member=m, password="Doan-vien-2026")
    assert login("0162 123 4567", "Doan-vien-2026") == user


def test_member_login_follows_the_member_record(cast, acc):
    """The CCCD and phone are read from the member record, so a corrected record logs in at once."""
    m = cast.m_b111_0
    member_update(actor=acc.c11, member=m, data={"phone": "0987 000 111"})
    assert login("0987000111") == acc.member_b111
    assert login(vn.format_phone(cast.m_b111_1.phone)) is None  # someone else's number, no account


def test_wrong_password_returns_none(cast, acc):
    assert login("c11", "sai-mat-khau") is None
    assert login(cast.m_b111_0.citizen_id, "sai-mat-khau") is None
    assert login(vn.format_phone(cast.m_b111_0.phone), "") is None
    assert login("c11", None) is None
    assert login(None, PASSWORD) is None


def test_unknown_identifier_returns_none(cast):
    assert login("khong.co.ai") is None
    assert login("001099999999") is None  # a CCCD with no member account
    assert login("0999 999 999") is None


def test_inactive_account_returns_none(cast, acc):
    for user in (acc.c11, acc.member_b111):
        User.objects.filter(pk=user.pk).update(is_active=False)
    assert login("c11") is None
    assert login(cast.m_b111_0.citizen_id) is None
    assert login(vn.format_phone(cast.m_b111_0.phone)) is None


def test_an_official_cannot_log_in_by_a_members_cccd(cast, acc):
    # m_b111_1 has no member account: its CCCD must not open any other account
    assert login(cast.m_b111_1.citizen_id) is None


def test_a_phone_shared_by_two_member_accounts_is_ambiguous(cast, acc):
    m2 = cast.m_b111_1
    member_update(actor=acc.c11, member=m2, data={"phone": vn.format_phone(cast.m_b111_0.phone)})
    member_account_issue(actor=acc.c11, member=m2, password=PASSWORD)
    assert login(vn.format_phone(cast.m_b111_0.phone)) is None
    # the CCCD still identifies each of them
    assert login(cast.m_b111_0.citizen_id) == acc.member_b111
    assert login(m2.citizen_id).member_id == m2.pk

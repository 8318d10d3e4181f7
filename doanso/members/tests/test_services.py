"""Writes to the member registry: create, update, dated status changes; scope and rollups."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone

from conftest import make_cccd, member_data
from doanso.accounts.models import Role, User
from doanso.core import vn
from doanso.core.models import AuditEvent
from doanso.core.scope import ScopeError
from doanso.members import services
from doanso.members.choices import MemberStatus
from doanso.members.models import Member, MemberStat, MemberStatusRecord
from doanso.organisations.choices import UnitKind
from doanso.organisations.services import unit_close, unit_create


def today() -> date:
    return timezone.localdate()


def years_before(day: date, n: int) -> date:
    try:
        return day.replace(year=day.year - n)
    except ValueError:
        return day.replace(year=day.year - n, day=28)


@pytest.fixture
def acc(cast):
    return SimpleNamespace(**cast.users)


@pytest.fixture
def viewer(cast):
    """An account at C11 whose role may view members but not manage them."""
    role = Role.objects.create(code="viewer", name="Chỉ xem", rank=5, permissions=["unit.view", "member.view"])
    return User.objects.create_user(username="c11.viewer", password="Doanso@2026", unit=cast.c11, role=role)


def state() -> dict:
    return {
        "members": sorted(
            Member.objects.values_list("pk", "full_name", "citizen_id", "phone", "status", "version", "unit_id")
        ),
        "status_records": MemberStatusRecord.objects.count(),
        "stats": sorted(MemberStat.objects.filter(count__gt=0).values_list("unit_id", "status", "count")),
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


def assert_rollups_exact():
    rows = Member.objects.values("unit_id", "status").annotate(n=Count("id")).order_by()
    expected = {(r["unit_id"], r["status"]): r["n"] for r in rows}
    actual = {(u, s): n for u, s, n in MemberStat.objects.filter(count__gt=0).values_list("unit_id", "status", "count")}
    assert actual == expected


def stat(unit, status) -> int:
    row = MemberStat.objects.filter(unit=unit, status=status).first()
    return row.count if row else 0


# ---------------------------------------------------------------- create


def test_create_normalises_and_records(cast, acc):
    dob = date(2004, 2, 29)
    data = member_data(
        "  Nguyễn   Thị Ngọc  Ánh ",
        dob=dob,
        sex="F",
        citizen_id="079 304 001 234",
        phone="0912.345.999",
        email="anh@vi-du.vn",
        ethnicity="05",
        admitted_on=date(2021, 3, 26),
        admission_decision_number="15-QĐ/ĐTN",
    )
    before_active = stat(cast.b111, MemberStatus.ACTIVE)
    m = services.member_create(actor=acc.c11, unit=cast.b111, data=data)
    m.refresh_from_db()
    assert m.full_name == "Nguyễn Thị Ngọc Ánh"
    assert (m.family_name, m.given_name) == ("Nguyễn", "Ánh")
    assert m.sort_key == vn.name_sort_key("Nguyễn Thị Ngọc Ánh")
    assert (m.search_name, m.search_given) == ("nguyen thi ngoc anh", "anh nguyen thi ngoc")
    assert m.citizen_id == "079304001234" and m.phone == "+84912345999"
    assert m.ethnicity_id == "05"
    assert (m.unit_id, m.unit_path, m.scope1, m.scope2, m.scope3) == (
        cast.b111.pk,
        cast.b111.path,
        cast.p1.pk,
        cast.c11.pk,
        cast.b111.pk,
    )
    assert (m.status, m.status_since, m.version) == (MemberStatus.ACTIVE, date(2021, 3, 26), 1)
    record = MemberStatusRecord.objects.get(member=m)
    assert (record.status, record.effective_on, record.decision_number) == ("active", date(2021, 3, 26), "15-QĐ/ĐTN")
    assert stat(cast.b111, MemberStatus.ACTIVE) == before_active + 1
    event = AuditEvent.objects.get(target_type="members.member", target_id=m.pk)
    assert event.action == "create" and event.actor_id == acc.c11.pk
    assert event.changes["full_name"] == [None, "Nguyễn Thị Ngọc Ánh"]
    assert_rollups_exact()


def test_create_by_clerk_and_branch_secretary(cast, acc):
    assert services.member_create(actor=acc.c11_clerk, unit=cast.b112, data=member_data("Lâm Văn Tài")).pk
    assert services.member_create(actor=acc.b111, unit=cast.b111, data=member_data("Lâm Văn Lộc")).pk


ADULT = date(2003, 5, 17)


@pytest.mark.parametrize(
    ("override", "field", "contains"),
    [
        ({"citizen_id": "12345"}, "citizen_id", "12 chữ số"),
        ({"citizen_id": "0012030001234"}, "citizen_id", "12 chữ số"),
        ({"citizen_id": "00120300012A"}, "citizen_id", "12 chữ số"),
        ({"phone": "0123456789"}, "phone", "Số điện thoại"),
        ({"phone": "0912 ABC DEF"}, "phone", "Số điện thoại"),
        ({"phone": "+1 650 253 0000"}, "phone", "Số điện thoại"),
        ({"email": "anh@"}, "email", "Thư điện tử"),
        ({"email": "anh vi-du.vn"}, "email", "Thư điện tử"),
        ({"ethnicity": "99"}, "ethnicity", "Dân tộc “99” không có trong danh mục"),
        ({"religion": "77"}, "religion", "Tôn giáo “77” không có trong danh mục"),
        ({"full_name": "Nguyễn Văn 2"}, "full_name", "chữ số"),
        ({"full_name": "An"}, "full_name", "ít nhất họ và tên"),
        ({"full_name": "   "}, "full_name", "Họ và tên: không được để trống"),
        ({"full_name": None}, "full_name", "Họ và tên: không được để trống"),
        ({"date_of_birth": None}, "date_of_birth", "Ngày sinh: không được để trống"),
        ({"sex": ""}, "sex", "Giới tính: không được để trống"),
        ({"sex": "X"}, "sex", "Nam hoặc Nữ"),
        ({"citizen_id": ""}, "citizen_id", "Số CCCD: không được để trống"),
        ({"admitted_on": None}, "admitted_on", "Ngày vào Đoàn: không được để trống"),
        ({"admitted_on": date(2999, 1, 1)}, "admitted_on", "sau ngày hôm nay"),
        ({"citizen_id_issued_on": date(2001, 1, 1)}, "citizen_id_issued_on", "trước ngày sinh"),
        ({"legacy_id_9": "12345"}, "legacy_id_9", "9 chữ số"),
        ({"party_joined_on": date(2019, 1, 1)}, "party_joined_on", "Ngày vào Đảng"),
        ({"position": "chairman"}, "position", "Chức vụ"),
        ({"status": "removed"}, "status", "không sửa trực tiếp"),
    ],
)
def test_create_validation_errors(cast, acc, override, field, contains):
    data = member_data("Lâm Thị Thảo", dob=ADULT, sex="F")
    data.update(override)
    assert_refused(
        ValidationError,
        lambda: services.member_create(actor=acc.c11, unit=cast.b111, data=data),
        field=field,
        contains=contains,
    )


def test_future_birth_date_is_refused(cast, acc):
    dob = today() + timedelta(days=1)
    data = member_data("Lâm Thị Thảo", dob=dob, sex="F", admitted_on=today())
    assert_refused(
        ValidationError,
        lambda: services.member_create(actor=acc.c11, unit=cast.b111, data=data, accept_warnings=True),
        field="date_of_birth",
        contains="sau ngày hôm nay",
    )


@pytest.mark.parametrize(
    ("years", "days", "ok"),
    [
        (16, 0, True),  # the 16th birthday
        (16, -1, False),  # the day before
        (15, 200, False),
        (30, 364, True),  # still 30
        (31, 0, False),  # 31st birthday
        (40, 0, False),
    ],
)
def test_age_at_admission_window(cast, acc, years, days, ok):
    dob = date(1985, 8, 20)
    admitted = dob.replace(year=dob.year + years) + timedelta(days=days)
    assert vn.age_on(dob, admitted) == (years if days >= 0 else years - 1)
    data = member_data("Lâm Thị Thảo", dob=dob, sex="F", admitted_on=admitted)
    create = lambda: services.member_create(actor=acc.c11, unit=cast.b111, data=data)  # noqa: E731
    if ok:
        assert create().admitted_on == admitted
    else:
        msg = assert_refused(
            ValidationError, create, field="admitted_on", contains="ngoài độ tuổi kết nạp (16–30 tuổi)"
        )
        assert f"là {vn.age_on(dob, admitted)}" in msg


def test_age_window_reads_the_rule_set_in_force_on_the_admission_day(cast, acc):
    """The bounds come from dated rule sets, not literals; the "15 years + 1 day" reading is a setting."""
    from doanso.core.models import RuleSet

    RuleSet.objects.create(
        effective_from=date(2000, 1, 1), values={"admission_min_age_counts_from_15_plus_1_day": True}
    )
    RuleSet.objects.create(effective_from=date(2020, 1, 1), values={"admission_max_age": 35})
    dob = date(1990, 4, 10)
    fifteenth = date(2005, 4, 10)
    assert_refused(
        ValidationError,
        lambda: services.member_create(
            actor=acc.c11, unit=cast.b111, data=member_data("Lâm Văn A", dob=dob, admitted_on=fifteenth)
        ),
        field="admitted_on",
    )
    m = services.member_create(
        actor=acc.c11, unit=cast.b111, data=member_data("Lâm Văn B", dob=dob, admitted_on=fifteenth + timedelta(days=1))
    )
    assert m.pk
    # Admitted at 34 in 2025: allowed by the 2020 rule set …
    m = services.member_create(
        actor=acc.c11, unit=cast.b111, data=member_data("Lâm Văn C", dob=dob, admitted_on=date(2025, 4, 9))
    )
    assert m.pk
    # … but 31 in 2019 was judged by the 2000 rule set (maximum 30).
    assert_refused(
        ValidationError,
        lambda: services.member_create(
            actor=acc.c11,
            unit=cast.b111,
            data=member_data("Lâm Văn D", dob=date(1988, 1, 1), admitted_on=date(2019, 6, 1)),
        ),
        field="admitted_on",
        contains="16–30",
    )


def test_member_must_sit_in_an_open_branch(cast, acc):
    assert_refused(
        ValidationError,
        lambda: services.member_create(actor=acc.c11, unit=cast.c11, data=member_data("Lâm Thị Thảo", sex="F")),
        field="unit",
        contains="không phải chi đoàn",
    )
    spare = unit_create(actor=acc.c11, parent=cast.c11, code="T89-C11-9", name="Chi đoàn 9", kind=UnitKind.BRANCH)
    unit_close(actor=acc.c11, unit=spare)
    spare.refresh_from_db()
    assert_refused(
        ValidationError,
        lambda: services.member_create(actor=acc.c11, unit=spare, data=member_data("Lâm Thị Thảo", sex="F")),
        field="unit",
        contains="đã giải thể",
    )


def test_create_reads_the_unit_as_it_is_now(cast, acc):
    """A Unit object read before a move or a closure: the member is placed and checked by the
    unit's current row, not by the object the caller holds."""
    from doanso.organisations.models import Unit
    from doanso.organisations.services import unit_move

    stale = Unit.objects.get(pk=cast.b112.pk)
    unit_move(actor=acc.p1, unit=Unit.objects.get(pk=cast.b112.pk), new_parent=cast.c12, on=today())
    moved = Unit.objects.get(pk=cast.b112.pk)
    assert moved.path != stale.path
    member = services.member_create(actor=acc.p1, unit=stale, data=member_data("Lâm Thị Thảo", sex="F"))
    assert member.unit_path == moved.path
    assert Member.objects.filter(unit=moved, unit_path__startswith=cast.c12.path).count() == cast.b112.members.count()
    assert_rollups_exact()

    spare = unit_create(actor=acc.c11, parent=cast.c11, code="T89-C11-9", name="Chi đoàn 9", kind=UnitKind.BRANCH)
    stale = Unit.objects.get(pk=spare.pk)
    unit_close(actor=acc.c11, unit=spare)
    assert_refused(
        ValidationError,
        lambda: services.member_create(actor=acc.c11, unit=stale, data=member_data("Lê Văn Hùng")),
        field="unit",
        contains="đã giải thể",
    )


# ---------------------------------------------------------------- CCCD warnings and duplicates


@pytest.mark.parametrize(
    ("citizen_id", "sex", "warning"),
    [
        ("001199000555", "F", "Năm sinh trong số CCCD là 1999"),  # born 2003
        ("001203000555", "F", "Giới tính không khớp"),  # 2 = male
        ("003303000555", "F", "Mã nơi đăng ký khai sinh 003"),  # not among the 63 codes
    ],
)
def test_cccd_warnings_need_confirmation(cast, acc, citizen_id, sex, warning):
    data = member_data("Lâm Thị Thảo", dob=ADULT, sex=sex, citizen_id=citizen_id)
    msg = assert_refused(
        ValidationError,
        lambda: services.member_create(actor=acc.c11, unit=cast.b111, data=data),
        field="citizen_id",
        contains=warning,
    )
    assert "Xác nhận thông tin CCCD" in msg
    m = services.member_create(actor=acc.c11, unit=cast.b111, data=data, accept_warnings=True, note="Đã đối chiếu thẻ")
    assert m.citizen_id == citizen_id
    event = AuditEvent.objects.get(target_type="members.member", target_id=m.pk, action="create")
    assert warning in event.note and "Đã đối chiếu thẻ" in event.note


def test_duplicate_cccd_in_scope_names_the_holding_unit(cast, acc):
    holder = cast.m_b112_0
    spaced = " ".join([holder.citizen_id[:3], holder.citizen_id[3:6], holder.citizen_id[6:]])
    data = member_data(holder.full_name, dob=holder.date_of_birth, sex=holder.sex, citizen_id=spaced)
    for actor in (acc.c11, acc.p1, acc.central):
        msg = assert_refused(
            ValidationError,
            lambda a=actor: services.member_create(actor=a, unit=cast.b111, data=data),
            field="citizen_id",
        )
        assert cast.b112.name in msg and holder.full_name in msg


def test_duplicate_cccd_out_of_scope_leaks_nothing(cast, acc):
    holder = cast.m_b111_1  # in C11, outside C12's scope
    data = member_data("Lâm Thị Thảo", dob=holder.date_of_birth, sex=holder.sex, citizen_id=holder.citizen_id)
    msg = assert_refused(
        ValidationError,
        lambda: services.member_create(actor=acc.c12, unit=cast.b121, data=data),
        field="citizen_id",
        contains="đơn vị khác (ngoài phạm vi",
    )
    for secret in (cast.b111.name, cast.c11.name, "Mỹ Hòa", holder.full_name, holder.given_name):
        assert secret not in msg


def test_duplicate_cccd_on_update(cast, acc):
    other = cast.m_b111_1
    m = cast.m_b111_2
    data = {"citizen_id": other.citizen_id, "date_of_birth": other.date_of_birth, "sex": other.sex}
    msg = assert_refused(
        ValidationError,
        lambda: services.member_update(actor=acc.c11, member=m, data=data, accept_warnings=True),
        field="citizen_id",
    )
    assert other.full_name in msg
    outsider = cast.m_b211_0
    data = {"citizen_id": outsider.citizen_id, "date_of_birth": outsider.date_of_birth, "sex": outsider.sex}
    msg = assert_refused(
        ValidationError,
        lambda: services.member_update(actor=acc.c11, member=m, data=data, accept_warnings=True),
        field="citizen_id",
        contains="ngoài phạm vi",
    )
    assert outsider.full_name not in msg and cast.b211.name not in msg


# ---------------------------------------------------------------- update


def test_update_records_old_to_new_and_bumps_version(cast, acc):
    m = cast.m_b111_1  # Trần Thị Bình
    old_phone = m.phone
    updated = services.member_update(
        actor=acc.c11,
        member=m,
        data={"full_name": "Trần Thị Bích", "phone": "+84 987 654 321"},
        version=1,
        note="Theo giấy khai sinh",
    )
    updated.refresh_from_db()
    assert updated.version == 2
    assert (updated.full_name, updated.given_name, updated.phone) == ("Trần Thị Bích", "Bích", "+84987654321")
    assert updated.sort_key == vn.name_sort_key("Trần Thị Bích") and updated.search_given == "bich tran thi"
    event = AuditEvent.objects.filter(target_type="members.member", target_id=m.pk).first()
    assert event.action == "update" and event.actor_id == acc.c11.pk and event.note == "Theo giấy khai sinh"
    assert event.changes == {"full_name": ["Trần Thị Bình", "Trần Thị Bích"], "phone": [old_phone, "+84987654321"]}


def test_update_stale_version_is_refused(cast, acc):
    m = cast.m_b111_1
    services.member_update(actor=acc.c11, member=m, data={"occupation": "Công nhân"}, version=1)
    assert_refused(
        ValidationError,
        lambda: services.member_update(actor=acc.c11, member=m, data={"occupation": "Nông dân"}, version=1),
        field="__all__",
        contains="tải lại trang",
    )


def test_update_without_change_records_nothing(cast, acc):
    m = cast.m_b111_1
    before = state()
    services.member_update(actor=acc.c11, member=m, data={"full_name": m.full_name, "phone": vn.format_phone(m.phone)})
    assert state() == before


def test_update_validation_and_placement_fields_refused(cast, acc):
    m = cast.m_b111_1
    assert_refused(
        ValidationError, lambda: services.member_update(actor=acc.c11, member=m, data={"phone": "12"}), field="phone"
    )
    assert_refused(
        ValidationError,
        lambda: services.member_update(actor=acc.c11, member=m, data={"status": "removed"}),
        field="status",
    )
    assert_refused(
        ValidationError, lambda: services.member_update(actor=acc.c11, member=m, data={"unit": cast.b112}), field="unit"
    )


def test_update_that_contradicts_the_cccd_needs_confirmation(cast, acc):
    m = cast.m_b111_1  # female, CCCD digit 4 = 3
    assert_refused(
        ValidationError,
        lambda: services.member_update(actor=acc.c11, member=m, data={"date_of_birth": date(1999, 1, 1)}),
        field="citizen_id",
        contains="Năm sinh trong số CCCD",
    )
    assert_refused(
        ValidationError,
        lambda: services.member_update(actor=acc.c11, member=m, data={"sex": "M"}),
        field="citizen_id",
        contains="Giới tính",
    )
    services.member_update(actor=acc.c11, member=m, data={"sex": "M"}, accept_warnings=True)
    m.refresh_from_db()
    assert m.sex == "M"
    # a record whose CCCD was confirmed once is not blocked for unrelated edits
    services.member_update(actor=acc.c11, member=m, data={"occupation": "Sinh viên"})


# ---------------------------------------------------------------- status


def test_status_change_is_a_dated_record_and_moves_the_rollup(cast, acc):
    m = cast.m_b111_2
    active, aged = stat(cast.b111, "active"), stat(cast.b111, "aged_out")
    record = services.member_change_status(
        actor=acc.c11,
        member=m,
        status=MemberStatus.AGED_OUT,
        effective_on=date(2025, 9, 2),
        reason="Đủ 30 tuổi, trưởng thành Đoàn",
        decision_number="7-QĐ/ĐTN",
    )
    m.refresh_from_db()
    assert (record.status, record.previous_status, record.effective_on) == ("aged_out", "active", date(2025, 9, 2))
    assert record.decision_number == "7-QĐ/ĐTN" and record.actor_id == acc.c11.pk
    assert (m.status, m.status_since, m.version) == ("aged_out", date(2025, 9, 2), 2)
    assert (stat(cast.b111, "active"), stat(cast.b111, "aged_out")) == (active - 1, aged + 1)
    event = AuditEvent.objects.filter(target_type="members.member", target_id=m.pk).first()
    assert event.action == "status" and event.changes == {"status": ["Đang sinh hoạt", "Đã trưởng thành Đoàn"]}
    assert "02/09/2025" in event.note
    # back to active (e.g. a correction), then deceased: each a record
    services.member_change_status(
        actor=acc.c11, member=m, status="active", effective_on=date(2025, 9, 3), reason="Nhầm"
    )
    services.member_change_status(
        actor=acc.c11, member=m, status="deceased", effective_on=date(2025, 9, 4), reason="Tai nạn"
    )
    history = list(MemberStatusRecord.objects.filter(member=m).values_list("previous_status", "status"))
    assert history == [("", "active"), ("active", "aged_out"), ("aged_out", "active"), ("active", "deceased")]
    assert_rollups_exact()


def test_status_change_refusals(cast, acc):
    m = cast.m_b111_2
    assert_refused(
        ValidationError,
        lambda: services.member_change_status(
            actor=acc.c11, member=m, status="active", effective_on=today(), reason="x"
        ),
        field="status",
        contains="Không thể chuyển từ “Đang sinh hoạt” sang “Đang sinh hoạt”",
    )
    assert_refused(
        ValidationError,
        lambda: services.member_change_status(
            actor=acc.c11, member=m, status="ghost", effective_on=today(), reason="x"
        ),
        field="status",
    )
    assert_refused(
        ValidationError,
        lambda: services.member_change_status(
            actor=acc.c11, member=m, status="removed", effective_on=today() + timedelta(days=1), reason="Bỏ sinh hoạt"
        ),
        field="effective_on",
        contains="sau ngày hôm nay",
    )
    assert_refused(
        ValidationError,
        lambda: services.member_change_status(actor=acc.c11, member=m, status="removed", effective_on=None, reason="x"),
        field="effective_on",
    )
    assert_refused(
        ValidationError,
        lambda: services.member_change_status(
            actor=acc.c11, member=m, status="removed", effective_on=m.admitted_on - timedelta(days=1), reason="x"
        ),
        field="effective_on",
        contains=f"{m.admitted_on:%d/%m/%Y}",
    )
    assert_refused(
        ValidationError,
        lambda: services.member_change_status(
            actor=acc.c11, member=m, status="removed", effective_on=today(), reason="  "
        ),
        field="reason",
    )
    services.member_change_status(actor=acc.c11, member=m, status="deceased", effective_on=today(), reason="Tai nạn")
    assert_refused(
        ValidationError,
        lambda: services.member_change_status(
            actor=acc.c11, member=m, status="active", effective_on=today(), reason="x"
        ),
        field="status",
        contains="Đã mất",
    )


# ---------------------------------------------------------------- scope


def test_out_of_scope_actors_change_nothing(cast, acc, viewer):
    m = cast.m_b111_1
    data = member_data("Lâm Thị Thảo", sex="F")
    for actor in (acc.c12, acc.p2, acc.member_b111, viewer):
        assert_refused(ScopeError, lambda a=actor: services.member_create(actor=a, unit=cast.b111, data=data))
        assert_refused(
            ScopeError, lambda a=actor: services.member_update(actor=a, member=m, data={"occupation": "Kỹ sư"})
        )
        assert_refused(
            ScopeError,
            lambda a=actor: services.member_change_status(
                actor=a, member=m, status="removed", effective_on=today(), reason="Bỏ sinh hoạt"
            ),
        )
    # a branch secretary cannot reach the sibling branch
    assert_refused(ScopeError, lambda: services.member_create(actor=acc.b111, unit=cast.b112, data=data))
    assert_refused(
        ScopeError, lambda: services.member_update(actor=acc.b111, member=cast.m_b112_0, data={"occupation": "Kỹ sư"})
    )
    # an inactive account can do nothing
    User.objects.filter(pk=acc.c11.pk).update(is_active=False)
    acc.c11.refresh_from_db()
    assert_refused(ScopeError, lambda: services.member_update(actor=acc.c11, member=m, data={"occupation": "Kỹ sư"}))


def test_require_member_in_scope(cast, acc):
    services.require_member_in_scope(acc.c11, cast.m_b111_0)
    services.require_member_in_scope(acc.member_b111, cast.m_b111_0)  # a member sees their own record
    with pytest.raises(ScopeError):
        services.require_member_in_scope(acc.member_b111, cast.m_b111_1)
    with pytest.raises(ScopeError):
        services.require_member_in_scope(acc.c12, cast.m_b111_0)


# ---------------------------------------------------------------- placement helpers and rollups


def test_members_relocate_keeps_rollups_and_refuses_non_branches(cast, acc):
    ids = [cast.m_b111_0.pk, cast.m_b111_1.pk]
    assert (
        services.members_relocate(actor=acc.c11, member_ids=ids, to_unit=cast.b112, on=today(), reason="Ghép tổ") == 2
    )
    assert set(Member.objects.filter(pk__in=ids).values_list("unit_id", "scope3", "unit_path").distinct()) == {
        (cast.b112.pk, cast.b112.pk, cast.b112.path)
    }
    assert_rollups_exact()
    with pytest.raises(ValidationError):
        services.members_relocate(actor=acc.c11, member_ids=ids, to_unit=cast.c11, on=today())


def test_stats_recount_rebuilds_the_rollup(cast, acc):
    MemberStat.objects.all().update(count=99)
    services.stats_recount()
    assert_rollups_exact()
    MemberStat.objects.filter(unit=cast.b111).delete()
    services.stats_recount([cast.b111])
    assert_rollups_exact()


def test_cast_cccds_are_consistent():
    # the fixture's generator encodes century and sex as §1.1 says
    assert vn.check_citizen_id(make_cccd(date(2003, 1, 1), "F"), date(2003, 1, 1), "F").warnings == []
    assert vn.check_citizen_id(make_cccd(date(1999, 1, 1), "M"), date(1999, 1, 1), "M").warnings == []

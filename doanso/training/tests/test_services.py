"""The self-improvement programme: publishing, registering, reminding, confirming results."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from doanso.core.models import AuditEvent
from doanso.core.scope import ScopeError
from doanso.members.models import Member
from doanso.training import selectors, services
from doanso.training.models import Programme, Registration, Reminder

from .conftest import AREAS, targets_for

pytestmark = pytest.mark.django_db


def test_programme_results_returns_only_confirmed_levels(cast, central_programme, year):
    a, b, c = cast.m_b111_0, cast.m_b111_1, cast.m_b111_2
    for m in (a, b):
        services.registration_create(
            actor=cast.users["b111"], member=m, year=year, targets=targets_for(central_programme)
        )
    services.results_confirm(actor=cast.users["b111"], unit=cast.b111, year=year, results={a.pk: "excellent"})
    assert selectors.programme_results(year=year, member_ids=[a.pk, b.pk, c.pk]) == {a.pk: "excellent"}
    assert selectors.programme_results(year=year - 1, member_ids=[a.pk]) == {}
    assert selectors.programme_results(year=year, member_ids=[]) == {}


def test_the_nearest_ancestor_programme_applies_and_a_province_overrides_central(cast, central_programme, year):
    assert services.programme_for(unit=cast.b111, year=year) == central_programme
    draft = services.programme_create(actor=cast.users["p1"], unit=cast.p1, year=year, title="An Giang", areas=AREAS)
    assert services.programme_for(unit=cast.b111, year=year) == central_programme  # a draft does not apply
    services.programme_publish(actor=cast.users["p1"], programme=draft)
    assert services.programme_for(unit=cast.b111, year=year) == draft
    assert services.programme_for(unit=cast.b211, year=year) == central_programme  # Cà Mau keeps the Central one
    assert services.programme_for(unit=cast.b111, year=year + 1) is None


def test_publishing_is_for_central_or_provincial_units_only_and_validated(cast, year):
    with pytest.raises(ValidationError, match="cấp tỉnh"):
        services.programme_create(actor=cast.users["c11"], unit=cast.c11, year=year, title="X", areas=AREAS)
    with pytest.raises(ScopeError):
        services.programme_create(actor=cast.users["p2"], unit=cast.p1, year=year, title="X", areas=AREAS)
    with pytest.raises(ValidationError) as err:
        services.programme_create(
            actor=cast.users["p1"], unit=cast.p1, year=year, title="",
            areas=[{"name": "Học tập", "targets": "", "assessment": ""}],
        )  # fmt: skip
    assert "title" in err.value.message_dict
    with pytest.raises(ValidationError, match="ít nhất một"):
        services.programme_create(actor=cast.users["p1"], unit=cast.p1, year=year, title="X", areas=[])
    with pytest.raises(ValidationError, match="Năm"):
        services.programme_create(actor=cast.users["p1"], unit=cast.p1, year="abc", title="X", areas=AREAS)
    services.programme_create(actor=cast.users["p1"], unit=cast.p1, year=year, title="X", areas=AREAS, publish=True)
    with pytest.raises(ValidationError, match="đã có chương trình"):
        services.programme_create(actor=cast.users["p1"], unit=cast.p1, year=year, title="Y", areas=AREAS)
    assert Programme.objects.count() == 1


def test_a_published_programme_is_immutable_and_a_draft_edit_is_recorded(cast, year):
    p = services.programme_create(actor=cast.users["p1"], unit=cast.p1, year=year, title="Nháp", areas=AREAS)
    p = services.programme_update(
        actor=cast.users["p1"], programme=p, title="Bản 2", areas=AREAS[:1], version=p.version
    )
    assert p.areas.count() == 1
    assert AuditEvent.objects.filter(target_type="training.programme", target_id=p.pk, action="update").exists()
    services.programme_publish(actor=cast.users["p1"], programme=p)
    with pytest.raises(ValidationError, match="đã ban hành"):
        services.programme_update(actor=cast.users["p1"], programme=p, title="Bản 3", areas=AREAS)
    with pytest.raises(ValidationError, match="đã được ban hành"):
        services.programme_publish(actor=cast.users["p1"], programme=p)


def test_member_registers_once_on_their_own_account(cast, central_programme, year):
    me, account = cast.members["member_b111"], cast.users["member_b111"]
    r = services.registration_create(actor=account, member=me, year=year, targets=targets_for(central_programme))
    assert r.state == "registered" and r.targets.count() == 3 and r.programme == central_programme
    with pytest.raises(ValidationError, match="đã đăng ký"):
        services.registration_create(actor=account, member=me, year=year, targets=targets_for(central_programme))
    # a member account cannot register someone else
    with pytest.raises(ScopeError):
        services.registration_create(actor=account, member=cast.m_b111_1, year=year, targets={})
    # a sibling commune cannot register for this branch
    with pytest.raises(ScopeError):
        services.registration_create(actor=cast.users["c12"], member=cast.m_b111_1, year=year, targets={})
    assert Registration.objects.count() == 1


def test_registration_validates_targets_year_and_programme(cast, central_programme, year):
    account, me = cast.users["member_b111"], cast.members["member_b111"]
    with pytest.raises(ValidationError, match="ít nhất một"):
        services.registration_create(actor=account, member=me, year=year, targets={})
    with pytest.raises(ValidationError, match="không thuộc nội dung"):
        services.registration_create(actor=account, member=me, year=year, targets={999999: "x"})
    with pytest.raises(ValidationError, match="đã qua"):
        services.registration_create(actor=account, member=me, year=year - 1, targets=targets_for(central_programme))
    with pytest.raises(ValidationError, match="Chưa có chương trình"):
        services.registration_create(actor=account, member=me, year=year + 1, targets={1: "x"})
    Member.objects.filter(pk=me.pk).update(status="removed")
    with pytest.raises(ValidationError, match="không ở trạng thái"):
        services.registration_create(actor=account, member=me, year=year, targets=targets_for(central_programme))
    assert Registration.objects.count() == 0


def test_targets_can_change_until_the_branch_takes_them_in_hand(cast, central_programme, year):
    account, me = cast.users["member_b111"], cast.members["member_b111"]
    area = central_programme.areas.first()
    r = services.registration_create(actor=account, member=me, year=year, targets={area.pk: "Cũ"})
    r = services.registration_update(actor=account, registration=r, targets={area.pk: "Mới"}, version=r.version)
    assert r.targets.get().text == "Mới"
    event = AuditEvent.objects.filter(target_type="training.registration", target_id=r.pk, action="update").get()
    assert event.changes[str(area.pk)] == ["Cũ", "Mới"]
    assert services.registrations_accept(actor=cast.users["b111"], unit=cast.b111, year=year, member_ids=[me.pk]) == 1
    r.refresh_from_db()
    assert r.state == "in_progress"
    with pytest.raises(ValidationError, match="không sửa chỉ tiêu"):
        services.registration_update(actor=account, registration=r, targets={area.pk: "Khác"})


def test_branch_confirms_results_in_bulk_all_or_nothing(cast, central_programme, year):
    b111 = cast.users["b111"]
    a, b, c = cast.m_b111_0, cast.m_b111_1, cast.m_b111_2
    for m in (a, b):
        services.registration_create(actor=b111, member=m, year=year, targets=targets_for(central_programme))
    # a level outside the four, a member outside the branch, an unregistered member: nothing changes
    for results, match in (
        ({a.pk: "excellent", b.pk: "perfect"}, "không hợp lệ"),
        ({a.pk: "good", cast.m_b112_0.pk: "good"}, "không thuộc"),
        ({a.pk: "good", c.pk: "good"}, "chưa đăng ký"),
    ):
        with pytest.raises(ValidationError, match=match):
            services.results_confirm(actor=b111, unit=cast.b111, year=year, results=results)
    assert not Registration.objects.filter(state="assessed").exists()
    done = services.results_confirm(
        actor=b111,
        unit=cast.b111,
        year=year,
        results={a.pk: "excellent", b.pk: {"level": "done", "note": "Đạt"}, c.pk: ""},
    )
    assert done == {"changed": 2, "unchanged": 0}
    ra = Registration.objects.get(member=a)
    assert ra.state == "assessed" and ra.result == "excellent" and ra.result_confirmed_by == b111
    # a confirmed result changes only with a reason, and the change is kept
    with pytest.raises(ValidationError, match="lý do"):
        services.results_confirm(actor=b111, unit=cast.b111, year=year, results={a.pk: "good"})
    services.results_confirm(actor=b111, unit=cast.b111, year=year, results={a.pk: "good"}, reason="Phúc tra")
    event = AuditEvent.objects.filter(target_type="training.registration", target_id=ra.pk, action="correct").get()
    assert event.changes["result"] == ["Xuất sắc", "Tốt"] and event.note == "Phúc tra"
    # sibling commune and the member themself cannot confirm
    with pytest.raises(ScopeError):
        services.results_confirm(actor=cast.users["c12"], unit=cast.b111, year=year, results={b.pk: "excellent"})
    with pytest.raises(ScopeError):
        services.results_confirm(
            actor=cast.users["member_b111"], unit=cast.b111, year=year, results={b.pk: "excellent"}
        )
    with pytest.raises(ValidationError, match="chi đoàn"):
        services.results_confirm(actor=cast.users["c11"], unit=cast.c11, year=year, results={b.pk: "excellent"})
    assert Registration.objects.get(member=b).result == "done"


def test_remind_unregistered_once_a_day_in_app_and_by_mail(
    cast, central_programme, year, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_NOTIFICATIONS = True
    b111 = cast.users["b111"]
    a, b, c = cast.m_b111_0, cast.m_b111_1, cast.m_b111_2
    Member.objects.filter(pk=b.pk).update(email="binh@example.vn")
    services.registration_create(actor=b111, member=a, year=year, targets=targets_for(central_programme))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(actor=b111, unit=cast.b111, year=year) == 2
    assert set(Reminder.objects.values_list("member_id", flat=True)) == {b.pk, c.pk}
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["binh@example.vn"]
    assert services.reminders_send(actor=b111, unit=cast.b111, year=year) == 0  # not twice a day
    Reminder.objects.update(created_at=timezone.now() - timedelta(days=2))
    assert services.reminders_send(actor=b111, unit=cast.b111, year=year, member_ids=[c.pk]) == 1
    with pytest.raises(ValidationError, match="không thuộc"):
        services.reminders_send(actor=b111, unit=cast.b111, year=year, member_ids=[cast.m_b121_0.pk])
    with pytest.raises(ScopeError):
        services.reminders_send(actor=cast.users["c12"], unit=cast.b111, year=year)
    with pytest.raises(ValidationError, match="Chưa có chương trình"):
        services.reminders_send(actor=b111, unit=cast.b111, year=year + 1)
    assert Reminder.objects.count() == 3


def test_scope_sibling_sees_nothing_and_member_sees_only_self(cast, p1_programme, year):
    for m in (cast.m_b111_0, cast.m_b111_1):
        services.registration_create(actor=cast.users["b111"], member=m, year=year, targets=targets_for(p1_programme))
    assert Registration.objects.restrict(cast.users["c11"]).count() == 2
    assert Registration.objects.restrict(cast.users["c12"]).count() == 0
    assert list(Registration.objects.restrict(cast.users["member_b111"])) == [
        Registration.objects.get(member=cast.members["member_b111"])
    ]
    assert list(Programme.objects.restrict(cast.users["b111"])) == [p1_programme]
    assert not Programme.objects.restrict(cast.users["p2"]).exists()
    assert not Programme.objects.restrict(cast.users["c21"]).exists()
    assert list(Programme.objects.restrict(cast.users["member_b111"])) == [p1_programme]
    status = selectors.branch_status(actor=cast.users["c12"], unit=cast.b111, year=year)
    assert status.rows == []
    mine = selectors.member_training(actor=cast.users["member_b111"], member=cast.members["member_b111"], year=year)
    assert mine.registration is not None
    with pytest.raises(Member.DoesNotExist):
        selectors.member_training(actor=cast.users["member_b111"], member=cast.m_b111_1, year=year)

"""The dues ledger's services and selectors, called directly."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from doanso.core.models import RuleSet
from doanso.core.scope import ScopeError
from doanso.dues import selectors, services
from doanso.dues.models import DuesEntry, DuesMonth, Forwarding
from doanso.dues.months import month_add, month_of
from doanso.members.services import member_change_status
from doanso.procedures import services as procedures

pytestmark = pytest.mark.django_db
TODAY = date.today()
THIS = month_of(TODAY)


def back(n: int) -> date:
    return month_add(THIS, -n)


def pay(cast, members, month, user="b111", unit="b111", **kw):
    return services.dues_record(actor=cast.users[user], unit=getattr(cast, unit), month=month, members=members, **kw)


def send_away(cast, member, start: date):
    case = procedures.member_case_open(
        actor=cast.users["b111"], kind="working_away", members=[member],
        data={"starts_on": start.strftime("%d/%m/%Y"), "ends_on": (start + timedelta(days=300)).strftime("%d/%m/%Y")},
    )  # fmt: skip
    procedures.case_act(actor=cast.users["b111"], case=case, action="approve", data={})


def test_rates_come_from_the_rule_set_by_category_and_month(cast):
    m0, m1, m2 = cast.m_b111_0, cast.m_b111_1, cast.m_b111_2
    m1.is_salaried = True
    m1.save(update_fields=["is_salaried"])
    # The Union raises the non-salaried rate from last month on: earlier months keep the old rate.
    RuleSet.objects.create(effective_from=back(1), values={"dues_non_salaried": 3000})
    services.dues_category_set(actor=cast.users["b111"], member=m2, category="abroad", note="Du học Nhật Bản")
    assert selectors.category_of(m2) == "abroad"
    (early,) = pay(cast, [m0], back(2))
    later = {e.member_id: e for e in pay(cast, [m0, m1], back(1))}
    assert early.amount == 2000 and later[m0.pk].amount == 3000 and later[m1.pk].amount == 5000
    with pytest.raises(ValidationError, match="thấp hơn mức đoàn phí 5.000đ"):
        pay(cast, [m2], back(1), amounts={m2.pk: 4000})
    (abroad,) = pay(cast, [m2], back(1), amounts={m2.pk: "10.000"})  # at least the minimum, more is fine
    assert abroad.amount == 10000 and abroad.category == "abroad"
    services.dues_category_set(actor=cast.users["b111"], member=m2, category="")
    assert selectors.category_of(m2) == "non_salaried"


def test_a_branch_records_its_month_in_bulk_and_a_double_post_changes_nothing(cast):
    members = [cast.m_b111_0, cast.m_b111_1, cast.m_b111_2]
    entries = pay(cast, members, back(1), paid_on=TODAY.strftime("%d/%m/%Y"))
    assert len(entries) == 3 and DuesMonth.objects.filter(month=back(1)).count() == 3
    assert all(e.recorded_by == cast.users["b111"] and e.paid_on == TODAY for e in entries)
    with pytest.raises(ValidationError, match="đã đóng đoàn phí tháng"):
        pay(cast, [cast.m_b111_0], back(1))
    with pytest.raises(ValidationError, match="hai lần"):
        pay(cast, [cast.m_b112_0, cast.m_b112_0], back(1), unit="b112", user="c11")
    assert DuesEntry.objects.count() == 3
    rows = selectors.branch_month(actor=cast.users["b111"], unit=cast.b111, month=back(1))
    assert all(r.paid for r in rows)


def test_members_away_pay_a_quarter_in_one_payment(cast):
    away, stay = cast.m_b111_1, cast.m_b111_0
    with pytest.raises(ValidationError, match="đi làm ăn xa"):
        pay(cast, [away], back(1), months=3)
    send_away(cast, away, back(2))
    with pytest.raises(ValidationError, match="đi làm ăn xa"):
        pay(cast, [stay], back(1), months=3)
    (entry,) = pay(cast, [away], back(1), months=3)
    assert entry.months == 3 and entry.amount == 6000
    assert sorted(DuesMonth.objects.filter(entry=entry).values_list("month", flat=True)) == [back(1), THIS, back(-1)]
    with pytest.raises(ValidationError, match="từng tháng \\(1\\) hoặc theo quý"):
        pay(cast, [away], back(1), months=2)


def test_prepayment_beyond_the_rule_set_limit_is_refused(cast):
    m = cast.m_b111_0
    with pytest.raises(ValidationError, match="trước tối đa 3 tháng"):
        pay(cast, [m], back(-4))
    assert not DuesEntry.objects.exists()
    pay(cast, [m], back(-3))
    RuleSet.objects.create(effective_from=TODAY - timedelta(days=1), values={"dues_max_prepay_months": 1})
    with pytest.raises(ValidationError, match="trước tối đa 1 tháng"):
        pay(cast, [cast.m_b111_1], back(-2))


def test_bad_input_is_refused_with_a_field_message_and_changes_nothing(cast):
    m = cast.m_b111_0
    for amount in (0, -2000, "abc"):
        with pytest.raises(ValidationError) as err:
            pay(cast, [m], back(1), amounts={m.pk: amount})
        assert "Số tiền" in str(err.value)
    with pytest.raises(ValidationError, match="không thuộc Chi đoàn 1"):
        pay(cast, [m, cast.m_b112_0], back(1))
    with pytest.raises(ValidationError, match="chỉ chi đoàn"):
        pay(cast, [m], back(1), user="c11", unit="c11")
    with pytest.raises(ValidationError, match="mm/yyyy"):
        pay(cast, [m], "tháng năm")
    with pytest.raises(ValidationError, match="trước ngày vào Đoàn"):
        pay(cast, [m], month_of(m.admitted_on) - timedelta(days=40))
    with pytest.raises(ValidationError, match="sau ngày hôm nay"):
        pay(cast, [m], back(1), paid_on=TODAY + timedelta(days=1))
    assert not DuesEntry.objects.exists() and not DuesMonth.objects.exists()


def test_a_mistake_is_reversed_by_a_correcting_entry_and_both_are_kept(cast):
    m = cast.m_b111_0
    (wrong,) = pay(cast, [m], back(2))
    with pytest.raises(ValidationError, match="Lý do"):
        services.dues_payment_correct(actor=cast.users["b111"], entry=wrong, reason=" ")
    with pytest.raises(ValidationError, match="trước tối đa"):  # a bad replacement rolls the reversal back too
        services.dues_payment_correct(actor=cast.users["b111"], entry=wrong, reason="Nhầm tháng", month=back(-9))
    assert DuesEntry.objects.count() == 1 and DuesMonth.objects.get(member=m).month == back(2)
    reversal, right = services.dues_payment_correct(
        actor=cast.users["b111"], entry=wrong, reason="Nhầm tháng", month=back(1)
    )
    assert reversal.amount == -wrong.amount and reversal.reverses == wrong and right.first_month == back(1)
    assert DuesEntry.objects.count() == 3  # the wrong one, its reversal, the right one
    assert list(DuesMonth.objects.filter(member=m).values_list("month", flat=True)) == [back(1)]
    with pytest.raises(ValidationError, match="đã được điều chỉnh"):
        services.dues_payment_correct(actor=cast.users["b111"], entry=wrong, reason="lần nữa")
    with pytest.raises(ValidationError, match="Chỉ điều chỉnh được khoản thu"):
        services.dues_payment_correct(actor=cast.users["b111"], entry=reversal, reason="x")
    with pytest.raises(ScopeError):
        services.dues_payment_correct(actor=cast.users["c12"], entry=right, reason="x")
    assert DuesEntry.objects.count() == 3


def test_arrears_per_member_branch_and_subtree(cast):
    services.ledger_start_set(actor=cast.users["c11"], unit=cast.c11, month=back(3))
    m0, m1, m2 = cast.m_b111_0, cast.m_b111_1, cast.m_b111_2
    for n in (3, 2, 1, 0):
        pay(cast, [m1], back(n))
    pay(cast, [m2], back(3))
    # m0 was not a member for a while: removed two months ago, readmitted last month.
    member_change_status(
        actor=cast.users["c11"], member=m0, status="removed", effective_on=back(2), reason="Bỏ sinh hoạt"
    )
    member_change_status(
        actor=cast.users["c11"],
        member=m0,
        status="active",
        effective_on=back(1) - timedelta(days=1),
        reason="Kết nạp lại",
    )
    rows = {r.member_id: r for r in selectors.arrears_rows(actor=cast.users["c11"], unit=cast.c11)}
    assert len(rows) == 6  # every current member of the commune's branches
    assert rows[m1.pk].unpaid == [] and rows[m1.pk].months_paid == 4
    assert rows[m2.pk].unpaid == [back(2), back(1), THIS] and rows[m2.pk].amount_unpaid == 6000
    assert rows[m0.pk].unpaid == [back(3), back(1), THIS]  # the month it was removed is not due
    assert rows[cast.m_b112_0.pk].months_unpaid == 4
    summary = selectors.arrears_summary(actor=cast.users["c11"], unit=cast.c11)
    assert summary.members == 6 and summary.owing == 5
    assert {c["unit"].code: c["owing"] for c in summary.by_child} == {cast.b111.code: 2, cast.b112.code: 3}
    assert summary.amount_unpaid == sum(r.amount_unpaid for r in rows.values())
    owing = list(selectors.arrears_rows(actor=cast.users["b111"], unit=cast.b111, only_owing=True))
    assert [r.member_id for r in owing] == sorted(
        [m0.pk, m2.pk], key=lambda pk: [m0, m2][[m0.pk, m2.pk].index(pk)].sort_key
    )
    # Before any ledger start or payment, nobody owes: the book has not begun.
    assert all(not r.unpaid for r in selectors.arrears_rows(actor=cast.users["c21"], unit=cast.c21))


def test_export_rows_need_the_export_permission_and_the_subtree(cast):
    with pytest.raises(ScopeError):
        list(selectors.arrears_rows(actor=cast.users["c12"], unit=cast.c11))
    with pytest.raises(ScopeError):
        list(selectors.arrears_rows(actor=cast.users["c11_clerk"], unit=cast.c11, action="export"))
    assert len(list(selectors.arrears_rows(actor=cast.users["c11"], unit=cast.c11, action="export"))) == 6
    with pytest.raises(ScopeError):
        list(selectors.arrears_rows(actor=cast.users["member_b111"], unit=cast.b111))


def test_each_level_keeps_its_share_and_the_sums_add_up(cast):
    month = back(1)
    paid_on = month + timedelta(days=4)
    pay(cast, [cast.m_b111_0, cast.m_b111_1, cast.m_b111_2], month, paid_on=paid_on)  # 6.000
    pay(cast, [cast.m_b112_0], month, user="c11", unit="b112", paid_on=paid_on)  # 2.000
    pay(cast, [cast.m_b121_0], month, user="c12", unit="b121", paid_on=paid_on)  # 2.000
    with pytest.raises(ValidationError, match="chưa kết thúc"):
        services.forwarding_record(actor=cast.users["b111"], unit=cast.b111, period_start=THIS)
    with pytest.raises(ValidationError, match="chưa nộp kỳ này: Chi đoàn 1"):
        services.forwarding_record(actor=cast.users["c11"], unit=cast.c11, period_start=month)
    b111 = services.forwarding_record(actor=cast.users["b111"], unit=cast.b111, period_start=month)
    assert (b111.collected, b111.kept, b111.forwarded, b111.parent) == (6000, 4000, 2000, cast.c11)
    with pytest.raises(ValidationError, match="đã nộp lên cấp trên cho kỳ này"):
        services.forwarding_record(actor=cast.users["b111"], unit=cast.b111, period_start=month)
    b112 = services.forwarding_record(actor=cast.users["c11"], unit=cast.b112, period_start=month)
    c11 = services.forwarding_record(actor=cast.users["c11"], unit=cast.c11, period_start=month)
    assert c11.own_collected == 0 and c11.received == b111.forwarded + b112.forwarded == 2000 + 666
    assert c11.collected == c11.kept + c11.forwarded
    # Money paid into a closed period is refused: the figures above stay true.
    with pytest.raises(ValidationError, match="đã được .* chốt"):
        pay(cast, [cast.m_b112_1], month, user="c11", unit="b112", paid_on=paid_on)
    with pytest.raises(ValidationError, match="chưa nộp kỳ này: Đoàn phường Long Xuyên"):
        services.forwarding_record(actor=cast.users["p1"], unit=cast.p1, period_start=month)
    b121 = services.forwarding_record(actor=cast.users["c12"], unit=cast.b121, period_start=month)
    c12 = services.forwarding_record(actor=cast.users["c12"], unit=cast.c12, period_start=month)
    p1 = services.forwarding_record(actor=cast.users["p1"], unit=cast.p1, period_start=month)
    assert p1.received == c11.forwarded + c12.forwarded and p1.parent == cast.tw
    records = list(Forwarding.objects.all())
    assert all(r.collected == r.own_collected + r.received == r.kept + r.forwarded for r in records)
    own = sum(e.amount for e in DuesEntry.objects.all())
    assert own == 10000 and sum(r.kept for r in records) + p1.forwarded == own  # nothing lost, nothing made up
    with pytest.raises(ValidationError, match="đã chốt kỳ này"):  # the parent closed it: too late for a child
        services.forwarding_record(actor=cast.users["c12"], unit=cast.b122, period_start=month)
    assert b121.forwarded == 666
    # The parent sees what each child sent.
    received = selectors.forwardings(actor=cast.users["c11"], unit=cast.c11)["received"]
    assert {r.unit for r in received} == {cast.b111, cast.b112}
    with pytest.raises(ScopeError):
        services.forwarding_record(actor=cast.users["c12"], unit=cast.c11, period_start=back(2))
    with pytest.raises(ValidationError, match="quý bắt đầu"):
        services.forwarding_record(actor=cast.users["c11"], unit=cast.b111, period_start="02/2025", period_months=3)


def test_the_removal_trigger_reads_the_ledger(cast):
    services.ledger_start_set(actor=cast.users["b111"], unit=cast.b111, month=back(5))
    m0, m1, m2 = cast.m_b111_0, cast.m_b111_1, cast.m_b111_2
    for n in (5, 4, 3, 2, 1):
        pay(cast, [m1, m2], back(n))
    pay(cast, [m0], back(5))
    pay(cast, [m0], back(4))
    candidates = dict(procedures.removal_candidates(unit=cast.b111))
    assert candidates == {m0: 3}  # the current month is not over: not counted
    assert procedures.missed_months(member=m1) == 0
    # The activity screen's dues tick writes to the ledger; unticking reverses with a correcting entry.
    procedures.activity_record(actor=cast.users["b111"], unit=cast.b111, month=back(3), rows={m0.pk: (True, True)})
    assert DuesMonth.objects.filter(member=m0, month=back(3)).exists()
    assert procedures.missed_months(member=m0) == 2
    procedures.activity_record(actor=cast.users["b111"], unit=cast.b111, month=back(3), rows={m0.pk: (True, False)})
    assert not DuesMonth.objects.filter(member=m0, month=back(3)).exists()
    assert DuesEntry.objects.filter(member=m0, kind="reversal").count() == 1
    assert procedures.missed_months(member=m0) == 3
    # Registered time away is exempt, as before.
    send_away(cast, m0, back(4))
    assert procedures.missed_months(member=m0) == 0


def test_a_member_sees_only_their_own_ledger(cast):
    pay(cast, [cast.m_b111_0, cast.m_b111_1], back(1))
    me = cast.users["member_b111"]
    ledger = selectors.member_ledger(actor=me, member=cast.m_b111_0)
    assert [e.member_id for e in ledger.entries] == [cast.m_b111_0.pk]
    with pytest.raises(ScopeError):
        selectors.member_ledger(actor=me, member=cast.m_b111_1)
    with pytest.raises(ScopeError):
        selectors.member_ledger(actor=cast.users["c12"], member=cast.m_b111_1)
    with pytest.raises(ScopeError):
        pay(cast, [cast.m_b111_0], back(2), user="member_b111")


def test_demo_hook_adds_payments_arrears_and_forwarding(cast):
    import random

    from doanso.dues import demo

    counts = demo.seed(today=TODAY, rnd=random.Random(7), commune_username="c11")
    assert counts["entries"] > 10 and counts["forwardings"] == 9
    assert DuesEntry.objects.filter(kind="reversal").count() == 1
    records = list(Forwarding.objects.all())
    assert all(r.collected == r.own_collected + r.received == r.kept + r.forwarded for r in records)
    assert any(r.unpaid for r in selectors.arrears_rows(actor=cast.users["c11"], unit=cast.c11))

"""Transfer (chuyển sinh hoạt): direct moves inside a grassroots unit, two-party hand-overs across provinces."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from doanso.core.scope import ScopeError
from doanso.members.models import Member, MemberStat, MemberUnitChange
from doanso.members.services import stats_recount
from doanso.procedures import services
from doanso.procedures.models import Case, Notification

pytestmark = pytest.mark.django_db
TODAY = date.today()


def rollup():
    return {(s.unit_id, s.status): s.count for s in MemberStat.objects.exclude(count=0)}


def exact_rollup():
    before = rollup()
    stats_recount()
    return before == rollup()


def test_direct_move_between_branches_of_one_commune(cast):
    m = cast.m_b111_1
    case = services.transfer_open(actor=cast.users["c11"], member=m, to_unit=cast.b112, reason="Chuyển nơi ở")
    m.refresh_from_db()
    assert case.state == "placed" and not case.is_open
    assert m.unit == cast.b112 and m.status == "active"
    assert MemberUnitChange.objects.filter(member=m, to_unit=cast.b112).exists()
    assert exact_rollup()


def test_cross_province_hand_over(cast):
    m = cast.m_b111_1
    case = services.transfer_open(actor=cast.users["c11"], member=m, to_unit=cast.c21, reason="Đi làm ở Cà Mau")
    assert case.state == "requested" and case.deciding_unit == cast.c11
    # The receiver cannot release on the sender's behalf.
    with pytest.raises(ScopeError):
        services.case_act(
            actor=cast.users["c21"], case=case, action="release", data={"remarks": "x", "dues_paid_to": "10/2026"}
        )
    with pytest.raises(ValidationError, match="mm/yyyy"):
        services.case_act(
            actor=cast.users["c11"], case=case, action="release", data={"remarks": "Tốt", "dues_paid_to": "tháng 10"}
        )
    case = services.case_act(
        actor=cast.users["c11"],
        case=case,
        action="release",
        data={"remarks": "Hoàn thành tốt nhiệm vụ", "dues_paid_to": TODAY.strftime("%m/%Y")},
    )
    m.refresh_from_db()
    assert m.status == "in_transit" and case.deciding_unit == cast.c21
    assert Notification.objects.filter(unit=cast.c21, case=case).exists()
    # The receiving commune sees the case (and so the transferred member), but not the sender's other members.
    receiver = cast.users["c21"]
    assert Case.objects.restrict(receiver).filter(pk=case.pk).exists()
    assert not Member.objects.restrict(receiver).filter(pk=cast.m_b111_2.pk).exists()
    # A sibling of the receiver cannot accept, and a branch of another commune is refused.
    with pytest.raises(ScopeError):
        services.case_act(actor=cast.users["c22"], case=case, action="accept", data={"branch": cast.b221.pk})
    with pytest.raises(ValidationError, match="chi đoàn thuộc"):
        services.case_act(actor=receiver, case=case, action="accept", data={"branch": cast.b221.pk})
    case = services.case_act(actor=receiver, case=case, action="accept", data={"branch": cast.b211.pk})
    m.refresh_from_db()
    assert case.state == "placed" and m.unit == cast.b211 and m.status == "active" and m.scope1 == cast.p2.pk
    assert Member.objects.restrict(receiver).filter(pk=m.pk).exists()
    assert not Member.objects.restrict(cast.users["c11"]).filter(pk=m.pk).exists()
    assert [s.action for s in case.steps.all()] == ["open", "release", "accept"]
    assert exact_rollup()


def test_refusal_and_expiry_return_the_member(cast):
    m1, m2 = cast.m_b111_1, cast.m_b111_2
    c1 = services.transfer_open(actor=cast.users["c11"], member=m1, to_unit=cast.c21)
    c2 = services.transfer_open(actor=cast.users["c11"], member=m2, to_unit=cast.c21)
    results = services.cases_bulk_act(
        actor=cast.users["c11"],
        cases=[c1, c2],
        action="release",
        data={"remarks": "Tốt", "dues_paid_to": TODAY.strftime("%m/%Y")},
    )
    assert all(r["ok"] for r in results)
    services.case_act(actor=cast.users["c21"], case=c1, action="refuse", data={"note": "Không có nơi cư trú tại xã"})
    m1.refresh_from_db()
    assert m1.status == "active" and m1.unit == cast.b111
    assert services.transfers_expire(today=TODAY + timedelta(days=59)) == 0
    assert services.transfers_expire(today=TODAY + timedelta(days=61)) == 1
    c2.refresh_from_db()
    m2.refresh_from_db()
    assert c2.state == "expired" and m2.status == "active" and m2.unit == cast.b111
    assert Notification.objects.filter(unit=cast.c11, case=c2).exists()
    assert exact_rollup()


def test_bad_transfers_change_nothing(cast):
    from doanso.organisations.services import unit_close

    m = cast.m_b111_1
    with pytest.raises(ScopeError):
        services.transfer_open(actor=cast.users["c12"], member=m, to_unit=cast.c21)
    services.transfer_open(actor=cast.users["c11"], member=m, to_unit=cast.c21)
    with pytest.raises(ValidationError, match="chưa xong"):
        services.transfer_open(actor=cast.users["c11"], member=m, to_unit=cast.c22)
    for member in Member.objects.filter(unit=cast.b222):
        services.transfer_open(actor=cast.users["c22"], member=member, to_unit=cast.b221)
    unit_close(actor=cast.users["p2"], unit=cast.b222, on=TODAY)
    with pytest.raises(ValidationError, match="đã giải thể"):
        services.transfer_open(actor=cast.users["c11"], member=cast.m_b111_2, to_unit=cast.b222)
    assert Case.objects.filter(kind="transfer", is_open=True).count() == 1


def test_web_batch_transfer_and_receiver_accepts(cast, client):
    client.force_login(cast.users["c11"])
    ids = [cast.m_b111_0.pk, cast.m_b111_1.pk]
    response = client.post(
        reverse("transfer_open") + f"?unit={cast.b111.pk}",
        {"member": ids, "to_unit": cast.c21.pk, "reason": "Tốt nghiệp"},
    )
    assert response.status_code == 200 and "2</b> hồ sơ thành công" in response.content.decode()
    cases = list(Case.objects.filter(kind="transfer"))
    client.post(
        reverse("case_bulk_act"),
        {"case": [c.pk for c in cases], "action": "release", "remarks": "Tốt", "dues_paid_to": TODAY.strftime("%m/%Y")},
    )
    assert Member.objects.filter(pk__in=ids, status="in_transit").count() == 2
    client.force_login(cast.users["c21"])
    page = client.get(reverse("case_detail", args=[cases[0].pk])).content.decode()
    assert "Xếp vào chi đoàn" in page and cast.b211.name in page
    client.post(reverse("case_act", args=[cases[0].pk, "accept"]), {"branch": cast.b211.pk})
    assert Member.objects.get(pk=cases[0].subjects.get().member_id).unit == cast.b211
    # The receiver's sibling sees nothing.
    client.force_login(cast.users["c22"])
    assert client.get(reverse("case_detail", args=[cases[1].pk])).status_code == 404


def test_transfer_out_of_the_system_prints_a_letter(cast, client):
    import io

    from docx import Document

    m = cast.m_b111_1
    with pytest.raises(ValidationError, match="Ghi rõ"):
        services.transfer_open(actor=cast.users["c11"], member=m, to_unit=None, destination="")
    case = services.transfer_open(
        actor=cast.users["c11"], member=m, to_unit=None, destination="Đoàn TNCS Hồ Chí Minh tại Nhật Bản"
    )
    case = services.case_act(
        actor=cast.users["c11"],
        case=case,
        action="release",
        data={"remarks": "Tốt", "dues_paid_to": TODAY.strftime("%m/%Y")},
    )
    m.refresh_from_db()
    assert case.state == "left_system" and not case.is_open and m.status == "left"
    client.force_login(cast.users["c11"])
    body = client.get(reverse("case_document", args=[case.pk, "docx"])).content
    text = "\n".join(p.text for p in Document(io.BytesIO(body)).paragraphs)
    assert "tại Nhật Bản" in text and m.full_name in text
    assert exact_rollup()


def test_release_takes_the_dues_month_from_the_branch_dues_book(cast, client):
    """Where the branch keeps its dues book here, the month written on the hand-over is the book's:
    left blank it is filled in, a month the book does not show paid is refused, the arrears are
    kept with the case, and the case page offers the book's month."""
    from doanso.dues import services as dues
    from doanso.dues.months import month_add, month_of

    this = month_of(TODAY)
    m, n = cast.m_b111_1, cast.m_b111_2
    dues.ledger_start_set(actor=cast.users["b111"], unit=cast.b111, month=month_add(this, -3))
    for back in (3, 2):
        dues.dues_record(actor=cast.users["b111"], unit=cast.b111, month=month_add(this, -back), members=[m, n])
    dues.dues_record(actor=cast.users["b111"], unit=cast.b111, month=month_add(this, -1), members=[n])
    dues.dues_record(actor=cast.users["b111"], unit=cast.b111, month=this, members=[n])
    dues.dues_record(actor=cast.users["b111"], unit=cast.b111, month=month_add(this, 1), members=[n])  # ahead
    two_back, last = month_add(this, -2), month_add(this, -1)
    case = services.transfer_open(actor=cast.users["c11"], member=m, to_unit=cast.c21, reason="Đi làm ở Cà Mau")
    client.force_login(cast.users["c11"])
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert f'value="{two_back:%m/%Y}"' in page and f"Còn nợ: {last:%m/%Y}, {this:%m/%Y}" in page
    api = client.get(f"/api/cases/{case.pk}/").json()  # what the mobile app shows before releasing
    assert api["dues_book"] == [
        {"member": m.pk, "kept": True, "paid_to": f"{two_back:%m/%Y}", "unpaid": [f"{last:%m/%Y}", f"{this:%m/%Y}"]}
    ]
    with pytest.raises(ValidationError, match=f"Sổ đoàn phí ghi {m.full_name} đến tháng {two_back:%m/%Y}"):
        services.case_act(
            actor=cast.users["c11"],
            case=case,
            action="release",
            data={"remarks": "Tốt", "dues_paid_to": f"{this:%m/%Y}"},
        )
    m.refresh_from_db()
    assert m.status == "active" and Case.objects.get(pk=case.pk).state == "requested"  # nothing changed
    case = services.case_act(actor=cast.users["c11"], case=case, action="release", data={"remarks": "Tốt"})
    assert case.state == "released"
    assert case.data["dues_paid_to"] == f"{two_back:%m/%Y}"
    assert case.data["dues_unpaid"] == [f"{last:%m/%Y}", f"{this:%m/%Y}"]
    # Paid a month ahead: the book's month is accepted when stated (in either form), though in the future.
    ahead = month_add(this, 1)
    other = services.transfer_open(actor=cast.users["c11"], member=n, to_unit=cast.c21, reason="Đi học")
    with pytest.raises(ValidationError, match=f"đến tháng {ahead:%m/%Y}, không phải {this:%m/%Y}"):
        services.case_act(
            actor=cast.users["c11"],
            case=other,
            action="release",
            data={"remarks": "Tốt", "dues_paid_to": f"{this:%m/%Y}"},
        )
    other = services.case_act(
        actor=cast.users["c11"], case=other, action="release", data={"remarks": "Tốt", "dues_paid_to": f"{ahead:%Y-%m}"}
    )
    assert other.data["dues_paid_to"] == f"{ahead:%m/%Y}" and "dues_unpaid" not in other.data


def test_release_without_a_dues_book_needs_the_month_stated(cast):
    from doanso.dues.months import month_add, month_of

    m = cast.m_b111_1
    case = services.transfer_open(actor=cast.users["c11"], member=m, to_unit=cast.c21, reason="Đi làm ở Cà Mau")
    with pytest.raises(ValidationError, match="chưa ghi sổ đoàn phí trên Đoàn Số, hãy nhập tháng"):
        services.case_act(actor=cast.users["c11"], case=case, action="release", data={"remarks": "Tốt"})
    ahead = month_add(month_of(TODAY), 1)
    with pytest.raises(ValidationError, match="không được ở tương lai"):
        services.case_act(
            actor=cast.users["c11"],
            case=case,
            action="release",
            data={"remarks": "Tốt", "dues_paid_to": f"{ahead:%m/%Y}"},
        )
    m.refresh_from_db()
    assert m.status == "active"


def test_a_letter_for_a_member_who_never_paid_says_so(cast, client):
    import io

    from docx import Document

    from doanso.dues import services as dues
    from doanso.dues.months import month_of

    m = cast.m_b111_1
    dues.ledger_start_set(actor=cast.users["b111"], unit=cast.b111, month=month_of(TODAY))
    m.admitted_on = month_of(TODAY)
    m.save(update_fields=["admitted_on"])
    case = services.transfer_open(actor=cast.users["c11"], member=m, to_unit=None, destination="Đoàn TN tại Lào")
    case = services.case_act(actor=cast.users["c11"], case=case, action="release", data={"remarks": "Tốt"})
    assert case.data["dues_paid_to"] == "" and case.data["dues_unpaid"] == [f"{month_of(TODAY):%m/%Y}"]
    client.force_login(cast.users["c11"])
    body = client.get(reverse("case_document", args=[case.pk, "docx"])).content
    text = "\n".join(p.text for p in Document(io.BytesIO(body)).paragraphs)
    assert "Chưa đóng đoàn phí." in text and "đến tháng" not in text

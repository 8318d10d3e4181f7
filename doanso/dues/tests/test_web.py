"""Dues pages and API: happy paths, and the sibling commune that must see and change nothing."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from doanso.dues import services
from doanso.dues.models import DuesEntry, DuesMonth, Forwarding
from doanso.dues.months import month_add, month_of

pytestmark = pytest.mark.django_db
THIS = month_of(date.today())
LAST = month_add(THIS, -1)


def test_branch_month_page_records_the_ticked_members(cast, client):
    client.force_login(cast.users["b111"])
    url = reverse("dues_month") + f"?unit={cast.b111.pk}&month={LAST:%Y-%m}"
    page = client.get(url).content.decode()
    assert cast.m_b111_0.full_name in page and cast.m_b112_0.full_name not in page
    assert page.count('name="pay"') == 3 and "checked" in page
    response = client.post(url, {"pay": [cast.m_b111_0.pk, cast.m_b111_1.pk], f"amount_{cast.m_b111_0.pk}": "2000"})
    assert response.status_code == 302
    assert set(DuesMonth.objects.filter(month=LAST).values_list("member_id", flat=True)) == {
        cast.m_b111_0.pk,
        cast.m_b111_1.pk,
    }
    page = client.get(url).content.decode()
    assert "Đã đóng" in page and page.count('name="pay"') == 1
    # Bad input: a negative amount — a Vietnamese message and nothing recorded.
    response = client.post(url, {"pay": [cast.m_b111_2.pk], f"amount_{cast.m_b111_2.pk}": "-5"}, follow=True)
    assert "Số tiền: phải lớn hơn 0" in response.content.decode()
    assert DuesEntry.objects.count() == 2
    # A commune opens the dues page on itself: it gets the arrears of its subtree.
    client.force_login(cast.users["c11"])
    assert client.get(reverse("dues_month")).url.startswith(reverse("dues_arrears"))


def test_sibling_commune_cannot_see_or_record_a_branch(cast, client):
    client.force_login(cast.users["c12"])
    url = reverse("dues_month") + f"?unit={cast.b111.pk}"
    assert client.get(url).status_code == 404
    assert client.post(url, {"pay": [cast.m_b111_0.pk]}).status_code == 404
    assert client.get(reverse("dues_member", args=[cast.m_b111_0.pk])).status_code == 404
    assert client.get(reverse("dues_arrears") + f"?unit={cast.c11.pk}").status_code == 404
    assert client.post(reverse("dues_forwarding") + f"?unit={cast.b111.pk}&period={LAST:%Y-%m}").status_code == 404
    assert client.post(reverse("dues_ledger_start"), {"unit": cast.c11.pk, "month": "01/2025"}).status_code == 404
    assert not DuesEntry.objects.exists() and not Forwarding.objects.exists()


def test_member_page_pays_corrects_and_sets_the_category(cast, client):
    m = cast.m_b111_0
    client.force_login(cast.users["b111"])
    url = reverse("dues_member", args=[m.pk])
    assert client.post(url, {"action": "pay", "month": LAST.strftime("%m/%Y")}).status_code == 302
    entry = DuesEntry.objects.get(member=m)
    page = client.get(url).content.decode()
    assert f"entry-{entry.pk}" in page and "Điều chỉnh" in page
    response = client.post(url, {"action": "correct", "entry": entry.pk, "reason": "Thu nhầm", "amount": "3000"})
    assert response.status_code == 302
    assert DuesEntry.objects.filter(member=m).count() == 3
    assert DuesMonth.objects.get(member=m, month=LAST).amount == 3000
    client.post(url, {"action": "category", "category": "salaried"})
    assert "Hưởng lương" in client.get(url).content.decode()
    # Another branch's entry cannot be corrected from this member's page.
    (other,) = services.dues_record(actor=cast.users["c11"], unit=cast.b112, month=LAST, members=[cast.m_b112_0])
    assert client.post(url, {"action": "correct", "entry": other.pk, "reason": "x"}).status_code == 404
    assert not DuesEntry.objects.filter(reverses=other).exists()


def test_arrears_and_forwarding_pages(cast, client):
    services.ledger_start_set(actor=cast.users["c11"], unit=cast.c11, month=LAST)
    services.dues_record(
        actor=cast.users["b111"], unit=cast.b111, month=LAST, members=[cast.m_b111_0], paid_on=LAST + timedelta(days=3)
    )
    client.force_login(cast.users["c11"])
    page = client.get(reverse("dues_arrears") + f"?unit={cast.c11.pk}").content.decode()
    assert cast.b112.name in page and cast.m_b111_1.full_name in page
    assert 'id="owing">6<' in page  # five owe two months, the payer owes this month
    client.force_login(cast.users["b111"])
    url = reverse("dues_forwarding") + f"?unit={cast.b111.pk}&period={LAST:%Y-%m}"
    assert "2.000đ" in client.get(url).content.decode()
    assert client.post(url, {"note": "Nộp tiền mặt"}).status_code == 302
    record = Forwarding.objects.get(unit=cast.b111)
    assert (record.collected, record.forwarded, record.parent) == (2000, 666, cast.c11)
    client.force_login(cast.users["c11"])
    page = client.get(reverse("dues_forwarding") + f"?unit={cast.c11.pk}&period={LAST:%Y-%m}").content.decode()
    assert cast.b111.name in page and "666đ" in page
    response = client.post(reverse("dues_ledger_start"), {"unit": cast.c11.pk, "month": "13/2025"}, follow=True)
    assert "mm/yyyy" in response.content.decode()


def test_a_subtree_too_large_for_a_live_count_points_to_its_units_and_the_export(cast, client, monkeypatch):
    from doanso.dues import selectors

    monkeypatch.setattr(selectors, "LIVE_MAX", 10)  # the province has 12 current members in the cast
    services.ledger_start_set(actor=cast.users["p1"], unit=cast.p1, month=LAST)
    client.force_login(cast.users["p1"])
    page = client.get(reverse("dues_arrears") + f"?unit={cast.p1.pk}").content.decode()
    assert 'id="too-large"' in page and "12 đoàn viên" in page
    assert cast.c11.name in page and "… /6" in page  # each commune with its member count, linked
    assert cast.m_b111_1.full_name not in page  # no member rows
    assert 'name="export" value="dues_arrears"' in page
    body = client.get(reverse("api_dues_arrears") + f"?unit={cast.p1.pk}").json()
    assert body["too_large"] is True and body["totals"]["members"] == 12 and body["rows"] == []
    # A commune below the limit is counted live.
    page = client.get(reverse("dues_arrears") + f"?unit={cast.c11.pk}").content.decode()
    assert 'id="too-large"' not in page and 'id="owing">' in page


def test_member_book_shows_own_dues(cast, client):
    services.dues_record(actor=cast.users["b111"], unit=cast.b111, month=LAST, members=[cast.m_b111_0, cast.m_b111_1])
    client.force_login(cast.users["member_b111"])
    page = client.get(reverse("member_book")).content.decode()
    assert 'id="dues"' in page and LAST.strftime("%m/%Y") in page
    assert client.get(reverse("dues_member", args=[cast.m_b111_0.pk])).status_code == 403


# ---------------------------------------------------------------- API


def test_api_ledger_payments_correct_arrears(cast, client):
    client.force_login(cast.users["b111"])
    body = {
        "unit": cast.b111.pk,
        "month": f"{LAST:%Y-%m}",
        "payments": [{"member": cast.m_b111_0.pk}, {"member": cast.m_b111_1.pk, "amount": 5000}],
    }
    response = client.post(reverse("api_dues_payments"), body, content_type="application/json")
    assert response.status_code == 201 and [e["amount"] for e in response.json()] == [2000, 5000]
    again = client.post(reverse("api_dues_payments"), body, content_type="application/json")
    assert again.status_code == 400 and "đã đóng đoàn phí" in str(again.json()["errors"]["members"])
    ahead = dict(body, month=f"{month_add(THIS, 4):%Y-%m}")
    response = client.post(reverse("api_dues_payments"), ahead, content_type="application/json")
    assert response.status_code == 400 and "trước tối đa" in response.json()["errors"]["month"][0]
    outside = dict(body, payments=[{"member": cast.m_b121_0.pk}])
    assert client.post(reverse("api_dues_payments"), outside, content_type="application/json").status_code == 400
    assert DuesEntry.objects.count() == 2
    rows = client.get(reverse("api_dues_ledger"), {"unit": cast.b111.pk, "month": f"{LAST:%Y-%m}"}).json()["rows"]
    assert sorted(r["paid"] for r in rows) == [False, True, True]
    entry = DuesEntry.objects.get(member=cast.m_b111_1)
    response = client.post(
        reverse("api_dues_correct", args=[entry.pk]), {"reason": "Nhầm số tiền", "amount": 2000}, "application/json"
    )
    assert response.status_code == 201 and response.json()["reversal"]["amount"] == -5000
    assert response.json()["replacement"]["amount"] == 2000
    arrears = client.get(reverse("api_dues_arrears"), {"unit": cast.b111.pk}).json()
    assert arrears["totals"]["members"] == 3 and arrears["totals"]["owing"] == 3
    ledger = client.get(reverse("api_dues_member", args=[cast.m_b111_1.pk])).json()
    assert [e["kind"] for e in ledger["entries"]] == ["payment", "reversal", "payment"]


def test_api_forwardings(cast, client):
    services.dues_record(
        actor=cast.users["b111"], unit=cast.b111, month=LAST, members=[cast.m_b111_0], paid_on=LAST + timedelta(days=1)
    )
    client.force_login(cast.users["b111"])
    body = {"unit": cast.b111.pk, "period_start": f"{LAST:%Y-%m}"}
    response = client.post(reverse("api_dues_forwardings"), body, content_type="application/json")
    assert response.status_code == 201 and response.json()["forwarded"] == 666
    assert client.post(reverse("api_dues_forwardings"), body, content_type="application/json").status_code == 400
    client.force_login(cast.users["c11"])
    data = client.get(reverse("api_dues_forwardings"), {"unit": cast.c11.pk}).json()
    assert [r["unit"]["id"] for r in data["received"]] == [cast.b111.pk]


def test_api_sibling_commune_sees_and_changes_nothing(cast, client):
    (entry,) = services.dues_record(actor=cast.users["b111"], unit=cast.b111, month=LAST, members=[cast.m_b111_0])
    client.force_login(cast.users["c12"])
    assert client.get(reverse("api_dues_ledger"), {"unit": cast.b111.pk}).status_code == 404
    assert client.get(reverse("api_dues_arrears"), {"unit": cast.c11.pk}).status_code == 404
    assert client.get(reverse("api_dues_member", args=[cast.m_b111_0.pk])).status_code == 404
    assert client.get(reverse("api_dues_forwardings"), {"unit": cast.c11.pk}).status_code == 404
    body = {"unit": cast.b111.pk, "month": f"{THIS:%Y-%m}", "payments": [{"member": cast.m_b111_1.pk}]}
    assert client.post(reverse("api_dues_payments"), body, content_type="application/json").status_code == 404
    mine = {"unit": cast.b121.pk, "month": f"{THIS:%Y-%m}", "payments": [{"member": cast.m_b111_1.pk}]}
    assert client.post(reverse("api_dues_payments"), mine, content_type="application/json").status_code == 400
    response = client.post(reverse("api_dues_correct", args=[entry.pk]), {"reason": "x"}, "application/json")
    assert response.status_code == 404
    body = {"unit": cast.b111.pk, "period_start": f"{LAST:%Y-%m}"}
    assert client.post(reverse("api_dues_forwardings"), body, content_type="application/json").status_code == 404
    assert DuesEntry.objects.count() == 1 and not Forwarding.objects.exists()


def test_api_member_sees_only_self(cast, client):
    services.dues_record(actor=cast.users["b111"], unit=cast.b111, month=LAST, members=[cast.m_b111_0, cast.m_b111_1])
    client.force_login(cast.users["member_b111"])
    data = client.get(reverse("api_dues_me")).json()
    assert data["member"] == cast.m_b111_0.pk and len(data["entries"]) == 1
    assert client.get(reverse("api_dues_member", args=[cast.m_b111_1.pk])).status_code == 403
    assert client.get(reverse("api_dues_ledger"), {"unit": cast.b111.pk}).status_code == 403
    client.force_login(cast.users["c11"])
    assert client.get(reverse("api_dues_me")).status_code == 404


def test_schema_lists_the_dues_endpoints(cast, client):
    client.force_login(cast.users["c11"])
    schema = client.get(reverse("api_schema")).content.decode()
    for path in ("/api/dues/ledger/", "/api/dues/payments/", "/api/dues/arrears/", "/api/dues/forwardings/"):
        assert path in schema

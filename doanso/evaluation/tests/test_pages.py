"""Every evaluation page: the happy path, and from a sibling subtree (404/403, nothing changed)."""

import pytest
from django.urls import reverse

from doanso.evaluation import services
from doanso.evaluation.choices import RoundState, Stage
from doanso.evaluation.models import Evaluation, EvaluationRound, GradeCorrection

from .helpers import branch_members, open_round, propose_all, year

pytestmark = pytest.mark.django_db


def test_round_list_and_open(cast, login):
    client = login(cast.users["c11"])
    page = client.get(reverse("evaluation_rounds"))
    assert page.status_code == 200 and "Mở đợt đánh giá" in page.content.decode()
    resp = client.post(reverse("evaluation_rounds"), {"unit": cast.c11.pk, "year": year()})
    rnd = EvaluationRound.objects.get(unit=cast.c11)
    assert resp.status_code == 302 and resp["Location"] == reverse("evaluation_round", args=[rnd.pk])
    assert "Năm" in client.get(reverse("evaluation_rounds")).content.decode()


def test_open_from_a_sibling_is_refused(cast, login):
    client = login(cast.users["c21"])
    resp = client.post(reverse("evaluation_rounds"), {"unit": cast.c11.pk, "year": year()})
    assert resp.status_code == 404 and not EvaluationRound.objects.exists()


def test_round_detail_and_sibling(cast, login):
    rnd = open_round(cast)
    page = login(cast.users["c11"]).get(reverse("evaluation_round", args=[rnd.pk]))
    assert page.status_code == 200 and cast.b111.name in page.content.decode()
    assert login(cast.users["c12"]).get(reverse("evaluation_round", args=[rnd.pk])).status_code == 404
    assert login(cast.users["p2"]).get(reverse("evaluation_round", args=[rnd.pk])).status_code == 404
    # a branch sees its grassroots unit's round, and only its own sheet
    page = login(cast.users["b111"]).get(reverse("evaluation_round", args=[rnd.pk]))
    assert page.status_code == 200 and cast.b112.name not in page.content.decode()


def test_sheet_shows_inputs_and_saves_the_whole_branch(cast, login):
    rnd = open_round(cast)
    client = login(cast.users["b111"])
    url = reverse("evaluation_sheet", args=[rnd.pk, cast.b111.pk])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "Sinh hoạt: chưa ghi nhận" in html and "Rèn luyện" in html
    members = branch_members(cast.b111)
    data = {f"grade_{m.pk}": "good" for m in members}
    data[f"grade_{members[0].pk}"] = "excellent"  # fails the conditions, no justification
    resp = client.post(url, data)
    assert resp.status_code == 400 and "giải trình" in resp.content.decode()
    assert not Evaluation.objects.exists()
    data[f"just_{members[0].pk}"] = "Chi đoàn thống nhất: gương mẫu, đạt giải cấp tỉnh."
    resp = client.post(url, data)
    assert resp.status_code == 302
    assert Evaluation.objects.filter(stage=Stage.PROPOSED).count() == 3
    follow = client.get(url).content.decode()
    assert "vượt quá" in follow  # 1 HTXS for 2 HTT is above 20%: a visible warning


def test_sheet_from_a_sibling_is_404_and_changes_nothing(cast, login):
    rnd = open_round(cast)
    url = reverse("evaluation_sheet", args=[rnd.pk, cast.b111.pk])
    m = branch_members(cast.b111)[0]
    for user in ("c12", "c21", "p2"):
        assert login(cast.users[user]).post(url, {f"grade_{m.pk}": "good"}).status_code == 404
    # a branch cannot open its sibling branch's sheet either
    other = reverse("evaluation_sheet", args=[rnd.pk, cast.b112.pk])
    assert login(cast.users["b111"]).get(other).status_code == 404
    assert not Evaluation.objects.exists()


def test_approve_pages(cast, login):
    rnd = open_round(cast)
    client = login(cast.users["c11"])
    url = reverse("evaluation_approve", args=[rnd.pk])
    resp = client.post(url, {"version": rnd.version}, follow=True)
    assert "còn 6 đoàn viên chưa được chi đoàn đề xuất" in resp.content.decode()
    propose_all(cast, rnd, cast.b111)
    propose_all(cast, rnd, cast.b112)
    rnd.refresh_from_db()
    assert login(cast.users["c12"]).post(url, {"version": rnd.version}).status_code == 404
    assert login(cast.users["b111"]).post(url, {"version": rnd.version}, follow=True).status_code == 200
    assert not Evaluation.objects.filter(stage=Stage.APPROVED).exists()  # the branch cannot approve
    client = login(cast.users["c11"])
    resp = client.post(url, {"version": rnd.version}, follow=True)
    assert "Đợt đánh giá đã khóa" in resp.content.decode()
    rnd.refresh_from_db()
    assert rnd.state == RoundState.LOCKED and Evaluation.objects.filter(stage=Stage.APPROVED).count() == 6


def test_grade_shows_on_record_and_book_and_correction(cast, login):
    rnd = open_round(cast)
    propose_all(cast, rnd, cast.b111)
    propose_all(cast, rnd, cast.b112)
    services.round_approve(actor=cast.users["c11"], rnd=rnd)
    member = cast.members["member_b111"]
    ev = Evaluation.objects.get(member=member)
    record = login(cast.users["c11"]).get(reverse("member_detail", args=[member.pk])).content.decode()
    assert "Hoàn thành tốt nhiệm vụ" in record and reverse("evaluation_correct", args=[ev.pk]) in record
    book = login(cast.users["member_b111"]).get(reverse("member_book")).content.decode()
    assert "Hoàn thành tốt nhiệm vụ" in book
    url = reverse("evaluation_correct", args=[ev.pk])
    assert login(cast.users["c21"]).post(url, {"grade": "done", "reason": "Nhầm lẫn khi tổng hợp"}).status_code == 404
    assert login(cast.users["b111"]).get(url).status_code == 404
    assert not GradeCorrection.objects.exists()
    client = login(cast.users["c11"])
    assert client.post(url, {"grade": "done", "reason": ""}).status_code == 400
    resp = client.post(url, {"grade": "done", "reason": "Nhầm lẫn khi tổng hợp", "version": ev.version})
    assert resp.status_code == 302
    ev.refresh_from_db()
    assert ev.grade == "done" and GradeCorrection.objects.get().old_grade == "good"


def test_member_self_assesses_from_the_book(cast, login):
    open_round(cast)
    client = login(cast.users["member_b111"])
    book = client.get(reverse("member_book")).content.decode()
    assert 'id="self-assess"' in book
    resp = client.post(reverse("evaluation_self_assess"), {"grade": "good", "text": "Tích cực tham gia."}, follow=True)
    assert "Đã gửi bản tự đánh giá" in resp.content.decode()
    assert Evaluation.objects.get(member=cast.members["member_b111"]).self_grade == "good"
    # an official cannot post a self-assessment
    assert (
        login(cast.users["c11"]).post(reverse("evaluation_self_assess"), {"grade": "good", "text": "x"}).status_code
        == 404
    )


def test_results_page_counts_and_sibling(cast, login):
    rnd = open_round(cast)
    propose_all(cast, rnd, cast.b111)
    propose_all(cast, rnd, cast.b112, "done")
    services.round_approve(actor=cast.users["c11"], rnd=rnd)
    page = login(cast.users["p1"]).get(reverse("evaluation_results"), {"unit": cast.p1.pk, "year": year()})
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and cast.c11.name in html and cast.c12.name in html
    assert 'id="grand-total">6<' in html
    assert login(cast.users["p2"]).get(reverse("evaluation_results"), {"unit": cast.p1.pk}).status_code == 404
    assert login(cast.users["c12"]).get(reverse("evaluation_results"), {"unit": cast.c11.pk}).status_code == 404

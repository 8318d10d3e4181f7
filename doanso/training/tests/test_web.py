"""Pages and API of the self-improvement programme: happy paths and the sibling subtree (404/403, nothing changed)."""

import pytest
from django.urls import reverse

from doanso.training import services
from doanso.training.models import Programme, Registration, Reminder

from .conftest import AREAS, targets_for

pytestmark = pytest.mark.django_db


def test_province_publishes_a_programme_in_the_browser(cast, login, year):
    client = login(cast.users["p1"])
    assert client.get(reverse("training_programme_create")).status_code == 200
    data = {"year": year, "title": "Rèn luyện An Giang", "publish": "1"}
    for i, a in enumerate(AREAS, start=1):
        data.update({f"area_{i}_{k}": v for k, v in a.items()})
    response = client.post(reverse("training_programme_create"), data)
    p = Programme.objects.get()
    assert response.status_code == 302 and p.is_published and p.areas.count() == 3
    assert "Rèn luyện An Giang" in client.get(reverse("training_programme", args=[p.pk])).content.decode()
    # a commune cannot publish: an error, nothing created
    client = login(cast.users["c11"])
    response = client.post(reverse("training_programme_create"), {**data, "year": year + 1})
    assert response.status_code == 200 and "cấp tỉnh" in response.content.decode()
    assert Programme.objects.count() == 1
    # another province does not see it
    assert login(cast.users["p2"]).get(reverse("training_programme", args=[p.pk])).status_code == 404


def test_member_registers_on_the_phone_page_and_sees_it_in_the_book(cast, login, central_programme, year):
    client = login(cast.users["member_b111"])
    book = client.get(reverse("member_book")).content.decode()
    assert "Đăng ký chỉ tiêu rèn luyện" in book
    page = client.get(reverse("training_mine"))
    assert page.status_code == 200 and "Tình nguyện" in page.content.decode()
    area = central_programme.areas.first()
    response = client.post(reverse("training_mine"), {"year": year, f"target_{area.pk}": "Đọc 8 cuốn sách"})
    assert response.status_code == 302
    r = Registration.objects.get(member=cast.members["member_b111"])
    assert r.targets.get().text == "Đọc 8 cuốn sách"
    assert "Đã đăng ký" in client.get(reverse("member_book")).content.decode()
    # officials use the branch pages, not this one
    assert login(cast.users["c12"]).get(reverse("training_mine")).status_code == 404


def test_branch_status_remind_accept_and_bulk_results(cast, login, central_programme, year):
    b, c = cast.m_b111_1, cast.m_b111_2
    services.registration_create(actor=cast.users["b111"], member=b, year=year, targets=targets_for(central_programme))
    client = login(cast.users["b111"])
    page = client.get(reverse("training_branch") + f"?unit={cast.b111.pk}&year={year}").content.decode()
    assert "1</b> đã đăng ký" in page and "2</b> chưa đăng ký" in page
    client.post(reverse("training_remind"), {"unit": cast.b111.pk, "year": year, "member": c.pk})
    assert list(Reminder.objects.values_list("member_id", flat=True)) == [c.pk]
    client.post(reverse("training_accept"), {"unit": cast.b111.pk, "year": year, "member": b.pk})
    assert Registration.objects.get(member=b).state == "in_progress"
    assert client.get(reverse("training_results") + f"?unit={cast.b111.pk}&year={year}").status_code == 200
    response = client.post(
        reverse("training_results"),
        {"unit": cast.b111.pk, "year": year, f"level_{b.pk}": "excellent", f"note_{b.pk}": "Tốt"},
    )
    assert response.status_code == 302
    assert Registration.objects.get(member=b).result == "excellent"


def test_branch_pages_from_a_sibling_commune_are_404_and_change_nothing(cast, login, central_programme, year):
    b = cast.m_b111_1
    services.registration_create(actor=cast.users["b111"], member=b, year=year, targets=targets_for(central_programme))
    client = login(cast.users["c12"])
    assert client.get(reverse("training_branch") + f"?unit={cast.b111.pk}").status_code == 404
    assert client.get(reverse("training_results") + f"?unit={cast.b111.pk}").status_code == 404
    assert client.post(reverse("training_remind"), {"unit": cast.b111.pk, "year": year}).status_code == 404
    assert (
        client.post(
            reverse("training_results"), {"unit": cast.b111.pk, "year": year, f"level_{b.pk}": "good"}
        ).status_code
        == 404
    )
    assert not Reminder.objects.exists() and Registration.objects.get(member=b).result == ""


def test_api_programme_registration_branch_results_and_remind(cast, client, central_programme, year):
    me = cast.members["member_b111"]
    client.force_login(cast.users["member_b111"])
    body = client.get(f"/api/training/programme/?year={year}").json()
    assert body["id"] == central_programme.pk and len(body["areas"]) == 3
    area = body["areas"][0]["id"]
    response = client.post(
        "/api/training/me/", {"year": year, "targets": {str(area): "Học tiếng Anh"}}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["state"] == "registered"
    again = client.post(
        "/api/training/me/",
        {"year": year, "targets": {str(area): "Khác"}, "version": 99},
        content_type="application/json",
    )
    assert again.status_code == 400 and "errors" in again.json()
    assert client.get(f"/api/training/me/?year={year}").json()["registration"]["targets"] == {
        str(area): "Học tiếng Anh"
    }
    assert client.get(f"/api/training/branch/?unit={cast.b111.pk}").status_code == 403
    client.force_login(cast.users["b111"])
    status = client.get(f"/api/training/branch/?unit={cast.b111.pk}&year={year}").json()
    assert status["registered"] == 1 and status["not_registered"] == 2
    response = client.post(
        "/api/training/results/",
        {"unit": cast.b111.pk, "year": year, "results": {str(me.pk): "nope"}},
        content_type="application/json",
    )
    assert response.status_code == 400 and "results" in response.json()["errors"]
    response = client.post(
        "/api/training/results/",
        {"unit": cast.b111.pk, "year": year, "results": {str(me.pk): "excellent"}},
        content_type="application/json",
    )
    assert response.json() == {"changed": 1, "unchanged": 0}
    response = client.post(
        "/api/training/remind/", {"unit": cast.b111.pk, "year": year}, content_type="application/json"
    )
    assert response.json() == {"reminded": 2}


def test_api_sibling_commune_gets_404_and_nothing_changes(cast, client, central_programme, year):
    me = cast.members["member_b111"]
    services.registration_create(actor=cast.users["b111"], member=me, year=year, targets=targets_for(central_programme))
    client.force_login(cast.users["c12"])
    assert client.get(f"/api/training/branch/?unit={cast.b111.pk}").status_code == 404
    assert client.get(f"/api/training/programme/?unit={cast.b111.pk}").status_code == 404
    response = client.post(
        "/api/training/results/",
        {"unit": cast.b111.pk, "year": year, "results": {str(me.pk): "good"}},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert (
        client.post(
            "/api/training/remind/", {"unit": cast.b111.pk, "year": year}, content_type="application/json"
        ).status_code
        == 404
    )
    # a commune cannot publish through the API either
    response = client.post(
        "/api/training/programmes/", {"year": year, "title": "X", "areas": AREAS}, content_type="application/json"
    )
    assert response.status_code == 400
    assert Registration.objects.get(member=me).result == "" and not Reminder.objects.exists()
    assert Programme.objects.count() == 1
    client.force_login(cast.users["p1"])
    response = client.post(
        "/api/training/programmes/", {"year": year, "title": "An Giang", "areas": AREAS, "publish": True},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201 and response.json()["state"] == "published"

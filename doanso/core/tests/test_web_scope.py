"""Scope through the web: by URL, by id in a form, by a form posted twice. Nothing changes on refusal."""

from datetime import date

import pytest
from django.urls import reverse

from conftest import make_cccd
from doanso.accounts.models import User
from doanso.core.models import AuditEvent
from doanso.members.models import Member
from doanso.organisations.models import Unit

pytestmark = pytest.mark.django_db

TODAY = date.today().strftime("%d/%m/%Y")


def snapshot():
    return (
        list(Unit.objects.order_by("pk").values_list("pk", "path", "name", "closed_on")),
        list(Member.objects.order_by("pk").values_list("pk", "unit_id", "full_name", "status")),
        User.objects.count(),
        AuditEvent.objects.count(),
    )


def member_post(citizen_id: str, **extra) -> dict:
    data = {
        "full_name": "Lâm Thị Hồng Nhung", "date_of_birth": "14/08/2005", "sex": "F", "ethnicity": "01",
        "religion": "00", "citizen_id": citizen_id, "admitted_on": "26/03/2022", "position": "member",
    }  # fmt: skip
    data.update(extra)
    return data


def test_parent_and_sibling_pages_are_not_found(cast, client):
    client.force_login(cast.users["c11"])
    for unit in (cast.p1, cast.c12, cast.b121, cast.tw):
        assert client.get(reverse("unit_detail", args=[unit.pk])).status_code == 404
        assert client.get(reverse("member_list") + f"?unit={unit.pk}").status_code == 404
        assert client.get(reverse("member_export", args=["csv"]) + f"?unit={unit.pk}").status_code == 404
        assert client.get(reverse("account_list") + f"?unit={unit.pk}").status_code == 404
    assert client.get(reverse("account_detail", args=[cast.users["p1"].pk])).status_code == 404
    assert client.get(reverse("member_detail", args=[cast.m_b121_0.pk])).status_code == 404


def test_sibling_posts_change_nothing(cast, client):
    client.force_login(cast.users["c12"])
    before = snapshot()
    b111 = cast.b111
    posts = [
        (reverse("unit_edit", args=[b111.pk]), {"name": "Bị đổi tên"}),
        (reverse("unit_move", args=[b111.pk]), {"new_parent": cast.c12.pk, "effective_on": TODAY}),
        (reverse("unit_merge", args=[b111.pk]), {"survivor": cast.b121.pk, "effective_on": TODAY}),
        (reverse("unit_close", args=[b111.pk]), {"effective_on": TODAY}),
        (reverse("unit_create", args=[cast.c11.pk]), {"code": "X1", "name": "Chi đoàn lạ", "kind": "branch"}),
        (reverse("member_create") + f"?unit={b111.pk}", member_post(make_cccd(date(2005, 8, 14), "F"))),
        (reverse("member_edit", args=[cast.m_b111_1.pk]), member_post(cast.m_b111_1.citizen_id)),
        (
            reverse("member_status", args=[cast.m_b111_1.pk]),
            {"status": "deceased", "effective_on": TODAY, "reason": "x"},
        ),
        (reverse("account_create") + f"?unit={b111.pk}", {"username": "lạ", "role": 1, "password": "Matkhau@123"}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code in (403, 404), url
    assert snapshot() == before


def test_out_of_scope_id_in_a_form_is_refused(cast, client):
    """A commune moves its own branch but names a sibling commune as the new parent."""
    client.force_login(cast.users["c11"])
    before = snapshot()
    response = client.post(
        reverse("unit_move", args=[cast.b111.pk]), {"new_parent": cast.c12.pk, "effective_on": TODAY}
    )
    assert response.status_code == 200
    assert "ngoài phạm vi quản lý" in response.content.decode()
    response = client.post(
        reverse("unit_merge", args=[cast.b111.pk]), {"survivor": cast.b121.pk, "effective_on": TODAY}
    )
    assert "ngoài phạm vi quản lý" in response.content.decode()
    assert snapshot() == before


def test_member_form_posted_twice_creates_one_record(cast, client):
    client.force_login(cast.users["c11"])
    data = member_post(make_cccd(date(2005, 8, 14), "F"))
    url = reverse("member_create") + f"?unit={cast.b111.pk}"
    first = client.post(url, data)
    assert first.status_code == 302
    second = client.post(url, data)
    assert second.status_code == 200
    assert "đã có hồ sơ đoàn viên" in second.content.decode()
    assert Member.objects.filter(citizen_id=data["citizen_id"]).count() == 1


def test_member_form_shows_vietnamese_errors_per_field(cast, client):
    client.force_login(cast.users["c11"])
    before = snapshot()
    url = reverse("member_create") + f"?unit={cast.b111.pk}"
    response = client.post(url, member_post("12345", date_of_birth="31/02/2005", phone="12345"))
    body = response.content.decode()
    assert "Ngày sinh: ngày không hợp lệ" in body
    response = client.post(url, member_post("12345", admitted_on="26/03/2010"))
    body = response.content.decode()
    assert "Số CCCD phải gồm đúng 12 chữ số" in body
    response = client.post(url, member_post(make_cccd(date(2005, 8, 14), "F"), admitted_on="26/03/2015"))
    assert "ngoài độ tuổi kết nạp" in response.content.decode()
    assert snapshot() == before


def test_stale_member_edit_is_refused(cast, client):
    client.force_login(cast.users["c11"])
    m = cast.m_b111_1
    url = reverse("member_edit", args=[m.pk])
    data = member_post(
        m.citizen_id, full_name=m.full_name, sex=m.sex, date_of_birth=m.date_of_birth.strftime("%d/%m/%Y")
    )
    data["admitted_on"] = m.admitted_on.strftime("%d/%m/%Y")
    data["version"] = m.version
    assert client.post(url, {**data, "occupation": "Kỹ sư"}).status_code == 302
    response = client.post(url, {**data, "occupation": "Nông dân"})  # the same old form, posted again
    assert "vừa được người khác cập nhật" in response.content.decode()
    m.refresh_from_db()
    assert m.occupation == "Kỹ sư"


def test_member_list_page_query_count(cast, client, django_assert_max_num_queries):
    client.force_login(cast.users["p1"])
    with django_assert_max_num_queries(10):
        response = client.get(reverse("member_list") + f"?unit={cast.p1.pk}")
    assert response.status_code == 200
    assert response.content.decode().count('class="person"') == 12


def test_member_account_sees_only_own_book(cast, client):
    client.force_login(cast.users["member_b111"])
    response = client.get(reverse("member_book"))
    assert cast.member_b111.full_name in response.content.decode()
    assert client.get(reverse("member_detail", args=[cast.member_b111.pk])).status_code == 404
    assert client.get(reverse("member_list")).status_code == 403
    assert client.get(reverse("unit_detail", args=[cast.b111.pk])).status_code == 403
    assert client.get(reverse("account_list")).status_code == 403


def _export(client, unit, fmt: str, **filters) -> bytes:
    """The list's export runs in the background (doanso.jobs): start it, run the queue, download."""
    from doanso.jobs.models import Job
    from doanso.jobs.tasks import run_queued

    params = "&".join(f"{k}={v}" for k, v in filters.items())
    response = client.post(
        reverse("job_export_start"), {"export": "members", "unit": unit.pk, "format": fmt, "params": params}
    )
    assert response.status_code == 302
    run_queued()
    job = Job.objects.latest("pk")
    return b"".join(client.get(reverse("job_download", args=[job.pk])).streaming_content)


def test_export_is_scoped_and_neutralises_formulas(cast, client, settings, tmp_path):
    from doanso.members.services import member_update

    settings.JOBS_ROOT = tmp_path
    m = cast.m_b111_1
    member_update(actor=cast.users["c11"], member=m, data={"card_number": '=HYPERLINK("x")'})
    client.force_login(cast.users["c11"])
    body = _export(client, cast.c11, "csv").decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert len(lines) == 1 + 6  # header + the commune's six members
    assert "'=HYPERLINK" in body
    assert cast.m_b121_0.full_name not in body
    assert AuditEvent.objects.filter(action="export", target_id=cast.c11.pk).exists()


def test_xlsx_export_opens(cast, client, settings, tmp_path):
    import io

    from openpyxl import load_workbook

    settings.JOBS_ROOT = tmp_path
    client.force_login(cast.users["p1"])
    wb = load_workbook(io.BytesIO(_export(client, cast.p1, "xlsx", sex="F")))
    rows = list(wb.active.iter_rows(values_only=True))[4:]  # title, unit, date, blank, then the header
    assert rows[0][1] == "Họ và tên"
    assert len(rows) - 1 == Member.objects.filter(scope1=cast.p1.pk, sex="F").count()

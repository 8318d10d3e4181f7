"""Pages and API: start an export, watch it, download it; other people's jobs and other subtrees are 404."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from doanso.jobs import services, tasks
from doanso.jobs.models import Job, JobState

pytestmark = pytest.mark.django_db


def start(client, **data):
    return client.post(reverse("job_export_start"), data)


def test_export_button_starts_a_job_and_the_page_follows_it(cast, client):
    client.force_login(cast.users["c11"])
    page = client.get(reverse("member_list") + f"?unit={cast.c11.pk}&sex=F")
    html = page.content.decode()
    assert 'name="export" value="members"' in html and 'value="pdf"' in html
    response = start(client, export="members", unit=cast.c11.pk, params="sex=F&page=2", format="xlsx")
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("job_detail", args=[job.pk])
    assert job.params == {"format": "xlsx", "unit": cast.c11.pk, "sex": "F"}
    queued = client.get(reverse("job_progress", args=[job.pk])).content.decode()
    assert "Đang chờ" in queued and 'hx-trigger="every 1s"' in queued
    tasks.run_queued()
    done = client.get(reverse("job_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in done  # polling stops
    assert reverse("job_download", args=[job.pk]) in done
    file = client.get(reverse("job_download", args=[job.pk]))
    assert file.status_code == 200 and "attachment" in file["Content-Disposition"]
    wb = load_workbook(io.BytesIO(b"".join(file.streaming_content)))
    assert len(list(wb.active.iter_rows(values_only=True))) == 5 + 3  # heading + header, three women in C11
    listing = client.get(reverse("job_list")).content.decode()
    assert "Công việc của tôi" in listing and job.label in listing


def test_htmx_start_returns_the_progress_bar_in_place(cast, client):
    client.force_login(cast.users["c11"])
    response = client.post(
        reverse("job_export_start"), {"export": "members", "unit": cast.c11.pk, "format": "csv", "q": "nguyen"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert response.status_code == 200
    assert "<progress" in response.content.decode()
    assert Job.objects.get().params["q"] == "nguyen"  # the filter form's current value (hx-include)


def test_bad_format_shows_a_vietnamese_error_and_creates_nothing(cast, client):
    client.force_login(cast.users["c11"])
    response = client.post(
        reverse("job_export_start"), {"export": "members", "unit": cast.c11.pk, "format": "exe"}, HTTP_HX_REQUEST="true"
    )
    assert "Định dạng không hợp lệ" in response.content.decode()
    assert Job.objects.count() == 0


def test_sibling_cannot_start_an_export_of_another_subtree(cast, client):
    client.force_login(cast.users["c12"])
    assert start(client, export="members", unit=cast.c11.pk, format="csv").status_code == 404
    assert start(client, export="members", unit=cast.p1.pk, format="csv").status_code == 404
    client.force_login(cast.users["c11_clerk"])  # no member.export
    assert start(client, export="members", unit=cast.c11.pk, format="csv").status_code == 403
    assert Job.objects.count() == 0
    assert "export-buttons" not in client.get(reverse("member_list")).content.decode()


def test_other_peoples_jobs_are_not_found(cast, client, run_now):
    job = run_now(cast.users["c11"], "export.members", format="csv")
    for user in ("c12", "p1", "c11_deputy"):
        client.force_login(cast.users[user])
        for name in ("job_detail", "job_progress", "job_download"):
            assert client.get(reverse(name, args=[job.pk])).status_code == 404, (user, name)
        assert job.label not in client.get(reverse("job_list")).content.decode()


def test_old_export_link_offers_the_background_export(cast, client):
    client.force_login(cast.users["c11"])
    response = client.get(reverse("member_export", args=["xlsx"]) + f"?unit={cast.c11.pk}&sex=F")
    assert response.status_code == 200
    assert 'name="params" value="sex=F"' in response.content.decode()
    assert Job.objects.count() == 0  # a GET starts nothing
    client.force_login(cast.users["c12"])
    assert client.get(reverse("member_export", args=["xlsx"]) + f"?unit={cast.c11.pk}").status_code == 404


def test_nav_links_to_my_jobs(cast, client):
    client.force_login(cast.users["b111"])
    assert reverse("job_list") in client.get(reverse("member_list")).content.decode()


# ---------------------------------------------------------------- API


def test_api_start_status_list_download(cast, client):
    client.force_login(cast.users["c11"])
    response = client.post(
        reverse("api_jobs"), {"kind": "export.members", "params": {"unit": cast.c11.pk, "format": "csv"}},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "queued" and body["download_url"] is None
    tasks.run_queued()
    status = client.get(reverse("api_job", args=[body["id"]])).json()
    assert status["state"] == "done" and status["percent"] == 100 and status["row_count"] == 6
    assert [j["id"] for j in client.get(reverse("api_jobs")).json()] == [body["id"]]
    file = client.get(status["download_url"])
    assert file.status_code == 200
    assert b"".join(file.streaming_content).startswith(b"\xef\xbb\xbf")
    kinds = {k["kind"] for k in client.get(reverse("api_job_exports")).json()}
    assert {"export.members", "export.evaluation_summary", "export.grades"} <= kinds


def test_api_refuses_bad_input_and_other_subtrees(cast, client, run_now):
    client.force_login(cast.users["c12"])
    post = lambda data: client.post(reverse("api_jobs"), data, content_type="application/json")  # noqa: E731
    assert post({"kind": "export.members", "params": {"unit": cast.c11.pk, "format": "csv"}}).status_code == 404
    bad = post({"kind": "export.members", "params": {"format": "doc"}})
    assert bad.status_code == 400 and "format" in bad.json()["errors"]
    assert post({"kind": "export.members", "params": "x"}).status_code == 400
    assert Job.objects.count() == 0
    theirs = run_now(cast.users["c11"], "export.members", format="csv")
    assert client.get(reverse("api_job", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("api_job_download", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("api_jobs")).json() == []
    client.force_login(cast.users["c11_clerk"])
    assert post({"kind": "export.members", "params": {"format": "csv"}}).status_code == 403


def test_api_needs_login(client):
    assert client.get(reverse("api_jobs")).status_code in (401, 403)


def test_schema_lists_the_job_endpoints(cast, client):
    client.force_login(cast.users["c11"])
    schema = client.get(reverse("api_schema")).content.decode()
    for path in ("/api/jobs/", "/api/jobs/{id}/", "/api/jobs/{id}/download/", "/api/jobs/exports/"):
        assert path in schema


def test_failed_job_shows_its_message(cast, client):
    job = services.job_start(actor=cast.users["c11"], kind="export.members", params={"format": "csv"})
    Job.objects.filter(pk=job.pk).update(state=JobState.FAILED, error="Tệp PDF chỉ in được tối đa 5 dòng")
    client.force_login(cast.users["c11"])
    assert "tối đa 5 dòng" in client.get(reverse("job_detail", args=[job.pk])).content.decode()


@pytest.mark.parametrize(
    ("url", "codes"),
    [
        ("evaluation_results", ["evaluation_summary", "grades"]),
        ("dues_arrears", ["dues_arrears"]),
        ("referral_list", ["party_referrals"]),
    ],
)
def test_each_report_page_offers_its_export_with_the_page_year(cast, client, url, codes):
    client.force_login(cast.users["c11"])
    html = client.get(reverse(url) + f"?unit={cast.c11.pk}&year=2025").content.decode()
    for code in codes:
        assert f'name="export" value="{code}"' in html
    if url != "dues_arrears":
        assert 'name="params" value="year=2025' in html
    # The clerk's role holds no export permission: no list export buttons for it.
    client.force_login(cast.users["c11_clerk"])
    html = client.get(reverse(url) + f"?unit={cast.c11.pk}&year=2025").content.decode()
    assert 'name="export" value="grades"' not in html and 'name="export" value="dues_arrears"' not in html

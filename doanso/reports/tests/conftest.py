"""Report files go under a temporary JOBS_ROOT; jobs run here, as a worker would."""

import pytest


@pytest.fixture(autouse=True)
def jobs_root(settings, tmp_path):
    settings.JOBS_ROOT = tmp_path / "jobs"
    settings.JOBS_BACKEND = "database"
    return settings.JOBS_ROOT


@pytest.fixture
def run_now(django_capture_on_commit_callbacks):
    from doanso.jobs import services

    def _run(actor, kind, **params):
        with django_capture_on_commit_callbacks(execute=False):
            job = services.job_start(actor=actor, kind=kind, params=params)
        services.job_run(job_id=job.pk)
        job.refresh_from_db()
        return job

    return _run

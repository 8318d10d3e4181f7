"""Jobs write their files under a temporary JOBS_ROOT; the queue is never needed (jobs run here)."""

import pytest


@pytest.fixture(autouse=True)
def jobs_root(settings, tmp_path):
    settings.JOBS_ROOT = tmp_path / "jobs"
    settings.JOBS_BACKEND = "database"
    return settings.JOBS_ROOT


@pytest.fixture
def run_now(settings, django_capture_on_commit_callbacks):
    """Start a job and run it at once, as a worker would after the commit."""
    from doanso.jobs import services

    def _run(actor, kind, **params):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            job = services.job_start(actor=actor, kind=kind, params=params)
        assert len(callbacks) == 1  # queued after commit, exactly once
        services.job_run(job_id=job.pk)
        job.refresh_from_db()
        return job

    return _run

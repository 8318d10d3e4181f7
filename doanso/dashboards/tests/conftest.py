import pytest


@pytest.fixture
def run_now(settings, tmp_path, django_capture_on_commit_callbacks):
    """Start an export job and run it at once, as a worker would after the commit."""
    from doanso.jobs import services

    settings.JOBS_ROOT = tmp_path / "jobs"
    settings.JOBS_BACKEND = "database"

    def _run(actor, kind, **params):
        with django_capture_on_commit_callbacks(execute=False):
            job = services.job_start(actor=actor, kind=kind, params=params)
        services.job_run(job_id=job.pk)
        job.refresh_from_db()
        return job

    return _run

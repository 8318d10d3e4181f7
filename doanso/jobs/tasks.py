"""The task queue side: put a job on django-q2's queue, and the function its workers run.

`settings.JOBS_BACKEND` chooses: "database" (django-q2's ORM broker: the queue is a table, the
worker is `manage.py qcluster`), "redis" (REDIS_URL; workers on any number of machines), or
"sync" (the job runs at once, in the process that started it).
"""

from __future__ import annotations

from django.conf import settings


def run_job(job_id: int) -> str:
    """What a worker runs. The Job row carries the state; the queue only carries the id."""
    from .services import job_run

    job = job_run(job_id=job_id)
    return job.state if job is not None else "skipped"


def enqueue(job_id: int) -> None:
    if settings.JOBS_BACKEND == "sync":
        run_job(job_id)
        return
    from django_q.tasks import async_task

    async_task("doanso.jobs.tasks.run_job", job_id, task_name=f"job-{job_id}", group="jobs")


def run_queued(limit: int | None = None) -> int:
    """Run the jobs still queued, here and now (tests, and a worker-less fallback). Returns how many ran."""
    from .models import Job, JobState
    from .services import job_run

    ids = list(Job.objects.filter(state=JobState.QUEUED).order_by("pk").values_list("pk", flat=True)[:limit])
    for pk in ids:
        job_run(job_id=pk)
    return len(ids)

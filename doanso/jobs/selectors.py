"""Reads of background jobs: a person sees only the jobs they started, and downloads only their files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db.models import QuerySet

from doanso.core import scope

from .models import Job, JobState
from .registry import export_for_kind
from .services import jobs_root


def job_list(*, actor: Any, limit: int = 50) -> QuerySet[Job]:
    """The actor's own jobs, newest first (nobody else's, whatever their role)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return Job.objects.none()
    return Job.objects.filter(owner=actor).select_related("unit")[:limit]


def job_get(*, actor: Any, pk: int) -> Job:
    """One of the actor's own jobs; Job.DoesNotExist (a 404) for anybody else's."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Job.DoesNotExist
    return Job.objects.select_related("unit").get(pk=pk, owner=actor)


def job_file(*, actor: Any, pk: int) -> tuple[Path, str]:
    """(path, download name) of the actor's finished job. The export's permission is checked again."""
    job = job_get(actor=actor, pk=pk)
    if job.state != JobState.DONE or not job.result_path:
        raise Job.DoesNotExist
    spec = export_for_kind(job.kind)
    if spec is not None:
        scope.require(actor, spec.perm, job.unit)
    path = jobs_root() / job.result_path
    if not path.is_file():
        raise Job.DoesNotExist
    return path, job.result_name


def jobs_running(*, actor: Any) -> int:
    return Job.objects.filter(owner=actor, state__in=[JobState.QUEUED, JobState.RUNNING]).count()

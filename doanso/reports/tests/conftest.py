"""Report files go under a temporary JOBS_ROOT (`jobs_root`, `run_now`: the root conftest)."""

import pytest


@pytest.fixture(autouse=True)
def _files_in_tmp(jobs_root):
    return jobs_root

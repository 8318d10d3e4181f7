"""Every test here writes its job files under a temporary JOBS_ROOT (the fixtures are in the root conftest)."""

import pytest


@pytest.fixture(autouse=True)
def _files_in_tmp(jobs_root):
    return jobs_root

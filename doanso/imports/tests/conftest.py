"""Uploads and job files of the browser/API import go to a temporary directory in every test here."""

import pytest


@pytest.fixture(autouse=True)
def import_dirs(settings, tmp_path):
    settings.IMPORT_ROOT = tmp_path / "imports"
    settings.JOBS_ROOT = tmp_path / "jobs"
    settings.JOBS_BACKEND = "database"
    return settings.IMPORT_ROOT

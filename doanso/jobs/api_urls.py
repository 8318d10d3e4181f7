from django.urls import path

from . import api

urlpatterns = [
    path("jobs/", api.jobs, name="api_jobs"),
    path("jobs/exports/", api.export_kinds, name="api_job_exports"),
    path("jobs/<int:pk>/", api.job_detail, name="api_job"),
    path("jobs/<int:pk>/download/", api.job_download, name="api_job_download"),
]

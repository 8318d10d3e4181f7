from django.urls import path

from . import api

urlpatterns = [
    path("reports/periodic/", api.periodic, name="api_report_periodic"),
]

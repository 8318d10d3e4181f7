from django.urls import path

from . import api

urlpatterns = [
    path("training/programme/", api.programme, name="api_training_programme"),
    path("training/programmes/", api.programme_create, name="api_training_programme_create"),
    path("training/programmes/<int:pk>/publish/", api.programme_publish, name="api_training_programme_publish"),
    path("training/me/", api.my_registration, name="api_training_me"),
    path("training/branch/", api.branch_status, name="api_training_branch"),
    path("training/results/", api.results_confirm, name="api_training_results"),
    path("training/remind/", api.remind, name="api_training_remind"),
]

from django.urls import path

from . import api

urlpatterns = [
    path("evaluation/rounds/", api.rounds, name="api_evaluation_rounds"),
    path("evaluation/rounds/<int:pk>/", api.round_detail, name="api_evaluation_round"),
    path("evaluation/rounds/<int:pk>/branches/<int:branch_pk>/", api.sheet, name="api_evaluation_sheet"),
    path("evaluation/rounds/<int:pk>/approve/", api.approve, name="api_evaluation_approve"),
    path("evaluation/grades/<int:pk>/correct/", api.correct, name="api_evaluation_correct"),
    path("evaluation/self/", api.self_assessment, name="api_evaluation_self"),
    path("evaluation/counts/", api.counts, name="api_evaluation_counts"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("", views.round_list, name="evaluation_rounds"),
    path("ket-qua/", views.results, name="evaluation_results"),
    path("tu-danh-gia/", views.self_assess, name="evaluation_self_assess"),
    path("<int:pk>/", views.round_detail, name="evaluation_round"),
    path("<int:pk>/phe-duyet/", views.round_approve, name="evaluation_approve"),
    path("<int:pk>/chi-doan/<int:branch_pk>/", views.sheet, name="evaluation_sheet"),
    path("xep-loai/<int:pk>/dinh-chinh/", views.grade_correct, name="evaluation_correct"),
]

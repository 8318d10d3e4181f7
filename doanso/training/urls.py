from django.urls import path

from . import views

urlpatterns = [
    path("", views.programme_list, name="training_programmes"),
    path("chuong-trinh/moi/", views.programme_create, name="training_programme_create"),
    path("chuong-trinh/<int:pk>/", views.programme_detail, name="training_programme"),
    path("chi-doan/", views.branch_status, name="training_branch"),
    path("chi-doan/nhac/", views.remind, name="training_remind"),
    path("chi-doan/ghi-nhan/", views.accept, name="training_accept"),
    path("ket-qua/", views.results, name="training_results"),
    path("cua-toi/", views.my_programme, name="training_mine"),
]

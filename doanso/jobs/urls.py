from django.urls import path

from . import views

urlpatterns = [
    path("", views.job_list, name="job_list"),
    path("xuat/", views.export_start, name="job_export_start"),
    path("<int:pk>/", views.job_detail, name="job_detail"),
    path("<int:pk>/tien-do/", views.job_progress, name="job_progress"),
    path("<int:pk>/tai-ve/", views.job_download, name="job_download"),
]

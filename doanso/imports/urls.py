from django.urls import path

from . import views

urlpatterns = [
    path("", views.import_start, name="import_start"),
    path("mau/<str:kind>.xlsx", views.import_template, name="import_template"),
    path("<int:pk>/", views.import_detail, name="import_detail"),
    path("<int:pk>/xac-nhan/", views.import_confirm, name="import_confirm"),
    path("<int:pk>/chon-trang/", views.import_sheet, name="import_sheet"),
    path("<int:pk>/dong-loi.xlsx", views.import_errors, name="import_errors"),
]

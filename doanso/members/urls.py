from django.urls import path

from . import views

urlpatterns = [
    path("", views.member_list, name="member_list"),
    path("them/", views.member_create, name="member_create"),
    path("xuat.<str:fmt>", views.member_export, name="member_export"),
    path("so-doan-vien/", views.member_book, name="member_book"),
    path("<int:pk>/", views.member_detail, name="member_detail"),
    path("<int:pk>/sua/", views.member_edit, name="member_edit"),
    path("<int:pk>/trang-thai/", views.member_status, name="member_status"),
    path("<int:pk>/tai-khoan/", views.member_account, name="member_account"),
]

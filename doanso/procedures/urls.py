from django.urls import path

from . import referral_views, views

urlpatterns = [
    path("", views.inbox, name="case_inbox"),
    path("hang-loat/", views.bulk_act, name="case_bulk_act"),
    path("thanh-nien/", views.youth_list, name="youth_list"),
    path("thanh-nien/them/", views.youth_register, name="youth_register"),
    path("ket-nap/mo/", views.admission_open, name="admission_open"),
    path("chuyen/", views.transfer_open, name="transfer_open"),
    path("chuyen/don-vi-den/", views.receiving_unit_search, name="receiving_unit_search"),
    path("sinh-hoat/", views.activity_month, name="activity_month"),
    path("mo/<slug:slug>/", views.member_case_open, name="member_case_open"),
    path("danh-du/", views.honorary_nominate, name="honorary_nominate"),
    path("uu-tu/", referral_views.referral_list, name="referral_list"),
    path("uu-tu/de-nghi/", referral_views.referral_open, name="referral_open"),
    path("gioi-thieu/<slug:slug>/", views.attachment_open, name="attachment_open"),
    path("doan-vien/<int:pk>/khen-thuong/", views.reward_create, name="reward_create"),
    path("doan-vien/<int:pk>/ky-luat/", views.discipline_propose, name="discipline_propose"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/van-ban.<str:fmt>", views.case_document, name="case_document"),
    path("<int:pk>/<str:action>/", views.case_act, name="case_act"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("", views.dues_month, name="dues_month"),
    path("no/", views.dues_arrears, name="dues_arrears"),
    path("bat-dau/", views.dues_ledger_start, name="dues_ledger_start"),
    path("doan-vien/<int:pk>/", views.dues_member, name="dues_member"),
    path("nop-cap-tren/", views.dues_forwarding, name="dues_forwarding"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("dinh-ky/", views.periodic, name="report_periodic"),
]

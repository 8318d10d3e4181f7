from django.urls import path

from doanso.organisations.views import wards_for_province

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("dia-ban/xa/", wards_for_province, name="wards_for_province"),
    path("quy-dinh/", views.rule_sets, name="rule_sets"),
]

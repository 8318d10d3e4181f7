from django.urls import include, path

urlpatterns = [
    path("", include("doanso.core.urls")),
    path("", include("doanso.accounts.urls")),
    path("don-vi/", include("doanso.organisations.urls")),
    path("doan-vien/", include("doanso.members.urls")),
    path("nghiep-vu/", include("doanso.procedures.urls")),
    path("api/", include("config.api_urls")),
]

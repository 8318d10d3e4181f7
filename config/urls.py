from django.urls import include, path

urlpatterns = [
    path("", include("doanso.core.urls")),
    path("", include("doanso.accounts.urls")),
    path("don-vi/", include("doanso.organisations.urls")),
    path("doan-vien/", include("doanso.members.urls")),
    path("nghiep-vu/", include("doanso.procedures.urls")),
    path("ren-luyen/", include("doanso.training.urls")),
    path("cong-viec/", include("doanso.jobs.urls")),
    path("doan-phi/", include("doanso.dues.urls")),
    path("danh-gia/", include("doanso.evaluation.urls")),
    path("tong-quan/", include("doanso.dashboards.urls")),
    path("bao-cao/", include("doanso.reports.urls")),
    path("nhap-du-lieu/", include("doanso.imports.urls")),
    path("api/", include("config.api_urls")),
]

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("tai-khoan/", views.account_list, name="account_list"),
    path("tai-khoan/them/", views.account_create, name="account_create"),
    path("tai-khoan/<int:pk>/", views.account_detail, name="account_detail"),
    path("tai-khoan/<int:pk>/mat-khau/", views.account_password, name="account_password"),
]

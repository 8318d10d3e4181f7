from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "doanso.accounts"
    label = "accounts"
    verbose_name = "Tài khoản"

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "doanso.core"
    label = "core"
    verbose_name = "Lõi hệ thống"

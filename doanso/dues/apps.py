from django.apps import AppConfig


class DuesConfig(AppConfig):
    name = "doanso.dues"
    label = "dues"
    verbose_name = "Đoàn phí"

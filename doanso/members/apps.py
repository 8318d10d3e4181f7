from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "doanso.members"
    label = "members"
    verbose_name = "Đoàn viên"

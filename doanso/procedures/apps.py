from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "doanso.procedures"
    label = "procedures"
    verbose_name = "Nghiệp vụ công tác đoàn viên"

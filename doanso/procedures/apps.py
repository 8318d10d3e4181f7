from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "doanso.procedures"
    label = "procedures"
    verbose_name = "Nghiệp vụ công tác đoàn viên"

    def ready(self) -> None:
        from . import referral  # noqa: F401 - registers the Party-referral hooks on the case mechanism

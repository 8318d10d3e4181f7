from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "doanso.jobs"
    label = "jobs"
    verbose_name = "Công việc nền"

    def ready(self) -> None:
        # The registered exports (they import the other apps' selectors lazily, inside their callables).
        from . import exports  # noqa: F401

from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "doanso.imports"
    label = "imports"
    verbose_name = "Nhập dữ liệu"

    def ready(self) -> None:
        # The background tasks of the browser/API import ("import.check", "import.confirm").
        from . import services  # noqa: F401

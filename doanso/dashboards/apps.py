from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "doanso.dashboards"
    verbose_name = "Tổng quan"

from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "doanso.organisations"
    label = "organisations"
    verbose_name = "Cây tổ chức"

from django.urls import path

from . import api

urlpatterns = [
    path("imports/", api.imports, name="api_imports"),
    path("imports/<int:pk>/", api.import_detail, name="api_import"),
    path("imports/<int:pk>/confirm/", api.import_confirm, name="api_import_confirm"),
    path("imports/<int:pk>/errors.xlsx", api.import_errors, name="api_import_errors"),
]

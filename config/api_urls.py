from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from doanso.accounts import api as accounts
from doanso.dashboards import api as dashboards
from doanso.members import api as members
from doanso.organisations import api as units

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("auth/token/", accounts.token_obtain, name="api_token"),
    path("auth/logout/", accounts.token_logout, name="api_logout"),
    path("me/", accounts.me, name="api_me"),
    path("accounts/", accounts.accounts, name="api_accounts"),
    path("accounts/<int:pk>/", accounts.account_detail, name="api_account"),
    path("accounts/<int:pk>/password/", accounts.account_password, name="api_account_password"),
    path("roles/", accounts.roles, name="api_roles"),
    path("units/", units.units, name="api_units"),
    path("units/search/", units.unit_search, name="api_unit_search"),
    path("units/<int:pk>/", units.unit_detail, name="api_unit"),
    path("units/<int:pk>/children/", units.unit_children, name="api_unit_children"),
    path("units/<int:pk>/breadcrumbs/", units.unit_breadcrumbs, name="api_unit_breadcrumbs"),
    path("units/<int:pk>/history/", units.unit_history, name="api_unit_history"),
    path("units/<int:pk>/move/", units.unit_move, name="api_unit_move"),
    path("units/<int:pk>/merge/", units.unit_merge, name="api_unit_merge"),
    path("units/<int:pk>/split/", units.unit_split, name="api_unit_split"),
    path("units/<int:pk>/close/", units.unit_close, name="api_unit_close"),
    path("units/<int:pk>/reopen/", units.unit_reopen, name="api_unit_reopen"),
    path("unit-changes/<int:pk>/revert/", units.change_revert, name="api_change_revert"),
    path("members/", members.members, name="api_members"),
    path("members/<int:pk>/", members.member_detail, name="api_member"),
    path("members/<int:pk>/status/", members.member_status, name="api_member_status"),
    path("members/<int:pk>/history/", members.member_history_view, name="api_member_history"),
    path("members/<int:pk>/account/", members.member_account, name="api_member_account"),
    path("", include("doanso.procedures.api_urls")),
    path("", include("doanso.training.api_urls")),
    path("", include("doanso.jobs.api_urls")),
    path("", include("doanso.dues.api_urls")),
    path("", include("doanso.evaluation.api_urls")),
    path("", include("doanso.imports.api_urls")),
    path("dashboard/", dashboards.dashboard, name="api_dashboard"),
    path("", include("doanso.reports.api_urls")),
]

from django.urls import path

from . import api

urlpatterns = [
    path("cases/", api.case_list, name="api_case_list"),
    path("cases/open/", api.case_open, name="api_case_open"),
    path("cases/bulk/", api.case_bulk, name="api_case_bulk"),
    path("cases/<int:pk>/", api.case_detail, name="api_case_detail"),
    path("cases/<int:pk>/act/", api.case_act, name="api_case_act"),
    path("cases/<int:pk>/document.<str:fmt>", api.case_document, name="api_case_document"),
    path("youths/", api.youths, name="api_youths"),
    path("inbox/", api.inbox, name="api_inbox"),
    path("party-referrals/", api.party_referrals, name="api_party_referrals"),
    path("receiving-units/", api.receiving_units, name="api_receiving_units"),
]

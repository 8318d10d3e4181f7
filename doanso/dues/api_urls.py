from django.urls import path

from . import api

urlpatterns = [
    path("dues/ledger/", api.ledger, name="api_dues_ledger"),
    path("dues/payments/", api.payments, name="api_dues_payments"),
    path("dues/payments/<int:pk>/correct/", api.payment_correct, name="api_dues_correct"),
    path("dues/arrears/", api.arrears, name="api_dues_arrears"),
    path("dues/forwardings/", api.forwardings, name="api_dues_forwardings"),
    path("dues/members/<int:pk>/", api.member_ledger, name="api_dues_member"),
    path("dues/me/", api.me, name="api_dues_me"),
]

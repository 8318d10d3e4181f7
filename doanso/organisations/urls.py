from django.urls import path

from . import views

urlpatterns = [
    path("", views.tree, name="unit_tree"),
    path("tim/", views.unit_search, name="unit_search"),
    path("chon/", views.unit_pick, name="unit_pick"),
    path("<int:pk>/", views.unit_detail, name="unit_detail"),
    path("<int:pk>/con/", views.unit_children, name="unit_children"),
    path("<int:pk>/them/", views.unit_create, name="unit_create"),
    path("<int:pk>/sua/", views.unit_edit, name="unit_edit"),
    path("<int:pk>/chuyen/", views.unit_move, name="unit_move"),
    path("<int:pk>/hop-nhat/", views.unit_merge, name="unit_merge"),
    path("<int:pk>/chia-tach/", views.unit_split, name="unit_split"),
    path("<int:pk>/giai-the/", views.unit_close, name="unit_close"),
    path("<int:pk>/khoi-phuc/", views.unit_reopen, name="unit_reopen"),
    path("<int:pk>/lich-su/", views.unit_history, name="unit_history"),
    path("thay-doi/<int:pk>/huy/", views.change_revert, name="unit_change_revert"),
]

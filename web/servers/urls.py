"""The Servers page, under /servers/ (pbxadmin/urls.py includes it)."""

from django.urls import path

from web.servers import views

urlpatterns = [
    path("", views.server_index, name="server_index"),
    path("add/", views.server_add, name="server_add"),
    path("states/", views.server_states_json, name="server_states"),
    path("<int:server_id>/", views.server_edit, name="server_edit"),
    path("<int:server_id>/delete/", views.server_remove, name="server_remove"),
    path("<int:server_id>/default/", views.server_make_default, name="server_make_default"),
]

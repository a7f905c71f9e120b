"""The Connectivity pages, under /connectivity/ (pbxadmin/urls.py includes them)."""

from django.urls import path

from web.connectivity import views

urlpatterns = [
    path("trunks/", views.trunk_index, name="trunk_index"),
    path("trunks/add/", views.trunk_add, name="trunk_add"),
    path("trunks/states/", views.trunk_states, name="trunk_states"),
    path("trunks/<int:trunk_id>/", views.trunk_edit, name="trunk_edit"),
    path("trunks/<int:trunk_id>/delete/", views.trunk_remove, name="trunk_remove"),
    path("trunks/<int:trunk_id>/preview/", views.trunk_config, name="trunk_config"),
    path("outbound/", views.outbound_index, name="outbound_index"),
    path("outbound/add/", views.outbound_add, name="outbound_add"),
    path("outbound/<int:outbound_id>/", views.outbound_edit, name="outbound_edit"),
    path("outbound/<int:outbound_id>/move/", views.outbound_move, name="outbound_move"),
    path("outbound/<int:outbound_id>/delete/", views.outbound_remove, name="outbound_remove"),
    path("outbound/<int:outbound_id>/preview/", views.outbound_config, name="outbound_config"),
    path("inbound/", views.inbound_index, name="inbound_index"),
    path("inbound/add/", views.inbound_add, name="inbound_add"),
    path("inbound/<int:inbound_id>/", views.inbound_edit, name="inbound_edit"),
    path("inbound/<int:inbound_id>/delete/", views.inbound_remove, name="inbound_remove"),
    path("inbound/<int:inbound_id>/preview/", views.inbound_config, name="inbound_config"),
]

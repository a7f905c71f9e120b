from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from web import api_tokens as api_pages
from web import people_views as people
from web import phone_status as asterisk
from web import views as portal
from web.audit import views as audit
from web.bulk import views as bulk
from web.devices import views as devices
from web.endpoints import views as endpoints
from web.users import views as users

urlpatterns = [
    path("", portal.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("settings/", portal.portal_settings, name="settings"),
    path("settings/sip/", endpoints.sip_settings, name="sip_settings"),
    path("sync/", portal.sync_now, name="sync_now"),
    path("sync/status/", portal.sync_status, name="sync_status"),
    path("config/", portal.config_diff, name="config_diff"),
    path("config/rewrite/", portal.config_rewrite, name="config_rewrite"),
    path("secret/new/", portal.new_secret, name="new_secret"),
    path("logins/", portal.login_lockouts, name="login_lockouts"),
    path("logins/clear/", portal.login_lockout_clear, name="login_lockout_clear"),
    path("people/", people.person_index, name="people"),
    path("people/<int:pk>/role/", people.person_role, name="person_role"),
    path("people/<int:pk>/active/", people.person_active, name="person_active"),
    path("extensions/", users.extension_index, name="extension_index"),
    path("extensions/add/", users.extension_add, name="extension_add"),
    path("extensions/<str:extension>/", users.extension_edit, name="extension_edit"),
    path("extensions/<str:extension>/delete/", users.extension_remove, name="extension_remove"),
    path("users/", users.user_index, name="user_index"),
    path("users/add/", users.user_add, name="user_add"),
    path("users/search/", users.user_search_json, name="user_search"),
    path("users/<str:extension>/", users.user_edit, name="user_edit"),
    path("users/<str:extension>/delete/", users.user_remove, name="user_remove"),
    path("users/<str:extension>/lockout/lift/", devices.user_lockout_lift, name="user_lockout_lift"),
    path("devices/", devices.device_index, name="device_index"),
    path("devices/add/", devices.device_add, name="device_add"),
    path("devices/<str:device_id>/", devices.device_edit, name="device_edit"),
    path("devices/<str:device_id>/delete/", devices.device_remove, name="device_remove"),
    path("devices/<str:device_id>/login/", devices.device_hotdesk_login, name="device_login"),
    path("devices/<str:device_id>/logout/", devices.device_hotdesk_logout, name="device_logout"),
    path("devices/<str:device_id>/lockout/lift/", devices.device_lockout_lift, name="device_lockout_lift"),
    path("devices/<str:device_id>/preview/", devices.device_preview, name="device_preview"),
    path("devices/<str:device_id>/secret/", devices.device_secret, name="device_secret"),
    path("connectivity/", include("web.connectivity.urls")),
    path("servers/", include("web.servers.urls")),
    path("bulk/", bulk.upload, name="bulk_upload"),
    path("bulk/export/", bulk.export, name="bulk_export"),
    path("bulk/<uuid:job_id>/", bulk.preview, name="bulk_preview"),
    path("bulk/<uuid:job_id>/start/", bulk.start, name="bulk_start"),
    path("bulk/<uuid:job_id>/progress/", bulk.progress, name="bulk_progress"),
    path("bulk/<uuid:job_id>/result/", bulk.result, name="bulk_result"),
    path("phone-status/", asterisk.phone_status, name="phone_status"),
    path("audit/", audit.entry_index, name="audit_index"),
    path("audit/export/", audit.entry_export, name="audit_export"),
    path("api/", include("api.urls")),
    path("api-tokens/", api_pages.token_index, name="api_tokens"),
    path("api-tokens/<int:token_id>/revoke/", api_pages.token_revoke_page, name="api_token_revoke"),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on their own (a feed reader, a bookmark): no 404.
    path(
        "favicon.ico",
        login_not_required(RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
        name="favicon",
    ),
]

"""/api/v1/… and the schema. Token-authenticated, so the portal's login redirect does not apply."""

import contextlib

from django.contrib.auth.decorators import login_not_required, login_required
from django.http import JsonResponse
from django.urls import Resolver404, path, re_path, resolve
from django.views.decorators.csrf import csrf_exempt

from api.views import audit, bulk, connectivity, directory, docs, servers
from api.views import status as phone

app_name = "api"


def _open(view):
    """The API answers 401 itself: no redirect to the login page."""
    return login_not_required(view.as_view())


@csrf_exempt  # a POST by a token-holding client, like the API's views (no session, no CSRF)
@login_not_required
def not_found(request):
    """Anything else under /api/ answers in JSON too (not the portal's HTML 404 page), and
    says so when only the closing slash is missing (no redirect: a POST would lose its body)."""
    detail = "Not found."
    with contextlib.suppress(Resolver404):
        if resolve(request.path_info + "/").url_name != "not_found":
            detail = f"Not found. API URLs end in '/': {request.path}/"
    return JsonResponse({"detail": detail}, status=404)


urlpatterns = [
    path("v1/extensions/", _open(directory.ExtensionList), name="extension_list"),
    path("v1/extensions/<str:extension>/", _open(directory.ExtensionDetail), name="extension_detail"),
    path("v1/users/", _open(directory.UserList), name="user_list"),
    path("v1/users/<str:extension>/", _open(directory.UserDetail), name="user_detail"),
    path("v1/devices/", _open(directory.DeviceList), name="device_list"),
    path("v1/devices/<str:device_id>/", _open(directory.DeviceDetail), name="device_detail"),
    path("v1/devices/<str:device_id>/login/", _open(directory.DeviceLogin), name="device_login"),
    path("v1/devices/<str:device_id>/logout/", _open(directory.DeviceLogout), name="device_logout"),
    path("v1/trunks/", _open(connectivity.TrunkList), name="trunk_list"),
    path("v1/trunks/<int:trunk_id>/", _open(connectivity.TrunkDetail), name="trunk_detail"),
    path("v1/outbound-routes/", _open(connectivity.OutboundRouteList), name="outbound_route_list"),
    path(
        "v1/outbound-routes/order/", _open(connectivity.OutboundRouteOrderView), name="outbound_route_order"
    ),
    path(
        "v1/outbound-routes/<int:outbound_id>/",
        _open(connectivity.OutboundRouteDetail),
        name="outbound_route_detail",
    ),
    path("v1/inbound-routes/", _open(connectivity.InboundRouteList), name="inbound_route_list"),
    path(
        "v1/inbound-routes/<int:inbound_id>/",
        _open(connectivity.InboundRouteDetail),
        name="inbound_route_detail",
    ),
    path("v1/servers/", _open(servers.ServerList), name="server_list"),
    path("v1/servers/<int:server_id>/", _open(servers.ServerDetail), name="server_detail"),
    path("v1/phone-status/", _open(phone.PhoneStatusList), name="phone_status_list"),
    path("v1/phone-status/<str:device_id>/", _open(phone.PhoneStatusDetail), name="phone_status_detail"),
    path("v1/sync/", _open(phone.SyncStatusView), name="sync"),
    path("v1/imports/", _open(bulk.ImportList), name="import_list"),
    path("v1/imports/<uuid:job_id>/", _open(bulk.ImportDetail), name="import_detail"),
    path("v1/imports/<uuid:job_id>/confirm/", _open(bulk.ImportConfirmView), name="import_confirm"),
    path("v1/exports/<str:kind>/", _open(bulk.Export), name="export"),
    path("v1/audit/", _open(audit.AuditList), name="audit_list"),
    path("schema/", _open(docs.Schema), name="schema"),
    # A portal page: without a session, the login page (DRF views skip the login middleware).
    path("docs/", login_required(docs.Docs.as_view()), name="docs"),
    re_path(r"^", not_found, name="not_found"),
]

"""Devices in the Django admin: read-only (edit them on the portal pages), settings without secrets."""

from django.contrib import admin
from django.utils.html import format_html_join

from directory.devices.models import Device
from directory.secrets import SECRET_SETTING_KEYS
from web.admin.read_only import ReadOnlyAdmin


@admin.register(Device)
class DeviceAdmin(ReadOnlyAdmin):
    list_display = ("id", "tech", "dial", "devicetype", "user", "default_user", "description")
    list_filter = ("tech", "devicetype")
    list_select_related = ("user", "default_user")
    search_fields = ("id", "description", "dial")
    fields = readonly_fields = (
        "id",
        "tech",
        "dial",
        "devicetype",
        "user",
        "default_user",
        "description",
        "emergency_cid",
        "endpoint_settings",
        "created_at",
        "updated_at",
        "edit_in_portal",
    )
    portal_url = "device_edit"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("endpoint")

    @admin.display(description="endpoint settings")
    def endpoint_settings(self, obj: Device) -> str:
        settings = obj.endpoint.settings if hasattr(obj, "endpoint") else {}
        shown = [(k, v) for k, v in settings.items() if k not in SECRET_SETTING_KEYS]
        return format_html_join(", ", "{}={}", shown) or "-"

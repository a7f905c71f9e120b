"""PBX users in the Django admin: read-only (edit them on the portal pages), without the hot-desk PIN."""

from django.contrib import admin
from django.db.models import Prefetch

from directory.devices.models import ARRIVAL_ORDER, Device
from directory.secrets import USER_SECRET_FIELDS
from directory.users.models import PbxUser
from portal.mode import EXTENSIONS, pbx_mode
from web.admin.read_only import ReadOnlyAdmin


@admin.register(PbxUser)
class PbxUserAdmin(ReadOnlyAdmin):
    list_display = ("extension", "name", "current_devices", "voicemail", "ringtimer")
    search_fields = ("extension", "name")
    exclude = tuple(USER_SECRET_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        fields = [f.name for f in PbxUser._meta.concrete_fields if f.name not in USER_SECRET_FIELDS]
        return [*fields, "has_password", "edit_in_portal"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("devices", queryset=Device.objects.order_by(*ARRIVAL_ORDER).only("id", "user"))
            )
        )

    @property
    def portal_url(self) -> str:
        return "extension_edit" if pbx_mode() == EXTENSIONS else "user_edit"

    @admin.display(description="devices now")
    def current_devices(self, obj: PbxUser) -> str:
        return " & ".join(d.id for d in obj.devices.all()) or "none"

    @admin.display(description="hot-desk password", boolean=True)
    def has_password(self, obj: PbxUser) -> bool:
        return bool(obj.password)

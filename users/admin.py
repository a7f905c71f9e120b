"""Django admin for PBX users. Adding one creates a whole extension through the service."""

from django.contrib import admin
from django.db.models import Prefetch

from devices.models import ARRIVAL_ORDER, Device
from portal.admin_add import ServiceAddMixin
from portal.mode import EXTENSIONS, pbx_mode
from users.extensions import extension_create, extension_delete
from users.forms import ExtensionForm
from users.models import PbxUser
from users.services import user_delete, user_update


def _delete(user: PbxUser) -> None:
    if pbx_mode() == EXTENSIONS:
        extension_delete(user=user)
    else:
        user_delete(user=user)


@admin.register(PbxUser)
class PbxUserAdmin(ServiceAddMixin, admin.ModelAdmin):
    """Adding a user in the admin adds an extension: user, fixed device and endpoint."""

    add_form = ExtensionForm
    add_service = staticmethod(extension_create)
    add_title = "Add extension"
    list_display = ("extension", "name", "current_devices", "voicemail", "ringtimer")
    search_fields = ("extension", "name")
    readonly_fields = ("created_at", "updated_at")
    # The mailbox PIN is a secret: viewers may read this page. It is set on the Extensions/Users pages.
    exclude = ("vm_pin",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("devices", queryset=Device.objects.order_by(*ARRIVAL_ORDER).only("id", "user"))
            )
        )

    @admin.display(description="devices now")
    def current_devices(self, obj: PbxUser) -> str:
        return " & ".join(d.id for d in obj.devices.all()) or "none"

    def get_readonly_fields(self, request, obj=None):
        return ("extension", *self.readonly_fields) if obj else self.readonly_fields

    def add_sections(self, form):
        return [
            *super().add_sections(form),
            ("Voicemail", form.voicemail_fields),
            ("Advanced", form.advanced_fields),
        ]

    def add_done_message(self, user):
        return f"Extension {user.extension} ({user.name}) created."

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "extension"}
        user_update(user=obj, **changes)

    def delete_model(self, request, obj):
        _delete(obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            _delete(user)

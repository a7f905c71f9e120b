"""Django admin for PBX users. Adding one creates a whole extension through the service."""

from django.contrib import admin, messages
from django.db.models import Prefetch
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from devices.models import ARRIVAL_ORDER, Device, Tech
from pbxadmin.forms import submit
from pbxadmin.mode import EXTENSIONS, pbx_mode
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
class PbxUserAdmin(admin.ModelAdmin):
    list_display = ("extension", "name", "current_devices", "voicemail", "ringtimer")
    search_fields = ("extension", "name")
    readonly_fields = ("created_at", "updated_at")

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

    def add_view(self, request, form_url="", extra_context=None):
        """Adding a user in the admin adds an extension: user, fixed device and endpoint."""
        if not self.has_add_permission(request):
            return redirect("admin:index")
        tech = request.GET.get("tech", Tech.PJSIP)
        if tech not in Tech.values:
            tech = Tech.PJSIP
        form = ExtensionForm(request.POST or None, tech=tech)
        if request.method == "POST" and (user := submit(form, extension_create)):
            messages.success(request, f"Extension {user.extension} ({user.name}) created.")
            return redirect("admin:users_pbxuser_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Add extension",
            "form": form,
            "tech": tech,
            "techs": Tech.choices,
            "sections": [
                ("General", form.general_fields),
                ("Device options", form.device_fields),
                ("Advanced", form.advanced_fields),
            ],
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/pbx_form.html", context)

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "extension"}
        user_update(user=obj, **changes)

    def delete_model(self, request, obj):
        _delete(obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            _delete(user)

"""Django admin for devices and their endpoint settings, through the device services."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from devices.forms import DeviceForm
from devices.models import Device, Tech
from devices.services import device_create, device_delete, device_update
from endpoints.forms import settings_fields, settings_from
from endpoints.techs import clean_settings
from portal.admin_add import ServiceAddMixin
from portal.forms import add_service_errors


class DeviceChangeForm(forms.ModelForm):
    """The device's own fields plus its technology's endpoint settings."""

    class Meta:
        model = Device
        fields = ("description", "devicetype", "default_user", "emergency_cid", "dial")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        device = self.instance
        if device.tech != Tech.CUSTOM:
            self.fields["dial"].disabled = True
        for key, field in settings_fields(device.tech, for_update=True).items():
            if key != "secret":
                field.initial = device.endpoint.settings.get(key, field.initial)
            self.fields[key] = field

    def clean(self):
        data = super().clean()
        values = settings_from(data, self.instance.tech)
        if not values.get("secret"):
            values.pop("secret", None)
        try:
            clean_settings(self.instance.tech, values, base=self.instance.endpoint.settings)
        except ValidationError as e:
            add_service_errors(self, e)
        return data


@admin.register(Device)
class DeviceAdmin(ServiceAddMixin, admin.ModelAdmin):
    add_form = DeviceForm
    add_service = staticmethod(device_create)
    add_title = "Add device"
    form = DeviceChangeForm
    list_display = ("id", "tech", "dial", "devicetype", "user", "default_user", "description")
    list_filter = ("tech", "devicetype")
    list_select_related = ("user", "default_user")
    search_fields = ("id", "description", "dial")
    readonly_fields = ("id", "tech", "user", "created_at", "updated_at")

    def get_fields(self, request, obj=None):
        return [
            *self.readonly_fields[:3],
            *self.get_form(request, obj).base_fields,
            *self.readonly_fields[3:],
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # Settings fields depend on the device; ModelAdmin would drop them from `fields`.
        kwargs["fields"] = None
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            extra = DeviceChangeForm(instance=obj).fields
            form.base_fields = {
                **form.base_fields,
                **{k: v for k, v in extra.items() if k not in form.base_fields},
            }
        return form

    def add_done_message(self, device):
        return f"Device {device.id} created."

    def save_model(self, request, obj, form, change):
        settings = settings_from(form.cleaned_data, obj.tech)
        fields = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in DeviceChangeForm.Meta.fields
        }
        if obj.tech != Tech.CUSTOM:
            fields.pop("dial", None)
        device_update(device=obj, settings=settings, **fields)

    def delete_model(self, request, obj):
        device_delete(device=obj)

    def delete_queryset(self, request, queryset):
        for device in queryset:
            device_delete(device=device)

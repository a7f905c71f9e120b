"""The device form: its own fields and its technology's endpoint settings."""

from django import forms
from django.forms.models import fields_for_model

from directory.devices.models import Device, Tech
from directory.devices.services import device_version
from directory.techs import TECHS
from directory.validators import generate_secret
from web.endpoints.forms import settings_fields, settings_from
from web.forms import VersionedForm
from web.listing import ListFilters, tech_filter, type_filter
from web.servers.fields import SERVER_FIELD, add_server_field
from web.users.fields import UserChoiceField, UserSearchInput

DEVICE_FORM_FIELDS = ("id", "description", "devicetype", "default_user", "emergency_cid")


class DeviceForm(VersionedForm):
    def __init__(self, *args, tech: str, device: Device | None = None, **kwargs):
        self.tech = tech
        self.device = device
        initial = kwargs.pop("initial", None) or {}
        if device is not None:
            initial = {
                **{f: getattr(device, f) for f in DEVICE_FORM_FIELDS if f != "default_user"},
                "default_user": device.default_user_id,
                "dial": device.dial,
                **{k: v for k, v in device.endpoint.settings.items() if k != "secret"},
                **initial,
            }
        elif any(s.key == "secret" for s in TECHS[tech].SETTINGS):
            initial.setdefault("secret", generate_secret())
        super().__init__(*args, initial=initial, **kwargs)
        model_fields = fields_for_model(Device, fields=DEVICE_FORM_FIELDS)
        model_fields["default_user"] = UserChoiceField(
            required=False,
            label="Default user",
            help_text="The user this device belongs to; empty for none.",
        )
        if device is not None:
            model_fields["id"].disabled = True
        general = dict(model_fields)
        if tech == Tech.CUSTOM:
            general["dial"] = forms.CharField(label="Dial string")
        endpoint = settings_fields(tech, for_update=device is not None)
        general.update({k: f for k, f in endpoint.items() if f.general})
        self.fields = {**general, **{k: f for k, f in endpoint.items() if not f.general}}
        self.general_fields = list(general)
        self.device_fields = [k for k, f in endpoint.items() if not f.general]
        if add_server_field(
            self,
            current=device.server if device is not None else None,
            moves=False,
            blank="Its default user's server (none: the default server)",
        ):
            self.general_fields.insert(1, SERVER_FIELD)
        if device is not None:
            self.carry_version(device_version(device))

    def fresh(self, current):
        (device,) = current
        return DeviceForm(tech=self.tech, device=device)

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        kwargs = {f: data[f] for f in DEVICE_FORM_FIELDS if f in data and f != "id"}
        kwargs["settings"] = settings_from(data, self.tech)
        if self.tech == Tech.CUSTOM:
            kwargs["dial"] = data["dial"]
        if self.device is None:
            kwargs["id"] = data["id"]
            kwargs["tech"] = self.tech
        else:
            kwargs["expected_version"] = self.expected_version()
        return kwargs

    def sections(self):
        groups = [("General", self.general_fields), ("Device options", self.device_fields)]
        return [(title, [self[n] for n in names]) for title, names in groups if names]


class HotDeskForm(forms.Form):
    """Log a user into an adhoc device: the user is named by number (a 5,000-user list is no menu)."""

    extension = UserChoiceField(label="User extension", widget=UserSearchInput({"class": "form-control"}))


class DeviceFilters(ListFilters):
    by_server = True
    tech = tech_filter()
    devicetype = type_filter()

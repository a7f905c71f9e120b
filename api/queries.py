"""The list endpoints' query parameters: parsed (a bad one is a 400) and applied to the pages' selectors."""

from django.db.models import QuerySet
from rest_framework import serializers

from asterisk import boundary
from directory.devices.models import DeviceType, Tech
from directory.devices.selectors import SORTS as DEVICE_SORTS
from directory.folding import fold
from directory.servers.models import Server
from directory.servers.selectors import on_server
from directory.users.selectors import SORTS as USER_SORTS

STATES = boundary.PHONE_STATE_FILTERS


class ListQuery(serializers.Serializer):
    number = serializers.RegexField(
        r"^[0-9]+\Z", max_length=20, required=False, help_text="Numbers starting with these digits."
    )
    name = serializers.CharField(
        max_length=80,
        required=False,
        help_text="Names containing this (any case; accents ignored: muller finds Müller).",
    )
    state = serializers.ChoiceField(
        STATES, required=False, help_text="The phone's state; `down` is unregistered or unreachable."
    )
    include_secrets = serializers.BooleanField(
        required=False, help_text="Administrators only: include secrets and PINs in the answer."
    )
    server = serializers.CharField(
        max_length=32, required=False, help_text="Only those on this server (its name, see servers/)."
    )

    def validate_server(self, value: str) -> str:
        if not Server.objects.filter(name=value).exists():
            raise serializers.ValidationError(f"No server named {value}.")
        return value

    def __init__(self, *args, number_field: str = "extension", device_field: str = "extension", **kwargs):
        super().__init__(*args, **kwargs)
        self.number_field = number_field
        self.device_field = device_field

    def narrow(self, queryset: QuerySet) -> QuerySet:
        data = self.validated_data
        if data.get("number"):
            queryset = queryset.filter(**{f"{self.number_field}__startswith": data["number"]})
        if data.get("name"):
            queryset = queryset.filter(name_folded__contains=fold(data["name"]))
        queryset = on_server(queryset, data.get("server", ""))
        return boundary.with_phone_state(queryset, self.device_field, data.get("state", ""))

    def selector_kwargs(self) -> dict:
        """The list's selector's arguments, as the page's filters give them (`type` is its `devicetype`)."""
        data = self.validated_data
        return {"sort": data["sort"], "tech": data.get("tech", ""), "devicetype": data.get("type", "")}


class ExtensionQuery(ListQuery):
    tech = serializers.ChoiceField([*Tech.values, "none"], required=False, help_text="`none`: no device.")
    type = serializers.ChoiceField(DeviceType.values, required=False, help_text="The device type.")
    sort = serializers.ChoiceField(list(USER_SORTS), required=False, default="extension")


class UserQuery(ListQuery):
    tech = serializers.ChoiceField(
        [*Tech.values, "none"],
        required=False,
        help_text="Users on a device of this technology now; `none`: on no device.",
    )
    type = serializers.ChoiceField(
        DeviceType.values,
        required=False,
        help_text="Users on a device of this type now (with `tech`: one device of both).",
    )
    sort = serializers.ChoiceField(
        ["extension", "-extension", "name", "-name"], required=False, default="extension"
    )


class DeviceQuery(ListQuery):
    name = serializers.CharField(
        max_length=80, required=False, help_text="Descriptions containing this (any case)."
    )
    tech = serializers.ChoiceField(Tech.values, required=False)
    type = serializers.ChoiceField(DeviceType.values, required=False, help_text="The device type.")
    sort = serializers.ChoiceField(list(DEVICE_SORTS), required=False, default="id")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, number_field="id", device_field="id", **kwargs)

    def narrow(self, queryset: QuerySet) -> QuerySet:
        name = self.validated_data.get("name")
        if name:
            queryset = queryset.filter(description_folded__contains=fold(name))
        data = {k: v for k, v in self.validated_data.items() if k != "name"}
        if data.get("number"):
            queryset = queryset.filter(id__startswith=data["number"])
        queryset = on_server(queryset, data.get("server", ""))
        return boundary.with_phone_state(queryset, "id", data.get("state", ""))


class PhoneStatusQuery(DeviceQuery):
    pass

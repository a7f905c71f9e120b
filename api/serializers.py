"""Shapes of extensions, users and devices: what the API reads in, and what it answers.

Input serializers parse types only (string, number, choice, length); every rule
is the services' (users/, devices/), so the API refuses exactly what the pages do.
Secrets (a device's `secret`, a user's hot-desk `password`, any PIN) are
write-only: an answer holds them only for `?include_secrets=true` by an administrator.
"""

from rest_framework import serializers
from rest_framework.fields import SkipField

from api.server_serializers import SERVER_DEVICE, SERVER_MOVE, SERVER_NEW, ServerNameOut, server_in
from directory.devices.models import Device, Tech
from directory.devices.services import DEVICE_FIELDS
from directory.secrets import SECRET_SETTING_KEYS, USER_SECRET_FIELDS
from directory.users.call_features.fields import LIST_MAX, LIST_SEPARATOR
from directory.users.models import PbxUser
from directory.users.services import USER_FIELDS

# A user's secret fields, named as the audit log names them (the hot-desk password,
# a voicemail PIN when users have one): read from the model, so a new PIN is covered.
USER_SECRETS = tuple(f for f in USER_FIELDS if f in USER_SECRET_FIELDS)
USER_PUBLIC = tuple(f for f in USER_FIELDS if f not in USER_SECRETS)


class NumberList(serializers.ListField):
    """A follow-me list: its numbers in the order they ring, as stored (FreePBX's findmefollow
    marks an outside number with a final `#`: `["2003", "0171234567#"]`)."""

    child = serializers.CharField(max_length=32)

    def __init__(self, **kwargs):
        kwargs.pop("max_length", None)
        kwargs.pop("allow_blank", None)
        super().__init__(max_length=LIST_MAX, **kwargs)

    def to_representation(self, data):
        return [entry for entry in (data or "").split(LIST_SEPARATOR) if entry]

    def to_internal_value(self, data):
        return LIST_SEPARATOR.join(super().to_internal_value(data))


class TypesOnlyModelSerializer(serializers.ModelSerializer):
    """A model's fields with their types, lengths, ranges and choices, and none of its other rules
    (digits only, caller ID format, unique …): those are the service's, reported all at once."""

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        kwargs.pop("validators", None)
        if field_name == "followme_list":
            return NumberList, {k: v for k, v in kwargs.items() if k in ("required", "help_text", "label")}
        return field_class, kwargs


def settings_field(**kwargs) -> serializers.DictField:
    return serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=4000, trim_whitespace=False),
        help_text="The technology's settings by key, as in Bulk Handler CSV columns. A blank `secret` "
        "keeps the current one; `REGEN` makes a new strong one (the phone must then be re-provisioned); "
        "a new device without one gets a generated secret.",
        **kwargs,
    )


# --- Reading ----------------------------------------------------------------


def public_settings(settings: dict, *, include_secrets: bool) -> dict:
    return {k: v for k, v in settings.items() if include_secrets or k not in SECRET_SETTING_KEYS}


class SecretOut(serializers.CharField):
    """A secret or PIN in an answer: there only when an administrator asked (include_secrets),
    else left out. Declared, so the document says what an answer may hold."""

    def get_attribute(self, instance):
        if not self.context.get("include_secrets"):
            raise SkipField
        return super().get_attribute(instance)


class WithUserSecrets(TypesOnlyModelSerializer):
    """A user's answer, which may carry the user's secrets (every one the model has)."""

    def get_fields(self):
        fields = super().get_fields()
        for name in USER_SECRETS:
            model_field = PbxUser._meta.get_field(name)
            fields[name] = SecretOut(
                required=False,
                max_length=model_field.max_length,
                help_text=f"The {model_field.verbose_name}: only with include_secrets=true (administrators).",
            )
        return fields


class ExtensionOut(WithUserSecrets):
    """An extension: its user, and its own device with the technology settings (no device: nulls)."""

    tech = serializers.SerializerMethodField()
    devicetype = serializers.SerializerMethodField()
    dial = serializers.SerializerMethodField()
    emergency_cid = serializers.SerializerMethodField()
    settings = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()
    server = ServerNameOut()

    class Meta:
        model = PbxUser
        fields = (
            "extension",
            *USER_PUBLIC,
            "server",
            "tech",
            "devicetype",
            "dial",
            "emergency_cid",
            "settings",
            "state",
            "created_at",
            "updated_at",
        )

    def _device(self, user) -> Device | None:
        return self.context["devices"].get(user.pk)

    def get_tech(self, user) -> str | None:
        device = self._device(user)
        return device.tech if device else None

    def get_devicetype(self, user) -> str | None:
        device = self._device(user)
        return device.devicetype if device else None

    def get_dial(self, user) -> str | None:
        device = self._device(user)
        return device.dial if device else None

    def get_emergency_cid(self, user) -> str | None:
        device = self._device(user)
        return device.emergency_cid if device else None

    def get_settings(self, user) -> dict[str, str]:
        device = self._device(user)
        if device is None:
            return {}
        return public_settings(device.endpoint.settings, include_secrets=self.context.get("include_secrets"))

    def get_state(self, user) -> str | None:
        status = self.context["states"].get(user.pk)
        return status.state if status else None


class UserOut(WithUserSecrets):
    """A user, and the devices they are on now."""

    devices = serializers.SerializerMethodField(help_text="The devices the user is on now, in arrival order.")
    server = ServerNameOut()

    class Meta:
        model = PbxUser
        fields = ("extension", *USER_PUBLIC, "server", "devices", "created_at", "updated_at")

    def get_devices(self, user) -> list[str]:
        return [d.id for d in getattr(user, "devices_now", None) or user.devices.all()]


class DeviceOut(TypesOnlyModelSerializer):
    """A device: its user now and by default, and its technology settings."""

    settings = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()
    server = ServerNameOut()

    class Meta:
        model = Device
        fields = (
            "id",
            "server",
            "tech",
            "dial",
            "devicetype",
            "description",
            "emergency_cid",
            "default_user",
            "user",
            "user_since",
            "settings",
            "state",
            "created_at",
            "updated_at",
        )

    def get_settings(self, device) -> dict[str, str]:
        return public_settings(device.endpoint.settings, include_secrets=self.context.get("include_secrets"))

    def get_state(self, device) -> str | None:
        status = self.context["states"].get(device.pk)
        return status.state if status else None


# --- Writing ----------------------------------------------------------------


class ExtensionIn(TypesOnlyModelSerializer):
    """A new extension: a user, a fixed device with the same number, and its endpoint."""

    tech = serializers.ChoiceField(Tech.values)
    dial = serializers.CharField(
        required=False, allow_blank=True, max_length=120, help_text="Custom devices only: the dial string."
    )
    emergency_cid = serializers.CharField(required=False, allow_blank=True, max_length=80)
    settings = settings_field(required=False)
    server = server_in(SERVER_NEW)

    class Meta:
        model = PbxUser
        fields = ("extension", *USER_FIELDS, "server", "tech", "dial", "emergency_cid", "settings")
        extra_kwargs = {f: {"write_only": True} for f in USER_SECRETS}


class ExtensionChange(ExtensionIn):
    """Changes to an extension: only the fields sent. The number and the technology stay."""

    server = server_in(SERVER_MOVE)

    class Meta(ExtensionIn.Meta):
        fields = (*USER_FIELDS, "server", "dial", "emergency_cid", "settings")


class UserIn(TypesOnlyModelSerializer):
    server = server_in(SERVER_NEW)

    class Meta:
        model = PbxUser
        fields = ("extension", *USER_FIELDS, "server")
        extra_kwargs = {f: {"write_only": True} for f in USER_SECRETS}


class UserChange(UserIn):
    server = server_in(SERVER_MOVE)

    class Meta(UserIn.Meta):
        fields = (*USER_FIELDS, "server")


class DeviceIn(TypesOnlyModelSerializer):
    default_user = serializers.PrimaryKeyRelatedField(
        queryset=PbxUser.objects.all(),
        allow_null=True,
        required=False,
        help_text="A user's extension, or null.",
        error_messages={"does_not_exist": "No user {pk_value}."},
    )
    dial = serializers.CharField(
        required=False, allow_blank=True, max_length=120, help_text="Custom devices only: the dial string."
    )
    settings = settings_field(required=False)
    server = server_in(SERVER_DEVICE)

    class Meta:
        model = Device
        fields = (
            "id",
            "tech",
            *(f for f in DEVICE_FIELDS if f not in ("default_user", "dial")),
            "default_user",
            "dial",
            "settings",
            "server",
        )


class DeviceChange(DeviceIn):
    server = None  # a device moves with its user (users/, extensions/)

    class Meta(DeviceIn.Meta):
        fields = (
            *(f for f in DEVICE_FIELDS if f not in ("default_user", "dial")),
            "default_user",
            "dial",
            "settings",
        )


class HotDeskLogin(serializers.Serializer):
    extension = serializers.PrimaryKeyRelatedField(
        queryset=PbxUser.objects.all(),
        help_text="The user to log into the device.",
        error_messages={"does_not_exist": "No user {pk_value}."},
    )

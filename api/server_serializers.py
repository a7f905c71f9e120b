"""Shapes of the Asterisk servers, and of the `server` field users and devices carry.

Types only: every rule (names, hosts, ports, folders, what may be deleted) is the services'
(`directory/servers/services.py`). The AMI secret and the IAX2 secret are write-only without
exception: no answer holds them, not even with `include_secrets` (`ami_secret_set` says
whether one is saved).
"""

from dataclasses import dataclass

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField

from asterisk import boundary
from directory.servers.models import Server
from directory.servers.services import SERVER_FIELDS

# Each state's words, as the banner's headlines say them (asterisk/banner.py), for one server.
STATE_LABELS = {
    "never": "Not connected yet",
    "connected": "Connected",
    "busy": "Busy reloading",
    "unreachable": "Unreachable",
    "login": "Refused the login",
    "action": "Refused a change",
    "files": "Config files not written",
}


@dataclass(frozen=True)
class Shown:
    """One server's link as the Servers page, servers/ and sync/ show it."""

    state: str
    label: str
    since: object  # a datetime or None
    since_text: str
    error: str


def server_states(servers) -> dict[int, Shown]:
    """Each server's link to its Asterisk, by server id: `asterisk.boundary.server_states()`
    (the banner's judgement, per server), in the words of STATE_LABELS."""
    by_name = {s.name: s.pk for s in servers}
    return {
        by_name[one.name]: Shown(
            one.state, STATE_LABELS.get(one.state, one.state), one.since, one.since_text, one.error
        )
        for one in boundary.server_states()
        if one.name in by_name
    }


_CONNECTION = ("ami_host", "ami_port", "ami_username", "conf_dir", "iax_host", "iax_port")


class ServerState(serializers.Serializer):
    state = serializers.ChoiceField(
        list(STATE_LABELS), help_text="The link's state, as the banner judges it for this server."
    )
    label = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True, help_text="Since when, as far as it is known.")
    error = serializers.CharField(allow_null=True, help_text="The last error, as raised, or null.")


class ServerStateOut(ServerState):
    name = serializers.CharField(help_text="The server's name.")


class ServerOut(serializers.ModelSerializer):
    queue = serializers.CharField(read_only=True, help_text="The Celery queue its worker consumes.")
    ami_secret_set = serializers.SerializerMethodField(help_text="Whether an AMI secret is saved here.")
    users = serializers.IntegerField(source="user_count", read_only=True, help_text="Users on it.")
    devices = serializers.IntegerField(source="device_count", read_only=True, help_text="Devices on it.")
    state = serializers.SerializerMethodField()

    class Meta:
        model = Server
        fields = (
            "id",
            "name",
            *_CONNECTION,
            "ami_secret_set",
            "is_default",
            "queue",
            "users",
            "devices",
            "state",
            "created_at",
        )

    def get_ami_secret_set(self, server) -> bool:
        return bool(server.ami_secret)

    @extend_schema_field(ServerState(allow_null=True))
    def get_state(self, server) -> dict | None:
        state = self.context.get("states", {}).get(server.pk)
        if state is None:
            return None
        return {
            "state": state.state,
            "label": state.label,
            "since": serializers.DateTimeField().to_representation(state.since) if state.since else None,
            "error": state.error or None,
        }


def _server_model_kwargs() -> dict:
    return {
        "ami_port": {"allow_null": True, "required": False},
        "ami_host": {"required": False},
        "ami_username": {"required": False},
        "conf_dir": {"required": False},
        "iax_host": {"required": False},
        "iax_port": {"required": False},
    }


class ServerIn(serializers.ModelSerializer):
    ami_secret = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=128,
        write_only=True,
        trim_whitespace=False,
        help_text="The manager.conf account's secret; empty: the AMI_SECRET setting. Never in an answer. "
        "On a change, blank keeps it and null removes it.",
    )

    class Meta:
        model = Server
        fields = SERVER_FIELDS
        extra_kwargs = _server_model_kwargs()

    def get_validators(self):
        return []  # the unique name: the service says it, in its words

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        kwargs.pop("validators", None)
        return field_class, kwargs


class ServerChange(ServerIn):
    new_iax_secret = serializers.BooleanField(
        required=False, help_text="true: make a new IAX2 secret (the trunks to every other server follow)."
    )
    is_default = serializers.BooleanField(
        required=False, help_text="true: make this the default server (false is refused: make another one)."
    )

    class Meta(ServerIn.Meta):
        fields = (*SERVER_FIELDS, "new_iax_secret", "is_default")


class ServerNameOut(serializers.CharField):
    """A user's or device's server, by name: in answers only while there are several servers
    (with one, an answer is as it always was)."""

    def __init__(self, **kwargs):
        super().__init__(
            source="server.name",
            required=False,
            help_text="The server it lives on (only while there are several servers).",
            **kwargs,
        )

    def get_attribute(self, instance):
        if not self.context.get("several_servers"):
            raise SkipField
        return super().get_attribute(instance)


SERVER_NEW = "The server's name (servers/). Optional: the default server."
SERVER_DEVICE = (
    "The server's name (servers/). Optional: where its default user lives, else the default server."
)
SERVER_MOVE = "The server's name (servers/): another one moves the user and their fixed devices there."


def server_in(help_text: str) -> serializers.CharField:
    return serializers.CharField(required=False, max_length=32, write_only=True, help_text=help_text)

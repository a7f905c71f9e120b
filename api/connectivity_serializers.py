"""Shapes of trunks, outbound routes and inbound routes: what the API reads in and answers.

Types only, as in `api/serializers.py`: every rule (pattern characters, a PIN on an
emergency route, a trunk used by a route…) is the services' (`directory/connectivity/`),
so the API refuses exactly what the pages and an import refuse. A trunk's secret and a
route's PIN are write-only: an answer holds them only for `?include_secrets=true` by an
administrator.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import SecretOut, TypesOnlyModelSerializer
from api.server_serializers import ServerNameOut, server_in
from directory.connectivity.models import InboundRoute, OutboundRoute, Trunk, TrunkTech

_PART = {"required": False, "allow_blank": True, "max_length": 200, "trim_whitespace": False}


class DialRule(serializers.Serializer):
    """A trunk's dial-out rule, FreePBX's: `prepend` added in front, `prefix` removed, `match`."""

    prepend = serializers.CharField(**_PART, help_text="Digits added in front of the number sent.")
    prefix = serializers.CharField(**_PART, help_text="Dialled first and removed.")
    match = serializers.CharField(**_PART, help_text="The pattern the rest matches (X, Z, N, [ ], .).")


class DialPattern(DialRule):
    """A route's dial pattern: a dial-out rule and the callers it is for."""

    callerid = serializers.CharField(**_PART, help_text="Only callers whose number matches this pattern.")


class Registration(serializers.Serializer):
    state = serializers.CharField(
        help_text="registered, trying, unregistered, rejected, unreachable, unknown; blank: the trunk "
        "does not register (or is disabled)."
    )
    label = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True)
    detail = serializers.CharField(help_text="Asterisk's own word for it.")


_TRUNK_FIELDS = (
    "name",
    "host",
    "port",
    "username",
    "register",
    "codecs",
    "outbound_cid",
    "force_cid",
    "max_channels",
    "dial_rules",
    "enabled",
)


TRUNK_SERVER = (
    "The server's name (servers/) that registers with the carrier and dials out on this trunk. "
    "Optional: the default server."
)


class TrunkOut(TypesOnlyModelSerializer):
    secret = SecretOut(required=False, help_text="Only with include_secrets=true (administrators).")
    dial_rules = DialRule(many=True)
    registration = serializers.SerializerMethodField()
    server = ServerNameOut()

    class Meta:
        model = Trunk
        fields = (
            "id",
            "tech",
            *_TRUNK_FIELDS,
            "server",
            "secret",
            "registration",
            "created_at",
            "updated_at",
        )

    @extend_schema_field(Registration)
    def get_registration(self, trunk) -> dict:
        state = self.context.get("states", {}).get(trunk.pk)
        if state is None:
            return {"state": "", "label": "", "since": None, "detail": ""}
        return Registration(
            {"state": state.state, "label": str(state.label), "since": state.since, "detail": state.detail}
        ).data


class TrunkIn(TypesOnlyModelSerializer):
    tech = serializers.ChoiceField(TrunkTech.values)
    secret = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=64,
        write_only=True,
        help_text="The carrier's secret; `REGEN` makes a strong one. On a change, blank keeps the current "
        "one and null removes it.",
    )
    dial_rules = DialRule(many=True, required=False)
    server = server_in(TRUNK_SERVER)

    class Meta:
        model = Trunk
        fields = ("tech", *_TRUNK_FIELDS, "server", "secret")


class TrunkChange(TrunkIn):
    """Changes to a trunk: only the fields sent. Its technology stays."""

    class Meta(TrunkIn.Meta):
        fields = (*_TRUNK_FIELDS, "server", "secret")


class OutboundRouteOut(TypesOnlyModelSerializer):
    patterns = DialPattern(many=True)
    trunks = serializers.SerializerMethodField(help_text="The trunks' ids, in the order they are tried.")
    trunk_names = serializers.SerializerMethodField(help_text="The same trunks by name.")
    pin = SecretOut(required=False, help_text="Only with include_secrets=true (administrators).")

    class Meta:
        model = OutboundRoute
        fields = (
            "id",
            "name",
            "position",
            "patterns",
            "trunks",
            "trunk_names",
            "route_cid",
            "pin",
            "emergency",
            "created_at",
            "updated_at",
        )

    def _sequence(self, route):
        steps = getattr(route, "sequence", None)
        return [s.trunk for s in steps] if steps is not None else route.trunk_sequence()

    def get_trunks(self, route) -> list[int]:
        return [t.pk for t in self._sequence(route)]

    def get_trunk_names(self, route) -> list[str]:
        return [t.name for t in self._sequence(route)]


class OutboundRouteIn(TypesOnlyModelSerializer):
    patterns = DialPattern(many=True)
    trunks = serializers.ListField(
        child=serializers.IntegerField(), help_text="Trunk ids, in the order they are tried."
    )
    pin = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=12,
        write_only=True,
        allow_null=True,
        help_text="Digits a caller types first; never on an emergency route. On a change, blank keeps it "
        "and null removes it.",
    )

    class Meta:
        model = OutboundRoute
        fields = ("name", "patterns", "trunks", "route_cid", "pin", "emergency")


class OutboundRouteChange(OutboundRouteIn):
    patterns = DialPattern(many=True, required=False)
    trunks = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Trunk ids, in the order they are tried."
    )

    class Meta(OutboundRouteIn.Meta):
        pass


class OutboundRouteOrder(serializers.Serializer):
    routes = serializers.ListField(
        child=serializers.IntegerField(), help_text="Every outbound route's id, once each, in the new order."
    )


class InboundRouteOut(TypesOnlyModelSerializer):
    catch_all = serializers.BooleanField(source="is_catch_all", read_only=True)

    class Meta:
        model = InboundRoute
        fields = (
            "id",
            "did",
            "cid",
            "description",
            "destination",
            "user",
            "cid_name_prefix",
            "catch_all",
            "created_at",
            "updated_at",
        )


class InboundRouteIn(TypesOnlyModelSerializer):
    """An inbound route. Whether its DID and caller number are taken is the service's to say."""

    # The extension as given: whether it is a user is the service's to say, in its words.
    user = serializers.CharField(
        allow_null=True,
        required=False,
        max_length=20,
        help_text="The user's extension (rung, or whose voicemail answers); null for hang-up.",
    )

    class Meta:
        model = InboundRoute
        fields = ("did", "cid", "description", "destination", "user", "cid_name_prefix")

    def get_validators(self):
        # Not the model's unique (did, cid): the service's check says it, in its words.
        return []

"""Trunks, outbound routes and inbound routes: how calls leave the PBX and how they come in.

FreePBX's Connectivity essentials. A trunk is an account at a carrier (PJSIP, chan_sip or
IAX2); an outbound route says which dialled numbers go out and over which trunks, in order;
an inbound route says where a call the carrier sends to a DID rings. The Asterisk boundary
renders them (`asterisk/render/connectivity/`); the services (`services/`) hold every rule.
"""

from django.db import models

from directory.connectivity import validators as v
from directory.servers.current import default_id
from directory.techs import iax2, pjsip, sip
from directory.techs.spec import codecs as codec_list
from directory.validators import SafeCharField


def _codecs(value: str) -> None:
    codec_list(value)


class TrunkTech(models.TextChoices):
    PJSIP = "pjsip", pjsip.LABEL
    SIP = "sip", sip.LABEL
    IAX2 = "iax2", iax2.LABEL


# The port a technology's carriers listen on when the trunk names none.
DEFAULT_PORTS = {TrunkTech.PJSIP: 5060, TrunkTech.SIP: 5060, TrunkTech.IAX2: 4569}
DEFAULT_CODECS = "ulaw,alaw"


class Trunk(models.Model):
    """An account at a carrier. Its calls in land in the inbound routes' context only."""

    name = SafeCharField(max_length=40, unique=True, validators=[v.trunk_name])
    tech = SafeCharField("technology", max_length=8, choices=TrunkTech.choices)
    host = SafeCharField(max_length=253, validators=[v.host], help_text="The carrier's host name or address.")
    port = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: the technology's usual port (5060, IAX2 4569)."
    )
    username = SafeCharField(max_length=64, blank=True, validators=[v.trunk_username])
    # Write-only: never shown back, masked for viewers, recorded in the audit log as "changed".
    secret = SafeCharField(max_length=64, blank=True)
    register = models.BooleanField("register with the carrier", default=False)
    codecs = SafeCharField(max_length=200, default=DEFAULT_CODECS, validators=[_codecs])
    outbound_cid = SafeCharField(
        "outbound caller ID", max_length=80, blank=True, validators=[v.dialplan_callerid]
    )
    force_cid = models.BooleanField(
        "force trunk caller ID", default=False, help_text="Send the trunk's caller ID whatever the user's."
    )
    max_channels = models.PositiveIntegerField(
        "maximum channels", default=0, help_text="Calls out at once over this trunk; 0: no limit."
    )
    # FreePBX's "dialed number manipulation rules": [{"prepend", "prefix", "match"}], in order.
    dial_rules = models.JSONField("dial-out rules", default=list, blank=True)
    enabled = models.BooleanField(default=True)
    # The Asterisk server that holds the carrier account (README "Where carrier trunks live"):
    # only its files have the trunk and its registration; the other servers' routes reach it
    # over the IAX2 trunk to this server.
    server = models.ForeignKey(
        "servers.Server",
        on_delete=models.PROTECT,
        default=default_id,
        related_name="trunks",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_tech_display()})"

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.tech]


class OutboundRoute(models.Model):
    """Numbers that go out, the trunks that carry them (in order), and the caller ID sent."""

    name = SafeCharField(max_length=50, unique=True, validators=[v.route_name])
    # The routes are tried in this order (FreePBX's route list, dragged into place).
    position = models.PositiveIntegerField(default=0)
    # [{"prepend", "prefix", "match", "callerid"}], FreePBX's dial patterns.
    patterns = models.JSONField("dial patterns", default=list)
    route_cid = SafeCharField("route caller ID", max_length=80, blank=True, validators=[v.dialplan_callerid])
    # Write-only, as a trunk's secret: a caller must type it before the call goes out.
    pin = SafeCharField("route PIN", max_length=12, blank=True, validators=[v.route_pin])
    emergency = models.BooleanField(
        "emergency route", default=False, help_text="Calls carry the calling device's emergency caller ID."
    )
    trunks = models.ManyToManyField(Trunk, through="RouteTrunk", related_name="routes", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def trunk_sequence(self) -> list[Trunk]:
        return [rt.trunk for rt in self.route_trunks.select_related("trunk").order_by("position")]


class RouteTrunk(models.Model):
    """One trunk in a route's sequence: the next is tried when it is congested or unavailable."""

    route = models.ForeignKey(OutboundRoute, on_delete=models.CASCADE, related_name="route_trunks")
    # A trunk in a route cannot be deleted (the service says which routes use it).
    trunk = models.ForeignKey(Trunk, on_delete=models.PROTECT, related_name="route_trunks")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["route", "trunk"], name="route_trunk_once"),
            models.UniqueConstraint(fields=["route", "position"], name="route_trunk_position"),
        ]

    def __str__(self) -> str:
        return f"{self.route_id}#{self.position}: {self.trunk_id}"


class Destination(models.TextChoices):
    USER = "user", "Ring a user"
    VOICEMAIL = "voicemail", "A user's voicemail"
    HANGUP = "hangup", "Hang up"


class InboundRoute(models.Model):
    """Where a call from a trunk to a DID (and from a caller number) rings. Both empty: catch-all."""

    did = SafeCharField("DID", max_length=41, blank=True, validators=[v.did], help_text="Empty: any DID.")
    cid = SafeCharField(
        "caller ID number",
        max_length=41,
        blank=True,
        validators=[v.inbound_cid],
        help_text="Empty: any caller.",
    )
    description = SafeCharField(max_length=80, blank=True)
    destination = SafeCharField(max_length=12, choices=Destination.choices, default=Destination.USER)
    # A deleted user leaves the route hanging up until it is pointed elsewhere.
    user = models.ForeignKey(
        "users.PbxUser", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_routes"
    )
    cid_name_prefix = SafeCharField(
        "caller ID name prefix", max_length=20, blank=True, validators=[v.cid_name_prefix]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["did", "cid"]
        constraints = [models.UniqueConstraint(fields=["did", "cid"], name="inbound_route_did_cid_once")]

    def __str__(self) -> str:
        did = self.did or "any DID"
        return f"{did} / {self.cid}" if self.cid else did

    @property
    def is_catch_all(self) -> bool:
        return not self.did and not self.cid

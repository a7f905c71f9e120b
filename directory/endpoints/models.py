"""The endpoint (the technology settings of one device) and the SIP settings every device depends on."""

import ipaddress
import re
from itertools import combinations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from directory.validators import SafeCharField


class Endpoint(models.Model):
    device = models.OneToOneField(
        "devices.Device",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="endpoint",
    )
    # key -> value strings, checked against the technology's SETTINGS by the
    # services (see directory.techs.clean_settings). Kept as strings, like
    # FreePBX's sip/iax/dahdi tables, so Bulk Handler columns map one to one.
    settings = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"endpoint of {self.device_id}"


def _ip_address(value: str) -> None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValidationError("Enter an IP address: 0.0.0.0 listens on every address.") from None


def _host_or_ip(value: str) -> None:
    if not _HOST.fullmatch(value):
        raise ValidationError("Enter an IP address or a host name such as pbx.example.com.")


def _networks(value: str) -> None:
    for part in split_networks(value):
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise ValidationError(
                f"{part!r} is not a network: write 192.168.1.0/24 or 192.168.1.0/255.255.255.0."
            ) from None


def _path(value: str) -> None:
    if not _PATH.fullmatch(value):
        raise ValidationError("Enter an absolute file path such as /etc/asterisk/keys/pbx.pem.")


_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.:-]{0,252})")
_PATH = re.compile(r"/[A-Za-z0-9_./-]{1,250}")


def split_networks(value: str) -> list[str]:
    """Local networks, stored separated by spaces (typed one per line, or with commas)."""
    return [part for part in re.split(r"[\s,]+", value) if part]


# Listening on every address is the default a PBX needs (FreePBX's too).
EVERY_ADDRESS = "0.0.0.0"  # noqa: S104
_WILDCARDS = (EVERY_ADDRESS, "::")

_port = [MinValueValidator(1), MaxValueValidator(65535)]


class SipSettings(models.Model):
    """One row: FreePBX's "Asterisk SIP Settings", the chan_sip [general] and the PJSIP transports.

    Defaults are a fresh FreePBX 17's: PJSIP owns 5060 over UDP, chan_sip moves
    to 5160, TCP and TLS are off (as in Asterisk's own sample sip.conf).
    """

    class Nat(models.TextChoices):
        YES = "yes", "yes (force_rport, comedia): phones behind NAT"
        NO = "no", "no (RFC 3581 rport only when asked)"
        NEVER = "never", "never"
        ROUTE = "route", "route (force_rport)"

    external_address = SafeCharField(
        max_length=253,
        blank=True,
        validators=[_host_or_ip],
        help_text="The public IP address or host name phones outside reach the PBX at. Empty: no NAT.",
    )
    local_networks = SafeCharField(
        max_length=1000,
        blank=True,
        validators=[_networks],
        help_text="Networks reached without NAT, e.g. 192.168.0.0/16 10.0.0.0/8 (one per line).",
    )
    sip_bind_address = SafeCharField(
        "chan_sip bind address", max_length=45, default=EVERY_ADDRESS, validators=[_ip_address]
    )
    sip_port = models.PositiveIntegerField("chan_sip port (UDP and TCP)", default=5160, validators=_port)
    sip_tcp = models.BooleanField("chan_sip TCP", default=False)
    sip_tls = models.BooleanField("chan_sip TLS", default=False)
    sip_tls_port = models.PositiveIntegerField("chan_sip TLS port", default=5161, validators=_port)
    sip_nat = SafeCharField("chan_sip NAT default", max_length=8, choices=Nat.choices, default=Nat.YES)
    pjsip_bind_address = SafeCharField(
        "PJSIP bind address", max_length=45, default=EVERY_ADDRESS, validators=[_ip_address]
    )
    pjsip_udp = models.BooleanField("PJSIP UDP", default=True)
    pjsip_udp_port = models.PositiveIntegerField("PJSIP UDP port", default=5060, validators=_port)
    pjsip_tcp = models.BooleanField("PJSIP TCP", default=False)
    pjsip_tcp_port = models.PositiveIntegerField("PJSIP TCP port", default=5060, validators=_port)
    pjsip_tls = models.BooleanField("PJSIP TLS", default=False)
    pjsip_tls_port = models.PositiveIntegerField("PJSIP TLS port", default=5061, validators=_port)
    tls_cert_file = SafeCharField(
        "TLS certificate file",
        max_length=250,
        blank=True,
        validators=[_path],
        help_text="Needed when TLS is on (chan_sip or PJSIP).",
    )
    tls_key_file = SafeCharField("TLS private key file", max_length=250, blank=True, validators=[_path])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "SIP settings"

    def __str__(self) -> str:
        return "SIP settings"

    @classmethod
    def get(cls) -> "SipSettings":
        return cls.objects.get_or_create(pk=1)[0]

    def clean(self) -> None:
        errors = {}
        if not (self.pjsip_udp or self.pjsip_tcp or self.pjsip_tls):
            errors["pjsip_udp"] = "Turn on at least one PJSIP transport."
        if (self.sip_tls or self.pjsip_tls) and not (self.tls_cert_file and self.tls_key_file):
            errors["tls_cert_file"] = "TLS needs a certificate file and a private key file."
        # Two listeners on one address, protocol and port: the second one fails to bind. Both
        # ports say so, each naming the other, so the message is under the one just changed.
        listeners = [
            ("sip_port", "udp", self.sip_bind_address, self.sip_port, True),
            ("sip_port", "tcp", self.sip_bind_address, self.sip_port, self.sip_tcp),
            ("sip_tls_port", "tcp", self.sip_bind_address, self.sip_tls_port, self.sip_tls),
            ("pjsip_udp_port", "udp", self.pjsip_bind_address, self.pjsip_udp_port, self.pjsip_udp),
            ("pjsip_tcp_port", "tcp", self.pjsip_bind_address, self.pjsip_tcp_port, self.pjsip_tcp),
            ("pjsip_tls_port", "tcp", self.pjsip_bind_address, self.pjsip_tls_port, self.pjsip_tls),
        ]
        on = [
            (field, protocol, address, port)
            for field, protocol, address, port, enabled in listeners
            if enabled
        ]
        for (field, protocol, address, port), (other, protocol2, address2, port2) in combinations(on, 2):
            if (protocol, port) == (protocol2, port2) and _overlap(address, address2):
                for here, there in ((field, other), (other, field)):
                    errors.setdefault(here, []).append(
                        f"Port {port} ({protocol.upper()}) is also the "
                        f"{self._meta.get_field(there).verbose_name}: Asterisk cannot listen on it twice."
                    )
        if errors:
            raise ValidationError(errors)


def _overlap(a: str, b: str) -> bool:
    """Two bind addresses collide when equal or when either is the wildcard."""
    return a == b or a in _WILDCARDS or b in _WILDCARDS

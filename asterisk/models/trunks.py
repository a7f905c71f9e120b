"""What Asterisk last said about each trunk's registration with its carrier."""

from django.db import models

from directory.servers.current import current_id


class RegistrationState(models.TextChoices):
    REGISTERED = "registered", "Registered"
    TRYING = "trying", "Registering"
    UNREGISTERED = "unregistered", "Not registered"
    REJECTED = "rejected", "Refused by the carrier"
    UNREACHABLE = "unreachable", "Carrier unreachable"
    UNKNOWN = "unknown", "Unknown"


class TrunkRegistration(models.Model):
    """One outbound registration as Asterisk reports it (AMI `Registry` events and the
    registration lists), keyed as Asterisk names it: technology, carrier host and port (0 when
    the event names none) and the account. The trunk it belongs to is found by the same three
    (`asterisk.trunk_status.trunk_registration_states`): Asterisk's events never name a chan_sip or
    IAX2 trunk, only its account and host.
    """

    # The server whose Asterisk reported it (each server registers its own trunks' accounts).
    server = models.ForeignKey(
        "servers.Server", on_delete=models.CASCADE, default=current_id, related_name="trunk_registrations"
    )
    tech = models.CharField(max_length=8)
    host = models.CharField(max_length=253)
    port = models.PositiveIntegerField(default=0)
    username = models.CharField(max_length=64, blank=True)
    state = models.CharField(
        max_length=12, choices=RegistrationState.choices, default=RegistrationState.UNKNOWN
    )
    # Asterisk's own word for it (`Auth. Sent`, `Rejected`…), cut and cleaned.
    detail = models.CharField(max_length=40, blank=True)
    since = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["server", "tech", "host", "port", "username"],
                name="trunk_registration_once_per_server",
            )
        ]

    def __str__(self) -> str:
        return f"{self.tech} {self.username}@{self.host}:{self.port}: {self.state}"

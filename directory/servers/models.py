"""The Asterisk servers one portal drives (README "Several servers").

Every installation has at least one: the `main` server a migration creates, its connection
fields blank, which means the settings' AMI_* values and ASTERISK_CONF_DIR, so a single-PBX
installation changes nothing. Exactly one server is the default: new users and devices land
on it, and code that names no server works on it (directory/servers/current.py).
"""

import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from directory.validators import SafeCharField, conf_safe, host_name

NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")
DEFAULT_NAME = "main"
DEFAULT_IAX_PORT = 4569

# What an AMI login and secret may hold: they travel in `Username:`/`Secret:` lines.
_AMI_WORD = re.compile(r"[A-Za-z0-9_.@+-]{1,64}")
_AMI_SECRET = re.compile(r"[!#-~]{1,128}")
# A folder on the PBX host: absolute, no control characters, no `..` step.
_CONF_DIR = re.compile(r"/(?:[A-Za-z0-9_.+-]+/?)*")


def server_name(value: str) -> None:
    if not NAME.fullmatch(value):
        raise ValidationError(
            "Start with a lowercase letter; then lowercase letters, digits and - (at most 32).",
            code="server_name",
        )


def host(value: str) -> None:
    """A host name or IPv4 address, no port (`directory.validators.host_name`); blank allowed."""
    if value:
        host_name(value)


def ami_username(value: str) -> None:
    if value and not _AMI_WORD.fullmatch(value):
        raise ValidationError("Use letters, digits and . _ @ + - (at most 64).", code="ami_username")


def ami_secret(value: str) -> None:
    if value and not _AMI_SECRET.fullmatch(value):
        raise ValidationError("Use printable characters without spaces (at most 128).", code="ami_secret")


def conf_dir(value: str) -> None:
    if value and (not _CONF_DIR.fullmatch(value) or ".." in value.split("/")):
        raise ValidationError("Write an absolute folder, e.g. /etc/asterisk.", code="conf_dir")


def generate_iax_secret() -> str:
    """The server's own IAX2 secret: letters and digits from the CSPRNG, never shown."""
    return secrets.token_hex(24)


class Server(models.Model):
    name = SafeCharField(max_length=32, unique=True, validators=[server_name])
    ami_host = SafeCharField(
        "AMI host",
        max_length=253,
        blank=True,
        validators=[host],
        help_text="Empty: the AMI_HOST setting.",
    )
    ami_port = models.PositiveIntegerField(
        "AMI port",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
        help_text="Empty: the AMI_PORT setting.",
    )
    ami_username = SafeCharField(
        "AMI username",
        max_length=64,
        blank=True,
        validators=[ami_username],
        help_text="Empty: the AMI_USERNAME setting.",
    )
    # Write-only everywhere: forms and the API never show it.
    ami_secret = SafeCharField(
        "AMI secret",
        max_length=128,
        blank=True,
        validators=[ami_secret],
        help_text="Empty: the AMI_SECRET setting.",
    )
    conf_dir = SafeCharField(
        "configuration folder",
        max_length=255,
        blank=True,
        validators=[conf_dir, conf_safe],
        help_text="The folder this server's worker writes on the PBX host. Empty: the ASTERISK_CONF_DIR setting.",
    )
    iax_host = SafeCharField(
        "IAX2 host",
        max_length=253,
        blank=True,
        validators=[host],
        help_text="The address the other servers reach this one at over IAX2. Empty: the AMI host.",
    )
    iax_port = models.PositiveIntegerField(
        "IAX2 port",
        default=DEFAULT_IAX_PORT,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
    )
    # Never shown: the trunk secret between two servers is derived from both servers' secrets.
    iax_secret = models.CharField(max_length=64, default=generate_iax_secret, editable=False)
    is_default = models.BooleanField("default server", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="servers_one_default",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def queue(self) -> str:
        """The Celery queue this server's tasks go to (`pbx.<name>`); its worker consumes it."""
        return f"{settings.PBXADMIN_SERVER_QUEUE_PREFIX}{self.name}"

"""How an endpoint setting is described: its key, default, label and how a value is checked.

Each technology module lists its settings in the order FreePBX writes them, so
the same list drives the forms, the CSV columns, validation and the renderer.
Values are stored as strings, as in FreePBX's key/value `sip`, `iax` and
`dahdi` tables, so a Bulk Handler file maps onto them one to one.
"""

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from directory.validators import conf_safe, no_control_characters, secret_strength

Check = Callable[[str], str]  # returns the normalised value or raises ValidationError


@dataclass(frozen=True)
class Setting:
    key: str
    label: str
    default: str = ""
    choices: tuple[str, ...] = ()
    check: Check | None = None
    help: str = ""
    # General settings sit in the form's first section; the rest under "Device options".
    general: bool = False
    secret: bool = False

    def clean(self, raw: object) -> str:
        value = "" if raw is None else str(raw)
        no_control_characters(value)
        value = value.strip()
        if self.choices:
            if value not in self.choices:
                raise ValidationError(f"Choose one of: {', '.join(self.choices)}.", code="invalid_choice")
            return value
        if self.check is not None:
            return self.check(value)
        conf_safe(value)
        return value


def _regex(pattern: str, message: str, *, allow_empty: bool = True) -> Check:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if value == "" and allow_empty:
            return value
        if not compiled.fullmatch(value):
            raise ValidationError(message, code="invalid")
        return value

    return check


def integer(low: int, high: int, *, allow_empty: bool = False) -> Check:
    def check(value: str) -> str:
        if value == "" and allow_empty:
            return value
        if not re.fullmatch(r"-?[0-9]{1,6}", value) or not low <= int(value) <= high:
            raise ValidationError(f"Enter a whole number from {low} to {high}.", code="range")
        return str(int(value))

    return check


def secret(value: str) -> str:
    if value == "":
        raise ValidationError(
            "A secret is required: leave the generated one or type a strong one.",
            code="required",
        )
    secret_strength(value)
    return value


context = _regex(
    r"[A-Za-z0-9_-]{1,79}",
    "A context is letters, digits, - and _ only.",
    allow_empty=False,
)
host = _regex(
    r"dynamic|[A-Za-z0-9.:-]{1,253}",
    "Enter dynamic, a host name or an IP address.",
    allow_empty=False,
)
accountcode = _regex(r"[A-Za-z0-9_.@-]{1,40}", "An account code is letters, digits and . _ @ - only.")
named_groups = _regex(r"[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*", "Named groups are names separated by commas.")
vm_extension = _regex(r"[0-9*#]{1,20}", "A voicemail button number is digits, * and #, e.g. *97.")
sip_user = _regex(r"[A-Za-z0-9_.+-]{1,80}", "A user name is letters, digits and . _ + - only.")
transport_name = _regex(r"[A-Za-z0-9_.-]{1,40}", "A transport name is letters, digits, . - and _.")
mailbox_override = _regex(
    r"[0-9]+@[A-Za-z0-9_-]+(,[0-9]+@[A-Za-z0-9_-]+)*",
    "A mailbox is number@context, several separated by commas.",
)


def call_groups(value: str) -> str:
    """Legacy numeric groups 0-63: `1,3-5`."""
    if value == "":
        return value
    for part in value.split(","):
        bounds = part.split("-")
        # ASCII digits only: str.isdigit() also accepts '¹' and other digits int() refuses.
        if len(bounds) > 2 or not all(re.fullmatch(r"[0-9]{1,2}", b) and int(b) <= 63 for b in bounds):
            raise ValidationError(
                "Groups are numbers from 0 to 63, separated by commas (ranges like 2-5 allowed).",
                code="invalid",
            )
    return value


KNOWN_CODECS = (
    "ulaw", "alaw", "gsm", "g726", "g726aal2", "g722", "g723", "g729", "g719", "ilbc",
    "speex", "speex16", "speex32", "slin", "slin16", "opus", "silk", "siren7", "siren14",
    "adpcm", "lpc10", "codec2", "testlaw", "h261", "h263", "h263p", "h264", "h265",
    "vp8", "vp9", "mpeg4", "jpeg", "png", "t140", "t140red",
)  # fmt: skip


def codecs(value: str) -> str:
    """A codec list, written with `&` (FreePBX) or `,`; stored comma-separated."""
    if value == "":
        return value
    names = [c.strip().lower() for c in re.split(r"[,&]", value)]
    unknown = [c for c in names if c not in KNOWN_CODECS and c != "all"]
    if unknown or "" in names:
        raise ValidationError(
            f"Unknown codec: {', '.join(unknown) or '(empty)'}. Known: {', '.join(KNOWN_CODECS)}.",
            code="codec",
        )
    return ",".join(dict.fromkeys(names))


def acl(value: str) -> str:
    """Networks for deny/permit: `192.168.1.0/255.255.255.0` or `/24`, several joined by `&`."""
    if value == "":
        return value
    parts = [p.strip() for p in re.split(r"[&,]", value)]
    for part in parts:
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise ValidationError(
                f"{part!r} is not a network: write it as 10.0.0.0/255.0.0.0 or 10.0.0.0/8.",
                code="acl",
            ) from None
    return "&".join(parts)


def acl_required(value: str) -> str:
    """deny/permit where FreePBX always writes a network: empty is refused (export → import stays lossless)."""
    if value == "":
        raise ValidationError(
            "Give at least one network; 0.0.0.0/0.0.0.0 means every address.", code="required"
        )
    return acl(value)


def transports(allowed: tuple[str, ...]) -> Check:
    def check(value: str) -> str:
        names = [t.strip().lower() for t in value.split(",")] if value else []
        if not names or any(t not in allowed for t in names):
            raise ValidationError(
                f"Choose transports among {', '.join(allowed)}, separated by commas.",
                code="transport",
            )
        return ",".join(dict.fromkeys(names))

    return check


YES_NO = ("yes", "no")

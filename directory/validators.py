"""Validators shared by every model, form, import and writer.

Nothing an administrator types may change the structure of an Asterisk config
file or of an AMI action. Line breaks and NUL are refused everywhere (they would
start a new config line or a new AMI action); the characters that have a meaning
inside a config value are refused where the value reaches a config file.
"""

import contextlib
import contextvars
import re
import secrets
import string

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models

# C0 controls and DEL: CR and LF split lines, NUL truncates C strings in Asterisk.
# Also C1 controls (U+0085 is a line break to many tools, U+009B a terminal escape), the
# Unicode line and paragraph separators, and the bidirectional overrides and isolates
# that make a name read differently from what it holds. Asterisk splits lines at LF
# only, but a person reads these values in pages, logs and terminals.
_CONTROL_CHARS = r"\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[{_CONTROL_CHARS}]")


def no_control_characters(value: str) -> None:
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValidationError(
            "Line breaks, tabs and other control characters are not allowed here.",
            code="control_characters",
        )


digits_only = RegexValidator(r"^[0-9]+\Z", "Use digits only (0-9).", code="digits")

# What may follow "key=" in a generated .conf line: ';' starts a comment, '\'
# escapes, '[' and ']' look like a section header to a human reader and to
# naive tools. Values that legitimately need them (secrets) are escaped instead.
_CONF_UNSAFE = re.compile(r"[;\[\]\\" + _CONTROL_CHARS + "]")


def conf_safe(value: str) -> None:
    if _CONF_UNSAFE.search(value):
        raise ValidationError(
            "This value may not contain ; [ ] \\ or control characters: "
            "they would change the meaning of the Asterisk config file.",
            code="conf_unsafe",
        )


# Secrets: printable ASCII without white space, quotes or backslash. ';' is
# allowed and written as '\;' (as FreePBX does).
_SECRET_CHARS = re.compile(r"^[!#-&(-\[\]-~]+\Z")
SECRET_MIN_LENGTH = 6
GENERATED_SECRET_LENGTH = 32


# Set only by a bulk import whose administrator chose to keep a migrated office's
# weak secrets (phones keep working); pages never set it, so a typed secret is
# always held to the strong rule.
_weak_secrets_kept: contextvars.ContextVar[bool] = contextvars.ContextVar("weak_secrets_kept", default=False)


@contextlib.contextmanager
def keeping_weak_secrets():
    """Inside: a weak secret is accepted (its characters are still checked)."""
    token = _weak_secrets_kept.set(True)
    try:
        yield
    finally:
        _weak_secrets_kept.reset(token)


def secret_strength(value: str) -> None:
    """FreePBX's strong-secret rule, checked on the server: 6+ characters, 2 letters, 2 digits."""
    if not _SECRET_CHARS.match(value):
        raise ValidationError(
            "Use printable characters without spaces, quotes or backslashes (\" ' \\).",
            code="secret_chars",
        )
    if value.startswith(">"):
        # Written as `secret=>…`, Asterisk's object syntax, which drops the `>`.
        raise ValidationError("A secret may not start with >.", code="secret_chars")
    if is_weak_secret(value) and not _weak_secrets_kept.get():
        raise ValidationError(
            f"This secret is too weak: use at least {SECRET_MIN_LENGTH} characters "
            "with at least 2 letters and 2 digits.",
            code="weak_secret",
        )


def is_weak_secret(value: str) -> bool:
    """A secret short of the strong rule (whatever its characters)."""
    letters = sum(c.isascii() and c.isalpha() for c in value)
    digits = sum(c.isdigit() for c in value)
    return len(value) < SECRET_MIN_LENGTH or letters < 2 or digits < 2


def generate_secret(length: int = GENERATED_SECRET_LENGTH) -> str:
    """A random secret from the CSPRNG, letters and digits only (safe in every file and phone UI)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if not is_weak_secret(candidate):
            return candidate


# Caller ID as Asterisk reads it: `"Name" <number>`, `Name <number>` or a bare number.
# No two quantifiers may take the same characters: an unquoted name already holds its
# spaces, so only a quoted one is followed by `\s*`. (`[^"<>]*\s*<` tried every split of a
# run of spaces: quadratic, 13.6 s for an 80 KB cell.) Used with fullmatch.
CALLERID = re.compile(r'(?:"[^"<>]*"\s*|[^"<>]*)<[0-9+*#]{1,40}>|[0-9+*#]{1,40}')
# The longest caller ID a field holds (PbxUser.outboundcid, Device.emergency_cid).
CALLERID_MAX_LENGTH = 80


def callerid_format(value: str) -> None:
    if len(value) > CALLERID_MAX_LENGTH:
        # Judged before the pattern, which need not read what is refused anyway.
        raise ValidationError(f"A caller ID has at most {CALLERID_MAX_LENGTH} characters.", code="max_length")
    if not CALLERID.fullmatch(value.strip()):
        raise ValidationError(
            'Write a caller ID as "Name" <number>, Name <number> or just the number.',
            code="callerid",
        )


class SafeCharField(models.CharField):
    """A CharField that refuses line breaks and control characters on every save path.

    A value longer than the field is refused for that alone, before any other check reads
    it: a pattern's time grows with what it is given, and nothing over-long is kept anyway.
    """

    default_validators = [no_control_characters]

    def run_validators(self, value) -> None:
        if isinstance(value, str) and self.max_length is not None and len(value) > self.max_length:
            MaxLengthValidator(self.max_length)(value)
        super().run_validators(value)


# A host name or IPv4 address (no port: that is its own field). IPv6 literals are left out:
# `[` would read as a section header. A trunk's host and a server's AMI and IAX2 hosts.
_HOST = re.compile(
    r"(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*"
)


def host_name(value: str) -> None:
    if not _HOST.fullmatch(value):
        raise ValidationError("Write a host name or an IPv4 address, without a port.", code="host")

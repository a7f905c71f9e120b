"""Where secrets land in the generated files, and config text with every secret masked.

A technology's renderer may say under which keys its secret settings appear in its files
(`SECRET_CONF_KEYS`: PJSIP writes its secret as `password=`) and which of its files hold
them (`SECRET_FILES`; by default all its files when it has a secret setting). The mailbox
file holds every mailbox's PIN. Previews, the Config files diff and the files' modes ask
here; which values are secrets at all is the directory's (`directory/secrets.py`).
"""

import re
from collections.abc import Iterable

from asterisk.render.connectivity.trunks import SECRET_TRUNK_FILES
from asterisk.render.dialplan import FILENAME as DIALPLAN_FILE
from asterisk.render.techs import RENDERERS
from directory.secrets import MASK, secret_settings
from directory.techs import TECHS

# What a diff line of a changed secret says.
CHANGED = "(secret changed)"

SECRET_CONF_KEYS = frozenset(
    key
    for tech, m in RENDERERS.items()
    for key in getattr(m, "SECRET_CONF_KEYS", secret_settings(TECHS[tech]))
)
SECRET_FILES = frozenset(
    name
    for tech, m in RENDERERS.items()
    for name in getattr(m, "SECRET_FILES", m.FILES if secret_settings(TECHS[tech]) else ())
)
# The mailbox file holds every mailbox's PIN (`2001 => pin,name,…`).
VOICEMAIL_FILE = "voicemail_additional.conf"
SECRET_FILES |= {VOICEMAIL_FILE}
# A trunk's `register=>user:secret@host` lines (its sections' secrets are under the keys above).
SECRET_FILES |= SECRET_TRUNK_FILES
# The dialplan holds the outbound routes' PINs (`Authenticate(<pin>)`): readable by Asterisk's
# group only, and the PIN masked wherever the text is shown.
SECRET_FILES |= {DIALPLAN_FILE}
_AUTHENTICATE = re.compile(r"(?P<head>.*?\bAuthenticate\()(?P<pin>[^,)]*)(?P<tail>.*)$", re.IGNORECASE)


def _mask_authenticate(line: str) -> str | None:
    """A line calling `Authenticate(<pin>…)` with the PIN masked; None for any other line."""
    match = _AUTHENTICATE.match(line)
    if match is None or not match["pin"]:
        return None
    return f"{match['head']}{MASK}{match['tail']}"


_REGISTER_LINE = re.compile(
    r"(?P<head>\s*register\s*=>?\s*[^:@\s]*:)(?P<secret>[^@]*)(?P<tail>@.*)?$", re.IGNORECASE
)


def _mask_register(line: str) -> str | None:
    """A `register=>` line with its secret masked; None for any other line."""
    match = _REGISTER_LINE.match(line)
    if match is None:
        return None
    return f"{match['head']}{MASK}{match['tail'] or ''}"


# `key=value` or `key=>value`, as asterisk.render.conf writes them.
# Asterisk reads keys in any case and after white space: a hand-edited ` Secret=…` is a secret too.
_CONF_LINE = re.compile(r"\s*(?P<key>[A-Za-z][\w-]*)\s*=>?")
# Credentials Asterisk accepts that pbxadmin never writes but a hand edit may hold.
_HAND_WRITTEN_SECRET_KEYS = frozenset({"secret", "password", "md5secret", "md5_cred"})
# A mailbox line: `2001 => 1234,Ana Müller,…`; the PIN is the first field.
_MAILBOX_LINE = re.compile(r"(?P<box>\s*[0-9]+\s*=>?\s*)[^,]*(?P<rest>,.*)?$")


def is_secret_file(name: str) -> bool:
    return name in SECRET_FILES


def _secret_key(line: str) -> str | None:
    match = _CONF_LINE.match(line)
    if match and match["key"].lower() in SECRET_CONF_KEYS | _HAND_WRITTEN_SECRET_KEYS:
        return match["key"]
    return None


def mask_conf_text(text: str) -> str:
    """Config file text with the value of every secret line masked."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if key := _secret_key(line):
            lines[i] = f"{key}={MASK}"
        elif (register := _mask_register(line)) is not None:
            lines[i] = register
        elif (pin := _mask_authenticate(line)) is not None:
            lines[i] = pin
    return "\n".join(lines)


# A credential anywhere in a line (a comment `;old password=…`, `Secret = …`).
_ANYWHERE = re.compile(
    # To the end of the line: a secret may hold any character but a line break.
    r"(?P<key>\b(?:" + "|".join(sorted(_HAND_WRITTEN_SECRET_KEYS)) + r"))(?P<sep>\s*=>?\s*)\S.*",
    re.IGNORECASE,
)


def scrub(line: str) -> str:
    """The line with every value after a secret key masked: a hand-edited file can keep one in
    a comment. Values are found by where they stand, never by searching for stored ones (a
    number masked because it equals someone's PIN would tell that PIN)."""
    register = _mask_register(line)
    if register is not None:
        return register
    pin = _mask_authenticate(line)
    if pin is not None:
        return pin
    return _ANYWHERE.sub(lambda m: f"{m['key']}{m['sep']}{MASK}", line)


# What a viewer sees of a line of a secret file as it was edited by hand.
HAND_EDIT_HIDDEN = "(a line as edited by hand: administrators see it, secrets masked)"


def mask_diff(lines: Iterable[str], *, mailboxes: bool = False, hide_hand_edits: bool = False) -> list[str]:
    """A unified diff of config text with no secret value: a changed secret line says so, nothing more.

    Secrets are found by structure: the value of a secret key (`secret=`, `password=`, …) and,
    in the mailbox file (`mailboxes`), a mailbox line's first field, its PIN.
    `hide_hand_edits` (a viewer, a file that holds secrets): the disk's own lines (`-`) are not
    shown at all, since a hand edit can put a secret where no rule finds it (inside a comment,
    glued to other text). The `+` lines are the database's, written by pbxadmin.
    """
    masked = []
    in_hunk = False
    for line in lines:
        # "---"/"+++" are headers only before the first hunk: after it, a line that begins
        # "--" on disk is a removed line like any other.
        in_hunk = in_hunk or line.startswith("@@")
        if line.startswith("@@") or not line or (not in_hunk and line.startswith(("+++", "---"))):
            masked.append(line)
            continue
        prefix, body = line[0], line[1:]
        if hide_hand_edits and prefix == "-":
            masked.append(f"-{HAND_EDIT_HIDDEN}")
            continue
        mailbox = _MAILBOX_LINE.match(body) if mailboxes else None
        if mailbox:
            masked.append(f"{prefix}{mailbox['box']}{MASK}{mailbox['rest'] or ''}")
            continue
        key = _secret_key(body)
        if key is None:
            masked.append(prefix + scrub(body))
        elif prefix in "+-":
            masked.append(f"{prefix}{key}={MASK} {CHANGED}")
        else:
            masked.append(f"{prefix}{key}={MASK}")
    return masked

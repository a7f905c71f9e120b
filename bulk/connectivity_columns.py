"""The CSV files of trunks and routes: their columns and how a cell reads and writes.

- **Inbound routes** are FreePBX Bulk Handler's `dids` file: the columns of FreePBX's
  `incoming` table, in its order, as its export writes them. pbxadmin reads `extension` (the
  DID), `cidnum`, `destination`, `description` and `grppre` (the caller-ID name prefix); the
  others are written with FreePBX's defaults, so its import takes the file, and listed as
  ignored on the way in. A destination is FreePBX's `context,extension,priority`:
  `from-did-direct,<user>,1` rings a user, `ext-local,vmu<user>,1` (or `vmb`, `vms`, `vmi`)
  is the user's voicemail, `app-blackhole,hangup,1` hangs up.
- **Trunks** and **outbound routes** have no Bulk Handler file in FreePBX: pbxadmin's own
  columns, named after the fields. Several dial rules or patterns share one cell, separated by
  spaces, each written `(prepend)prefix|match/callerid` (every part optional: `(1)NXXNXXXXXX`,
  `9|NXXNXXXXXX`, `911`); a route's trunks are their names, in order, separated by spaces.

Cells are only parsed here; every rule is the services'.
"""

import re

from django.core.exceptions import ValidationError

TRUNK_COLUMNS = (
    "name",
    "tech",
    "host",
    "port",
    "username",
    "secret",
    "register",
    "codecs",
    "outbound_cid",
    "force_cid",
    "max_channels",
    "dial_rules",
    "enabled",
    # The server that holds the trunk (bulk/server_column.py): written only while there are
    # several servers; an empty cell leaves a new trunk on the default server, an existing one
    # where it is; another server moves the trunk there.
    "server",
)
ROUTE_COLUMNS = ("name", "patterns", "trunks", "route_cid", "pin", "emergency")
# FreePBX's `incoming` table, in its order: Bulk Handler's dids export and import.
DID_COLUMNS = (
    "cidnum",
    "extension",
    "destination",
    "privacyman",
    "alertinfo",
    "ringing",
    "fanswer",
    "mohclass",
    "description",
    "grppre",
    "delay_answer",
    "pricid",
    "pmmaxretries",
    "pmminlength",
    "reversal",
    "rvolume",
    "indication_zone",
)
DID_USED = frozenset({"cidnum", "extension", "destination", "description", "grppre"})
# What pbxadmin writes in the columns it does not use: FreePBX's defaults for a new route.
DID_DEFAULTS = {
    "privacyman": "0",
    "alertinfo": "",
    "ringing": "",
    "fanswer": "",
    "mohclass": "default",
    "delay_answer": "0",
    "pricid": "",
    "pmmaxretries": "",
    "pmminlength": "",
    "reversal": "",
    "rvolume": "",
    "indication_zone": "default",
}
DID_IGNORED_WHY = {
    name: "a FreePBX inbound-route option pbxadmin does not offer" for name in DID_DEFAULTS
} | {
    "callrecording": "call recording of inbound routes is not in pbxadmin",
    "fax_enable": "fax detection is not in pbxadmin",
    "fax_detection": "fax detection is not in pbxadmin",
    "fax_detectionwait": "fax detection is not in pbxadmin",
    "fax_destination": "fax detection is not in pbxadmin",
}

# The services' field names → the file's columns, for "line 4, column grppre: …".
DID_FIELD_COLUMNS = {
    "did": "extension",
    "cid": "cidnum",
    "cid_name_prefix": "grppre",
    "user": "destination",
    "destination": "destination",
    "description": "description",
}

# --- Destinations (FreePBX's goto: context,extension,priority) ----------------

USER, VOICEMAIL, HANGUP = "user", "voicemail", "hangup"
_TO_USER = re.compile(r"from-did-direct,(?P<user>[0-9]+),1")
_TO_VOICEMAIL = re.compile(r"ext-local,vm[ubsi](?P<user>[0-9]+),1")
_TO_HANGUP = "app-blackhole,hangup,1"


def read_destination(value: str) -> tuple[str, str]:
    """(destination, user number) of a `destination` cell; ValidationError for anything else."""
    value = value.strip().replace(" ", "")
    if match := _TO_USER.fullmatch(value):
        return USER, match["user"]
    if match := _TO_VOICEMAIL.fullmatch(value):
        return VOICEMAIL, match["user"]
    if value == _TO_HANGUP:
        return HANGUP, ""
    raise ValidationError(
        "pbxadmin routes a DID to a user (from-did-direct,<user>,1), a user's voicemail "
        f"(ext-local,vmu<user>,1) or hang-up ({_TO_HANGUP}); {value or 'nothing'} is none of these."
    )


def write_destination(destination: str, user: str | None) -> str:
    if destination == USER and user:
        return f"from-did-direct,{user},1"
    if destination == VOICEMAIL and user:
        return f"ext-local,vmu{user},1"
    # A route whose user was deleted hangs up (the dialplan does the same).
    return _TO_HANGUP


# --- Dial rules and patterns in one cell ------------------------------------

_RULE = re.compile(
    r"(?:\((?P<prepend>[^()|/]*)\))?(?:(?P<prefix>[^()|/]*)\|)?(?P<match>[^()|/]*)(?:/(?P<callerid>[^()|/]*))?"
)


def read_rules(value: str, *, callerid: bool) -> list[dict[str, str]]:
    """`(1)NXXNXXXXXX 9|NXXNXXXXXX/5551XXX` → rules; the parts' characters are the services' to judge."""
    rules = []
    for number, text in enumerate(value.split(), start=1):
        match = _RULE.fullmatch(text)
        if match is None or (match["callerid"] is not None and not callerid):
            form = "(prepend)prefix|match/callerid" if callerid else "(prepend)prefix|match"
            raise ValidationError(f"Rule {number} ({text}): write each as {form}, separated by spaces.")
        rule = {k: match[k] or "" for k in ("prepend", "prefix", "match")}
        if callerid:
            rule["callerid"] = match["callerid"] or ""
        rules.append(rule)
    return rules


def write_rules(rules: list[dict]) -> str:
    texts = []
    for rule in rules:
        text = f"({rule['prepend']})" if rule.get("prepend") else ""
        text += f"{rule['prefix']}|" if rule.get("prefix") else ""
        text += rule.get("match", "")
        if rule.get("callerid"):
            text += f"/{rule['callerid']}"
        texts.append(text)
    return " ".join(texts)


def yes_no(value: bool) -> str:
    return "yes" if value else "no"

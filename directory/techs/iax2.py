"""IAX2 devices: their settings, with FreePBX 17's keys and defaults. Written by
`asterisk/render/techs/iax2.py`."""

from directory.techs.spec import (
    YES_NO,
    Setting,
    accountcode,
    acl_required,
    codecs,
    context,
    host,
    integer,
    secret,
)

TECH = "iax2"
# The one name pages, forms and messages use for this technology.
LABEL = "IAX2"

SETTINGS = (
    Setting("secret", "Secret", check=secret, general=True, secret=True),
    Setting("transfer", "Transfer", "yes", ("yes", "no", "mediaonly")),
    Setting("context", "Context", "from-internal", check=context),
    Setting("host", "Host", "dynamic", check=host),
    Setting("type", "Connection type", "friend", ("friend", "peer", "user")),
    Setting("port", "Port", "4569", check=integer(1, 65535)),
    Setting("qualify", "Qualify", "yes", YES_NO),
    Setting("disallow", "Disallowed codecs", check=codecs),
    Setting("allow", "Allowed codecs", check=codecs),
    Setting("accountcode", "Account code", check=accountcode),
    Setting("requirecalltoken", "Require call token", "", ("", "yes", "no", "auto")),
    Setting("deny", "Deny", "0.0.0.0/0.0.0.0", check=acl_required),
    Setting("permit", "Permit", "0.0.0.0/0.0.0.0", check=acl_required),
)


def dial(device_id: str, settings: dict[str, str]) -> str:
    return f"IAX2/{device_id}"

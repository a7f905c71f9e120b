"""IAX2 devices: sections in iax_additional.conf, as FreePBX 17 writes them
(`asterisk/tests/data/freepbx17-ext100/iax_additional.conf`), with
`callerid=device <id>` and REALCALLERIDNUM carrying the number."""

from asterisk.render.conf import Section
from directory.techs.base import DeviceRow, device_callerid, split_amp
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
FILES = ("iax_additional.conf",)
RELOAD_MODULE = "chan_iax2.so"

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


def render(row: DeviceRow) -> dict[str, list[Section]]:
    s = row.settings
    top = [("deny", v) for v in reversed(split_amp(s["deny"]))]
    if s["disallow"]:
        top.append(("disallow", s["disallow"]))
    items = [(k, s[k]) for k in ("transfer", "host", "type", "port", "qualify")]
    items += [("allow", codec) for codec in split_amp(s["allow"])]
    items.append(("accountcode", s["accountcode"]))
    if s["requirecalltoken"]:
        items.append(("requirecalltoken", s["requirecalltoken"]))
    # Without it Asterisk treats an IAX2 device that sends no caller ID as
    # "caller ID hidden"; FreePBX 17 writes it empty (a bug), 2.11 and we the number.
    items.append(("setvar", f"REALCALLERIDNUM={row.id}"))
    items += [("permit", v) for v in split_amp(s["permit"])]
    items += [
        ("dial", row.dial),
        ("secret", s["secret"]),
        ("context", s["context"]),
        ("mailbox", row.mailbox),
        ("callerid", device_callerid(row.id)),
        # Written empty by FreePBX; chan_iax2 has no such option.
        ("outbound_proxy", ""),
    ]
    return {"iax_additional.conf": [Section(row.id, top + items)]}

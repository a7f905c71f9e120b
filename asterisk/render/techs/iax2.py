"""IAX2 devices written: sections in iax_additional.conf, as FreePBX 17 writes them
(`asterisk/tests/data/freepbx17-ext100/iax_additional.conf`), with
`callerid=device <id>` and REALCALLERIDNUM carrying the number."""

from asterisk.render.conf import Section
from asterisk.render.techs.base import DeviceRow, device_callerid, split_amp
from directory.techs import iax2 as spec

TECH = spec.TECH
FILES = ("iax_additional.conf",)
RELOAD_MODULE = "chan_iax2.so"


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

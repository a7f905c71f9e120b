"""DAHDI analogue and digital channels written: blocks in chan_dahdi_additional.conf.

These are not sections: chan_dahdi reads the file inside its [channels]
context, and each `channel=>N` line creates a channel with the options above
it. FreePBX marks each device with a `;;;;;;[id]` comment.
"""

from asterisk.render.conf import Section
from asterisk.render.techs.base import DeviceRow, device_callerid
from directory.techs import dahdi as spec

TECH = spec.TECH
FILES = ("chan_dahdi_additional.conf",)
RELOAD_MODULE = "chan_dahdi.so"
_PLAIN = ("context", "immediate", "signalling", "echocancel", "echocancelwhenbridged",
          "echotraining", "busydetect", "busycount", "callprogress", "accountcode",
          "callgroup", "pickupgroup")  # fmt: skip


def render(row: DeviceRow) -> dict[str, list[Section]]:
    s = row.settings
    items = [(k, s[k]) for k in _PLAIN]
    items += [
        ("mailbox", row.mailbox),
        ("callerid", device_callerid(row.id)),
        ("channel", s["channel"]),
    ]
    section = Section(row.id, items, commented_header=True, arrow_keys=frozenset({"channel"}))
    return {"chan_dahdi_additional.conf": [section]}

"""DAHDI analogue and digital channels: their settings. Written by
`asterisk/render/techs/dahdi.py` (blocks in chan_dahdi_additional.conf).
"""

from directory.techs.spec import YES_NO, Setting, accountcode, call_groups, context, integer

TECH = "dahdi"
# The one name pages, forms and messages use for this technology.
LABEL = "DAHDI"

_SIGNALLING = (
    "fxo_ks", "fxo_ls", "fxo_gs", "fxs_ks", "fxs_ls", "fxs_gs",
    "em", "em_w", "featd", "featdmf", "featb", "pri_cpe", "pri_net", "bri_cpe", "bri_net",
)  # fmt: skip


def _yes_no_or_number(low: int, high: int):
    number = integer(low, high)

    def check(value: str) -> str:
        return value if value in YES_NO else number(value)

    return check


SETTINGS = (
    Setting("channel", "DAHDI channel", check=integer(1, 4096), general=True,
            help="The DAHDI channel number of the port this phone is on."),
    Setting("context", "Context", "from-internal", check=context),
    Setting("immediate", "Immediate", "no", YES_NO),
    Setting("signalling", "Signalling", "fxo_ks", _SIGNALLING),
    Setting("echocancel", "Echo cancel", "yes", check=_yes_no_or_number(32, 1024)),
    Setting("echocancelwhenbridged", "Echo cancel when bridged", "no", YES_NO),
    Setting("echotraining", "Echo training", "800", check=_yes_no_or_number(10, 4000)),
    Setting("busydetect", "Busy detect", "no", YES_NO),
    Setting("busycount", "Busy count", "7", check=integer(1, 100)),
    Setting("callprogress", "Call progress", "no", YES_NO),
    Setting("accountcode", "Account code", check=accountcode),
    Setting("callgroup", "Call groups", check=call_groups),
    Setting("pickupgroup", "Pickup groups", check=call_groups),
)  # fmt: skip


def dial(device_id: str, settings: dict[str, str]) -> str:
    return f"DAHDI/{settings['channel']}"

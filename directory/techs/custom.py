"""Custom devices: a dial string the administrator types, and no config file."""

from asterisk.render.conf import Section
from directory.techs.base import DeviceRow

TECH = "custom"
# The one name pages, forms and messages use for this technology.
LABEL = "Custom"
FILES: tuple[str, ...] = ()
RELOAD_MODULE = None
SETTINGS = ()


def dial(device_id: str, settings: dict[str, str]) -> str:
    raise ValueError("a custom device's dial string is typed, not derived")


def render(row: DeviceRow) -> dict[str, list[Section]]:
    return {}

"""Custom devices: a dial string the administrator types, and no config file."""

from asterisk.render.conf import Section
from asterisk.render.techs.base import DeviceRow
from directory.techs import custom as spec

TECH = spec.TECH
FILES: tuple[str, ...] = ()
RELOAD_MODULE = None


def render(row: DeviceRow) -> dict[str, list[Section]]:
    return {}

"""Which rows planner reads which kind of file."""

from bulk.extension_rows import ExtensionRows
from bulk.rows import DeviceRows, Rows, UserRows

HANDLERS: dict[str, type[Rows]] = {"extensions": ExtensionRows, "users": UserRows, "devices": DeviceRows}

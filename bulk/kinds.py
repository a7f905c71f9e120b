"""Which rows planner reads which kind of file."""

from bulk.connectivity_rows import DidRows, OutboundRouteRows, TrunkRows
from bulk.extension_rows import ExtensionRows
from bulk.rows import DeviceRows, Rows, UserRows

HANDLERS: dict[str, type[Rows]] = {
    "extensions": ExtensionRows,
    "users": UserRows,
    "devices": DeviceRows,
    "trunks": TrunkRows,
    "routes": OutboundRouteRows,
    "dids": DidRows,
}

"""Export trunks, outbound routes (in the order they are tried) and inbound routes (FreePBX
Bulk Handler's dids file), so each imports back without loss (`bulk/connectivity_rows.py`)."""

from collections.abc import Iterator

from bulk.connectivity_columns import (
    DID_COLUMNS,
    DID_DEFAULTS,
    ROUTE_COLUMNS,
    TRUNK_COLUMNS,
    write_destination,
    write_rules,
    yes_no,
)
from bulk.csvfile import write_table
from bulk.server_column import SERVER_COLUMN, server_cell, with_server_column
from directory.connectivity.selectors import inbound_route_list, outbound_route_list, trunk_list

# Taken out of a file without secrets (not blanked: importing it back keeps what there is).
SECRET_COLUMNS = frozenset({"secret", "pin"})


def _keep(columns, with_secrets: bool) -> list[str]:
    return [c for c in columns if with_secrets or c not in SECRET_COLUMNS]


def export_trunks(*, with_secrets: bool) -> Iterator[str]:
    def rows():
        for trunk in trunk_list():
            cells = {
                "name": trunk.name,
                "tech": trunk.tech,
                "host": trunk.host,
                "port": "" if trunk.port is None else str(trunk.port),
                "username": trunk.username,
                "register": yes_no(trunk.register),
                "codecs": trunk.codecs,
                "outbound_cid": trunk.outbound_cid,
                "force_cid": yes_no(trunk.force_cid),
                "max_channels": str(trunk.max_channels),
                "dial_rules": write_rules(trunk.dial_rules),
                "enabled": yes_no(trunk.enabled),
                **server_cell(trunk),
            }
            if with_secrets:
                cells["secret"] = trunk.secret
            yield cells

    columns = [c for c in _keep(TRUNK_COLUMNS, with_secrets) if c != SERVER_COLUMN]
    return write_table(with_server_column(columns), rows())


def export_routes(*, with_secrets: bool) -> Iterator[str]:
    def rows():
        for route in outbound_route_list():
            cells = {
                "name": route.name,
                "patterns": write_rules(route.patterns),
                "trunks": " ".join(step.trunk.name for step in route.sequence),
                "route_cid": route.route_cid,
                "emergency": yes_no(route.emergency),
            }
            if with_secrets:
                cells["pin"] = route.pin
            yield cells

    return write_table(_keep(ROUTE_COLUMNS, with_secrets), rows())


def export_dids() -> Iterator[str]:
    """Bulk Handler's dids file: FreePBX's columns, its defaults where pbxadmin has nothing."""

    def rows():
        for route in inbound_route_list():
            yield {
                **DID_DEFAULTS,
                "cidnum": route.cid,
                "extension": route.did,
                "destination": write_destination(route.destination, route.user_id),
                "description": route.description,
                "grppre": route.cid_name_prefix,
            }

    return write_table(list(DID_COLUMNS), rows())

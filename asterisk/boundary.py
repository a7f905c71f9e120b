"""The Asterisk boundary's one door: everything outside `asterisk/` imports this module only.

Inside, the boundary renders the config files from the directory's rows, writes them, keeps
AstDB and the running dialplan in step over AMI, sends the reloads, listens to Asterisk's
events for the phones' states and answers the phones' hot-desk calls (FastAGI). Outside, the
directory's services only say what changed (`directory.announce`, which the boundary subscribes
to), and the pages, the API, the imports and the project use the names below. An import-linter
contract keeps it so (`.importlinter`).
"""

from asterisk.banner import BANNER_STATES, Banner, ServerState, ago, banner, server_states, sync_report
from asterisk.config_files import (
    config_files,
    device_preview,
    inbound_route_preview,
    outbound_route_preview,
    rewrite_file,
    trunk_preview,
)
from asterisk.files import conf_dir
from asterisk.models import PhoneState, RegistrationState
from asterisk.outbox import batch
from asterisk.phone_status import DEVICE_ID
from asterisk.selectors import (
    LINK_STATES,
    PHONE_STATE_FILTERS,
    States,
    as_json_with_last_known,
    device_states,
    host_port,
    only_down,
    recent_changes,
    with_phone_state,
)
from asterisk.tasks import default_server_queue, recover, request_sync, server_queues
from asterisk.trunk_status import TrunkState, trunk_registration_states

__all__ = [
    "BANNER_STATES",
    "DEVICE_ID",
    "LINK_STATES",
    "PHONE_STATE_FILTERS",
    "Banner",
    "PhoneState",
    "RegistrationState",
    "ServerState",
    "States",
    "TrunkState",
    "ago",
    "as_json_with_last_known",
    "banner",
    "batch",
    "conf_dir",
    "config_files",
    "default_server_queue",
    "device_preview",
    "device_states",
    "host_port",
    "inbound_route_preview",
    "only_down",
    "outbound_route_preview",
    "recent_changes",
    "recover",
    "request_sync",
    "rewrite_file",
    "server_queues",
    "server_states",
    "sync_report",
    "trunk_preview",
    "trunk_registration_states",
    "with_phone_state",
]

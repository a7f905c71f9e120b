"""What the boundary keeps in the database: the outbox, what Asterisk holds, the link's status,
and the phones' states."""

from asterisk.models.outbox import AstdbEntry, AstdbEntryQuerySet, DialplanEntry, SyncChange
from asterisk.models.phones import (
    ListenerState,
    ListenerStatus,
    PhoneState,
    PhoneStatus,
    PhoneStatusChange,
    PhoneUsage,
)
from asterisk.models.status import STALE_REQUEST, ErrorKind, SyncStatus
from asterisk.models.trunks import RegistrationState, TrunkRegistration

__all__ = [
    "STALE_REQUEST",
    "AstdbEntry",
    "AstdbEntryQuerySet",
    "DialplanEntry",
    "ErrorKind",
    "ListenerState",
    "ListenerStatus",
    "PhoneState",
    "PhoneStatus",
    "PhoneStatusChange",
    "PhoneUsage",
    "RegistrationState",
    "SyncChange",
    "SyncStatus",
    "TrunkRegistration",
]

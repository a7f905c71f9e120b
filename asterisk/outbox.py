"""The one call business code makes: `changed(users=…, devices=…)`, inside its transaction.

It records in the outbox which users and devices changed and which config
files that touches, in the same transaction as the change (a rollback records
nothing). After the commit a sync run is asked for (`asterisk.tasks.request_sync`):
a worker writes the files, pushes AstDB and the dialplan and sends the reloads.
The web process writes nothing under ASTERISK_CONF_DIR. If the request is lost
(the process dies, the broker is down), the rows are still there and the next
run (another save, the periodic check, a worker's start, `writeconf`,
`asterisk_sync`) does the work.

Inside `batch()` (a bulk import) the calls only collect the users and devices,
and the block records them all at its end: one query for the files, one insert,
one callback, instead of those for each row.

Each row is for one server (README "Several servers"). A user or device changed in "anything"
(fields None: created, deleted, moved to another server) is recorded on EVERY server: each
works out what it must hold for it (its keys if the object is its own, a route to the other
server if not, nothing if it is gone). A change of some fields is recorded on the object's own
server only. The SIP settings, trunks, routes and servers concern every server.
"""

import contextlib
import contextvars
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

from asterisk.files import files_for, files_for_routes, files_for_sip_settings, files_for_trunks
from asterisk.models import SyncChange
from asterisk.render.dialplan import FILENAME as DIALPLAN_FILE
from asterisk.tasks import request_sync
from directory.devices.models import Device
from directory.servers.models import Server
from directory.users.models import PbxUser

# The file that holds the IAX2 trunks between the servers (asterisk/render writes it).
IAX_FILE = "iax_additional.conf"

# What changed of a user or a device: field names (a device's settings as `settings.<key>`),
# or None for anything (a creation, a deletion, a move between users).
Fields = set[str] | None


def _union(a: Fields, b: Fields) -> Fields:
    return None if a is None or b is None else a | b


@dataclass
class _Changes:
    users: set[str] = field(default_factory=set)
    devices: set[str] = field(default_factory=set)
    # Nothing seen yet: the empty set (a union with it is the other side).
    user_fields: Fields = field(default_factory=set)
    device_fields: Fields = field(default_factory=set)


# Each thread starts with no batch (a context variable is per thread, as audit.trail's).
_batch: contextvars.ContextVar[_Changes | None] = contextvars.ContextVar("outbox_batch", default=None)


def changed(
    *, users: Iterable[str] = (), devices: Iterable[str] = (), fields: Iterable[str] | None = None
) -> None:
    """Say that these users and devices changed (or were created, or deleted) in this transaction.

    `fields`, given with users only or devices only, names what changed of them (the field
    names of the service's change list): only the files that read one of them are rewritten.
    None (the default) is anything.
    """
    users = {str(u) for u in users if u}
    devices = {str(d) for d in devices if d}
    fields = None if fields is None or (users and devices) else set(fields)
    user_fields = fields if users else set()
    device_fields = fields if devices else set()
    pending = _batch.get()
    if pending is None:
        _record(users, devices, user_fields, device_fields)
    else:
        pending.users |= users
        pending.devices |= devices
        pending.user_fields = _union(pending.user_fields, user_fields)
        pending.device_fields = _union(pending.device_fields, device_fields)


@contextlib.contextmanager
def batch():
    """Collect what `changed()` is told inside the block and record it once, at its end.

    The block is a transaction of its own (a savepoint inside the caller's): the
    rows are written inside it, only when it ends normally, so an exception out
    of the block takes its changes and records nothing. A batch inside a batch
    adds to the outer one. A block inside that rolls back while the batch goes
    on (a savepoint caught by the caller) keeps its users and devices in the
    batch: they are recorded as changed though nothing of theirs did, which
    costs a look and no write (files and keys are computed from the database).
    """
    if _batch.get() is not None:
        yield
        return
    pending = _Changes()
    with transaction.atomic():
        token = _batch.set(pending)
        try:
            yield
        finally:
            _batch.reset(token)
        _record(pending.users, pending.devices, pending.user_fields, pending.device_fields)


def _servers() -> list[int]:
    return list(Server.objects.values_list("pk", flat=True))


def _by_server(model, refs: set[str], fields: Fields, every: list[int]) -> dict[int, set[str]]:
    """Which servers to record these objects on: every server for "anything" (fields None), else
    each object's own server (one that is gone already: every server)."""
    if not refs:
        return {}
    if fields is None or len(every) == 1:
        return {server: set(refs) for server in every}
    placed: dict[int, set[str]] = {}
    found = set()
    ordered = sorted(refs)
    for start in range(0, len(ordered), 1000):
        chunk = ordered[start : start + 1000]
        for pk, server in model.objects.filter(pk__in=chunk).values_list("pk", "server_id"):
            placed.setdefault(server, set()).add(str(pk))
            found.add(str(pk))
    for server in every:
        placed.setdefault(server, set()).update(refs - found)
    return placed


def _record(users: set[str], devices: set[str], user_fields: Fields, device_fields: Fields) -> None:
    if not users and not devices:
        return
    every = _servers()
    users_on = _by_server(PbxUser, users, user_fields, every)
    devices_on = _by_server(Device, devices, device_fields, every)
    rows = []
    names_for: dict[tuple, set[str]] = {}
    for server in every:
        on_users, on_devices = users_on.get(server, set()), devices_on.get(server, set())
        if not on_users and not on_devices:
            continue
        rows += [SyncChange(server_id=server, kind=SyncChange.Kind.USER, ref=u) for u in sorted(on_users)]
        rows += [SyncChange(server_id=server, kind=SyncChange.Kind.DEVICE, ref=d) for d in sorted(on_devices)]
        # A batch's union can pass files_for's 500 objects: then it names every file
        # (only those whose text changes are written). Asked once for the same objects.
        key = (frozenset(on_users), frozenset(on_devices))
        if key not in names_for:
            names_for[key] = files_for(
                on_users, on_devices, user_fields=user_fields, device_fields=device_fields
            )
        rows += [
            SyncChange(server_id=server, kind=SyncChange.Kind.FILE, ref=f) for f in sorted(names_for[key])
        ]
    # A whole import's rows: in statements of a bounded size on every database.
    SyncChange.objects.bulk_create(rows, batch_size=1000)
    # A savepoint that rolls back takes its callback with it; several calls in one transaction
    # ask once (the first request marks a run as asked for, the others find it so).
    transaction.on_commit(request_sync, robust=True)


def sip_settings_changed() -> None:
    """Say that the SIP settings changed in this transaction: their files and the devices' transports follow."""
    _record_files(files_for_sip_settings())


def _record_files(names: set[str]) -> None:
    """These files, on every server."""
    SyncChange.objects.bulk_create(
        [
            SyncChange(server_id=server, kind=SyncChange.Kind.FILE, ref=f)
            for server in _servers()
            for f in sorted(names)
        ]
    )
    transaction.on_commit(request_sync, robust=True)


def servers_changed() -> None:
    """Say that servers were created, edited or deleted in this transaction: every server
    rewrites its IAX2 trunks to the others and its dialplan (which routes to them)."""
    _record_files({IAX_FILE, DIALPLAN_FILE})


def trunks_changed(*, techs: Iterable[str], fields: Iterable[str] | None = None) -> None:
    """Say that trunks of these technologies changed in this transaction (`fields` of them;
    None: anything): their technologies' files and, when it reads what changed, the dialplan."""
    _record_files(files_for_trunks(set(techs), None if fields is None else set(fields)))


def routes_changed() -> None:
    """Say that outbound or inbound routes changed in this transaction: the dialplan follows."""
    _record_files(files_for_routes())

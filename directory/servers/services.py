"""Business operations on the Asterisk servers: create, change, delete, make the default; and
the server a page, the API or a file names for a new user or device, or a user's move.

One service per operation, each one transaction that records its audit entry and tells the
Asterisk boundary that the servers changed (`announce.servers_changed()`: every server
rewrites its IAX2 peers and its dialplan). Pages, the API and commands call these and
nothing else.

The AMI secret and the IAX2 secret are write-only: no page, answer, export or log holds
them (the audit log records them as "changed"). The IAX2 secret is made here from the
CSPRNG (`secrets`, through `generate_iax_secret`) and is never typed. Every field that
reaches a config file or an AMI action is judged by the model's validators (whitelists:
`directory/servers/models.py`), so nothing can inject a line, a section or a header.
"""

import copy
import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from audit import trail
from directory import announce
from directory.errors import ErrorCollector
from directory.servers import moves
from directory.servers.models import Server, generate_iax_secret
from directory.versions import StaleVersion

# What an administrator may set on a server. The secrets: `ami_secret` is typed (blank on a
# change keeps it, None removes it: the AMI_SECRET setting is used); the IAX2 secret is only
# ever made anew (`new_iax_secret=True` on a change).
SERVER_FIELDS = (
    "name",
    "ami_host",
    "ami_port",
    "ami_username",
    "ami_secret",
    "conf_dir",
    "iax_host",
    "iax_port",
)
SECRET_FIELDS = frozenset({"ami_secret", "iax_secret"})
# The fields a server's version is made of: everything shown, never a secret.
_VERSIONED = (*(f for f in SERVER_FIELDS if f not in SECRET_FIELDS), "is_default")

Changes = dict[str, tuple[object, object]]


def _unknown(fields: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"unexpected server fields {sorted(unknown)}")


def _strip(fields: dict) -> dict:
    # Never a secret: one typed with a space is refused by its rule, not saved as something else.
    return {k: v.strip() if isinstance(v, str) and k not in SECRET_FIELDS else v for k, v in fields.items()}


def _port(value, field: str, errors: ErrorCollector) -> None:
    if value is not None and not (
        isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535
    ):
        errors.add(field, ValidationError("A port is 1 to 65535.", code="port"))


def _rules(server: Server, errors: ErrorCollector) -> None:
    _port(server.ami_port, "ami_port", errors)
    if not server.is_default and not server.ami_host:
        # Blank connection fields mean this host's settings: only the default server may lean
        # on them, or a second server's runs would log in to (and write files for) the first's.
        errors.add(
            "ami_host",
            ValidationError("Give the address of this server's Asterisk Manager (AMI).", code="required"),
        )
    if server.iax_port is None:
        errors.add("iax_port", ValidationError("Give the IAX2 port (usually 4569).", code="required"))
    else:
        _port(server.iax_port, "iax_port", errors)
    exclude = [f for f in ("ami_port", "iax_port") if f in errors.errors]
    errors.collect(server.full_clean, exclude=exclude, validate_unique=False)
    if "name" not in errors.errors:
        taken = Server.objects.filter(name=server.name).exclude(pk=server.pk)
        if taken.exists():
            errors.add(
                "name", ValidationError(f"A server named {server.name} already exists.", code="in_use")
            )


def _changes(before: Server, after: Server) -> Changes:
    return {
        n: (getattr(before, n), getattr(after, n))
        for n in (*SERVER_FIELDS, "iax_secret")
        if getattr(before, n) != getattr(after, n)
    }


def build_server(*, name: str, **fields) -> Server:
    """Validate a new server without saving it; its IAX2 secret is made from the CSPRNG."""
    _unknown(fields, SERVER_FIELDS)
    fields = _strip({"name": name, **fields})
    if fields.get("ami_secret") is None:
        fields["ami_secret"] = ""
    if fields.get("iax_port", 0) is None:
        del fields["iax_port"]  # the default
    server = Server(**fields, iax_secret=generate_iax_secret(), is_default=False)
    errors = ErrorCollector()
    _rules(server, errors)
    errors.raise_if_any()
    return server


@transaction.atomic
@trail.operation()
def server_create(*, name: str, **fields) -> Server:
    """Add a server. Fields: SERVER_FIELDS (blank connection fields: the settings' values)."""
    server = build_server(name=name, **fields)
    server.save(force_insert=True)
    trail.created(server)
    announce.servers_changed()
    return server


def server_update_check(*, server: Server, new_iax_secret: bool = False, **fields) -> tuple[Server, Changes]:
    """Validate a change without saving it: the changed server, and each field that changes.
    A blank `ami_secret` keeps the one there is (write-only: no form shows it); None removes
    it (the AMI_SECRET setting is used again)."""
    _unknown(fields, SERVER_FIELDS)
    fields = _strip(fields)
    if fields.get("ami_secret") == "":
        del fields["ami_secret"]
    elif "ami_secret" in fields and fields["ami_secret"] is None:
        fields["ami_secret"] = ""
    if "name" in fields and fields["name"] != server.name:
        # Its queue (pbx.<name>), its workers' -Q and the other servers' trunk to it are named
        # after it: a new name would strand the runs queued for the old one.
        raise ValidationError(
            {
                "name": ValidationError(
                    "A server's name cannot change: its worker's queue and the trunks to it are "
                    "named after it. Add a server with the new name and move the users to it.",
                    code="immutable",
                )
            }
        )
    moved = any(f in fields and fields[f] != getattr(server, f) for f in ("ami_host", "ami_port"))
    if moved and server.ami_secret and "ami_secret" not in fields:
        # The saved secret is never sent to an address it was not typed for.
        raise ValidationError(
            {
                "ami_secret": ValidationError(
                    "Type the AMI secret again: the AMI host or port changes.", code="required"
                )
            }
        )
    updated = copy.copy(server)
    for key, value in fields.items():
        setattr(updated, key, value)
    if new_iax_secret:
        updated.iax_secret = generate_iax_secret()
    errors = ErrorCollector()
    _rules(updated, errors)
    errors.raise_if_any()
    return updated, _changes(server, updated)


def server_version(server: Server) -> str:
    """A short digest of what the server shows (never its secrets): its ETag, its form's version."""
    digest = hashlib.sha256(f"servers.Server:{server.pk}".encode())
    for name in _VERSIONED:
        digest.update(f"\n{name}={getattr(server, name)!r}".encode())
    return digest.hexdigest()[:24]


def _check_version(expected, server: Server) -> None:
    if expected is None:
        return
    version = server_version(server)
    if version not in ({expected} if isinstance(expected, str) else set(expected)):
        raise StaleVersion(f"Server {server.name}", version=version, current=(server,))


@transaction.atomic
@trail.operation()
def server_update(*, server: Server, expected_version=None, new_iax_secret: bool = False, **fields) -> Server:
    """Change a server's name or connection. `new_iax_secret`: make its IAX2 secret anew (the
    trunks to every other server change with it)."""
    server = Server.objects.select_for_update().get(pk=server.pk)
    _check_version(expected_version, server)
    before = trail.snapshot(server)
    updated, changes = server_update_check(server=server, new_iax_secret=new_iax_secret, **fields)
    if changes:
        updated.save()
        trail.changed(before, updated)
        announce.servers_changed()
    return updated


def _in_use(server: Server) -> str:
    users = server.users.count()
    devices = server.devices.count()
    parts = [f"{users} user{'s' if users != 1 else ''}"] if users else []
    parts += [f"{devices} device{'s' if devices != 1 else ''}"] if devices else []
    trunks = server.trunks.count()
    parts += [f"{trunks} trunk{'s' if trunks != 1 else ''}"] if trunks else []
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)


@transaction.atomic
@trail.operation()
def server_delete(*, server: Server) -> None:
    """Remove a server; refused for the default (and so the last) server, and while users or
    devices or carrier trunks are on it (the message says how many: move them first)."""
    server = Server.objects.select_for_update().get(pk=server.pk)
    if server.is_default:
        raise ValidationError(
            f"Server {server.name} is the default server: make another server the default first.",
            code="default",
        )
    if Server.objects.count() <= 1:
        raise ValidationError("The last server cannot be removed.", code="last")
    in_use = _in_use(server)
    if in_use:
        raise ValidationError(
            f"Server {server.name} still has {in_use}: move them to another server first.", code="in_use"
        )
    try:
        with transaction.atomic():
            Server.objects.filter(pk=server.pk).delete()
    except ProtectedError:
        # A user or device arrived on it since the count (another transaction committed it).
        raise ValidationError(
            f"Server {server.name} still has users, devices or trunks: move them to another server first.",
            code="in_use",
        ) from None
    trail.deleted(server)
    announce.servers_changed()


@transaction.atomic
@trail.operation()
def server_set_default(*, server: Server) -> Server:
    """Make `server` the default: new users and devices land on it, code naming no server works for it."""
    servers = list(Server.objects.select_for_update().order_by("pk"))
    chosen = next((s for s in servers if s.pk == server.pk), None)
    if chosen is None:
        raise ValidationError("No such server.", code="invalid")
    if chosen.is_default:
        return chosen
    for old in (s for s in servers if s.is_default):
        before = trail.snapshot(old)
        Server.objects.filter(pk=old.pk).update(is_default=False)
        old.is_default = False
        trail.changed(before, old)
    before = trail.snapshot(chosen)
    Server.objects.filter(pk=chosen.pk).update(is_default=True)
    chosen.is_default = True
    trail.changed(before, chosen)
    announce.servers_changed()
    return chosen


# --- The server a page, the API or a file names ------------------------------


def server_named(name) -> Server:
    """The server called `name` (a page's choice, an API field, a CSV cell); a clear error else."""
    if isinstance(name, Server):
        return name
    value = str(name or "").strip().lower()
    server = Server.objects.filter(name=value).first() if value else None
    if server is None:
        names = ", ".join(Server.objects.order_by("name").values_list("name", flat=True))
        raise ValidationError(
            {"server": ValidationError(f"No server named {name}. Servers: {names}.", code="invalid")}
        )
    return server


def create_on(*, create, server=None, **fields):
    """`create(**fields)` (extension_create, user_create or device_create) on `server`, a Server
    or its name. None or empty: the service's own choice (the default server; a device: its
    default user's)."""
    target = server_named(server) if server not in (None, "") else None
    return create(server=target, **fields)


def move_user(*, user, server, expected_version=None):
    """Move `user` (with their fixed devices) to `server`: `directory.servers.moves.move_user`."""
    return moves.move_user(extension=user.pk, server=server, expected_version=expected_version)


@transaction.atomic
@trail.operation()
def update_on(*, update, user, server=None, **fields):
    """`update(user=user, **fields)` (extension_update or user_update), then, when `server` (a
    Server or its name) is not the user's, the move there: one transaction, all or nothing."""
    target = server_named(server) if server not in (None, "") else None
    updated = update(user=user, **fields)
    if target is not None and target.pk != updated.server_id:
        updated = move_user(user=updated, server=target)
    return updated

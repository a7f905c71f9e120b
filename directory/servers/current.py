"""Which server the code at hand works for.

The Asterisk side does every run for ONE server: a task enters `using(server)` and everything
beneath it (the AMI configuration, the conf dir, the mirrors, the status row) reads `current()`.
Outside any `using()`, `current()` is the default server, so code that names no server keeps
today's single-PBX behaviour. The value lives in a contextvar: each thread has its own.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import IntegrityError, transaction

from directory.servers.models import DEFAULT_NAME, Server

_current: ContextVar[Server | None] = ContextVar("pbxadmin_server", default=None)


def default() -> Server:
    """The default server. A migration creates it; if a test's flush removed it, it is made again."""
    server = Server.objects.filter(is_default=True).first()
    if server is not None:
        return server
    try:
        with transaction.atomic():
            server, _ = Server.objects.get_or_create(name=DEFAULT_NAME, defaults={"is_default": True})
    except IntegrityError:
        # Another thread made it at the same moment.
        return Server.objects.get(is_default=True)
    if not server.is_default:
        # A `main` there is, but no default: it becomes the default again.
        Server.objects.filter(pk=server.pk).update(is_default=True)
        server.is_default = True
    return server


def default_id() -> int:
    """The default server's id: the default of PbxUser.server and Device.server."""
    return default().pk


def current() -> Server:
    """The server in use (`using()`), else the default one."""
    server = _current.get()
    return server if server is not None else default()


@contextmanager
def using(server: Server) -> Iterator[Server]:
    """Work for `server` inside the block (nested blocks restore the outer server on leaving)."""
    token = _current.set(server)
    try:
        yield server
    finally:
        _current.reset(token)


def current_id() -> int:
    """The id of the server in use: the default of every per-server row the Asterisk side writes."""
    return current().pk


def use_in_this_thread(server: Server) -> None:
    """Work for `server` from now on in this thread (a worker thread that serves one server only)."""
    _current.set(server)

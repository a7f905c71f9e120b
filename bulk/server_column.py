"""The `server` column of the extensions, users and devices files: the Asterisk server a row's
user or device lives on, by name.

An empty cell (or no column) leaves a new row on the default server (a device alone: where its
default user lives) and an existing one where it is. A name no server has is a row error naming
the servers there are. On an existing user (an extension, a users file's row) another server
moves the user with their fixed devices (`directory.servers.services.update_on`); a device alone
moves with its user, so a devices file's row naming another server is refused. Exports write the
column only while there are several servers: a single-PBX file is as it always was.
"""

from django.core.exceptions import ValidationError

from directory.servers.models import Server
from directory.servers.selectors import several
from directory.servers.services import server_named

SERVER_COLUMN = "server"


class ServerCells:
    """Reads a file's `server` cells, with the servers loaded once per import."""

    def __init__(self) -> None:
        self._by_name: dict[str, Server] | None = None

    def read(self, cells: dict[str, str]) -> tuple[Server | None, list[tuple[str, str]]]:
        """The server a row names (None: none named) and the row's problem with it, if any."""
        name = cells.get(SERVER_COLUMN, "").strip()
        if not name:
            return None, []
        if self._by_name is None:
            self._by_name = {s.name: s for s in Server.objects.all()}
        server = self._by_name.get(name.lower())
        if server is not None:
            return server, []
        try:
            server_named(name)
        except ValidationError as e:
            return None, [(SERVER_COLUMN, " ".join(e.messages))]
        return server_named(name), []  # made since the servers were loaded


def is_elsewhere(server: Server | None, obj) -> bool:
    """Whether a row names a server other than the one `obj` is on now."""
    return server is not None and server.pk != obj.server_id


def with_server_column(columns: list[str]) -> list[str]:
    """An export's columns, with `server` last while there are several servers."""
    return [*columns, SERVER_COLUMN] if several() else columns


def server_cell(obj) -> dict[str, str]:
    return {SERVER_COLUMN: obj.server.name}

"""Choosing servers from a command line: `--server NAME`, or every server."""

from django.core.management.base import CommandError

from directory.servers.models import Server


def add_server_argument(parser, *, what: str) -> None:
    parser.add_argument(
        "--server", metavar="NAME", help=f"{what} this server only (its name); default: every server"
    )


def chosen_servers(name: str | None) -> list[Server]:
    """The server called `name`, or every server (the default one first)."""
    servers = list(Server.objects.all())
    if name is None:
        return servers
    chosen = [server for server in servers if server.name == name]
    if not chosen:
        known = ", ".join(server.name for server in servers)
        raise CommandError(f"There is no server called {name!r} (there are: {known}).")
    return chosen

import asyncio
import contextlib
import signal

from django import db
from django.core.management.base import BaseCommand, CommandError

from asterisk.ami import AmiConfig
from asterisk.listener import Listener
from directory.servers.models import Server

# How often the servers are looked at again: a server added, removed or given another AMI
# account is followed (or no longer) within this many seconds, without a restart.
SERVERS_EVERY = 10.0


class Command(BaseCommand):
    help = (
        "Follow Asterisk's AMI events and keep each phone's state (registered, address, user agent, "
        "in use) for the pages and device_status: one connection per server (--server: only that "
        "one), servers added or changed later included. A long-running service: SIGTERM or Ctrl-C stops it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-delay",
            type=float,
            default=60,
            help="longest wait between reconnection attempts, in seconds",
        )
        parser.add_argument("--server", help="follow this server only (its name); default: every server")

    def handle(self, *args, max_delay: float, server: str | None = None, **options):
        self.max_delay, self.only = max_delay, server
        if server is not None and not Server.objects.filter(name=server).exists():
            raise CommandError(f"There is no server called {server!r}.")
        asyncio.run(self._run())
        self.stdout.write("ami_events stopped.")

    def _servers(self) -> dict[int, tuple[Server, AmiConfig]]:
        db.close_old_connections()
        servers = Server.objects.all()
        if self.only is not None:
            servers = servers.filter(name=self.only)
        return {one.pk: (one, AmiConfig.for_server(one)) for one in servers}

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        # By server id: its listener, the configuration it follows, and the task running it.
        running: dict[int, tuple[Listener, AmiConfig, asyncio.Task]] = {}
        try:
            while not stopping.is_set():
                try:
                    wanted = await loop.run_in_executor(None, self._servers)
                except db.Error as e:
                    self.stderr.write(f"could not read the servers (looking again shortly): {e}")
                    wanted = None
                if wanted is not None:
                    await self._follow(wanted, running, several=len(wanted) > 1 or self.only is not None)
                # Each listener keeps its own connection and backoff: one server down delays no other.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), SERVERS_EVERY)
        finally:
            for listener, _config, _task in running.values():
                listener.stop()
            await asyncio.gather(*(task for _l, _c, task in running.values()), return_exceptions=True)

    async def _follow(self, wanted, running, *, several: bool) -> None:
        """Start a listener for each server not followed yet, and stop the ones of servers that
        are gone or reached another way now (those start again with their new account)."""
        for pk in list(running):
            listener, config, task = running[pk]
            if pk not in wanted or wanted[pk][1] != config or task.done():
                listener.stop()
                await asyncio.gather(task, return_exceptions=True)
                del running[pk]
        for pk, (server, config) in wanted.items():
            if pk in running:
                continue
            named = f" ({server.name})" if several else ""
            self.stdout.write(
                f"Following AMI events from {config.host}:{config.port} as {config.username!r}{named}."
            )
            listener = Listener(config, max_delay=self.max_delay, server=server)
            running[pk] = (listener, config, asyncio.create_task(listener.run()))

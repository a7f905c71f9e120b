import asyncio
import signal

from django.core.management.base import BaseCommand, CommandError

from asterisk.ami import AmiConfig
from asterisk.listener import Listener
from directory.servers.models import Server


class Command(BaseCommand):
    help = (
        "Follow Asterisk's AMI events and keep each phone's state (registered, address, user agent, "
        "in use) for the pages and device_status: one connection per server (--server: only that "
        "one). A long-running service: SIGTERM or Ctrl-C stops it."
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
        servers = list(Server.objects.all())
        if server is not None:
            servers = [s for s in servers if s.name == server]
            if not servers:
                raise CommandError(f"There is no server called {server!r}.")
        listeners = []
        for one in servers:
            config = AmiConfig.for_server(one)
            named = f" ({one.name})" if len(servers) > 1 or server else ""
            self.stdout.write(
                f"Following AMI events from {config.host}:{config.port} as {config.username!r}{named}."
            )
            listeners.append(Listener(config, max_delay=max_delay, server=one))
        asyncio.run(self._run(listeners))
        self.stdout.write("ami_events stopped.")

    async def _run(self, listeners: list[Listener]) -> None:
        loop = asyncio.get_running_loop()

        def stop() -> None:
            for listener in listeners:
                listener.stop()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop)
        # Each listener keeps its own connection and backoff: one server down delays no other.
        await asyncio.gather(*(listener.run() for listener in listeners))

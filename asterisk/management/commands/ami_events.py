import asyncio
import signal

from django.core.management.base import BaseCommand

from asterisk.ami import AmiConfig
from asterisk.listener import Listener


class Command(BaseCommand):
    help = (
        "Follow Asterisk's AMI events and keep each phone's state (registered, address, user agent, "
        "in use) for the pages and device_status. A long-running service: SIGTERM or Ctrl-C stops it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-delay",
            type=float,
            default=60,
            help="longest wait between reconnection attempts, in seconds",
        )

    def handle(self, *args, max_delay: float, **options):
        config = AmiConfig.from_settings()
        self.stdout.write(f"Following AMI events from {config.host}:{config.port} as {config.username!r}.")
        asyncio.run(self._run(Listener(config, max_delay=max_delay)))
        self.stdout.write("ami_events stopped.")

    async def _run(self, listener: Listener) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, listener.stop)
        await listener.run()

import asyncio
import contextlib

from django.conf import settings
from django.core.management.base import BaseCommand

from asterisk.hotdesk_agi import serve


class Command(BaseCommand):
    help = (
        "Run the FastAGI service that the dialplan's hot-desk codes (*11, *12) and call-feature codes "
        "(*76, *78, *72…) call (PBXADMIN_AGI_LISTEN)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--listen", default=settings.PBXADMIN_AGI_LISTEN, help="host:port (default %(default)s)"
        )

    def handle(self, *args, listen: str, **options):
        host, _, port = listen.rpartition(":")
        self.stdout.write(f"Hot-desk FastAGI service on {host}:{port}; Ctrl-C stops it.")
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(host or "127.0.0.1", int(port)))

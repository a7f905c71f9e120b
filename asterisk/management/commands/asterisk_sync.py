from django.core.management.base import BaseCommand, CommandError

from asterisk.ami import AmiError
from asterisk.models import SyncStatus
from asterisk.sync import run_requested


class Command(BaseCommand):
    help = "Push pending AstDB changes and reloads to Asterisk; --full rebuilds AMPUSER, DEVICE and CW."

    def add_arguments(self, parser):
        parser.add_argument(
            "--full",
            action="store_true",
            help="read the families back from Asterisk and make them equal to the database "
            "(missing keys written, strays deleted)",
        )

    def handle(self, *args, full: bool, **options):
        SyncStatus.get()
        try:
            result = run_requested(full=full)
        except AmiError as e:
            raise CommandError(f"Asterisk was not brought up to date: {e}") from e
        kind = "full sync" if full else "sync"
        self.stdout.write(
            f"{kind}: {result.actions} actions ({result.puts} keys written, {result.deletes} deleted), "
            f"reloaded: {', '.join(result.reloads) or 'nothing'}"
        )
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")

from pathlib import Path

from django.core.management.base import BaseCommand

from bulk.exporting import export_file
from bulk.kinds import HANDLERS


class Command(BaseCommand):
    help = "Export extensions as a FreePBX Bulk Handler CSV file (standard output when no path). Secrets included."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="the file to write; standard output when left out")
        parser.add_argument(
            "--without-secrets",
            action="store_true",
            help="leave the secret and hot-desk password columns out",
        )
        parser.add_argument("--kind", choices=list(HANDLERS), default="extensions")

    def handle(self, *args, path, without_secrets, kind, **options):
        chunks = export_file(kind=kind, with_secrets=not without_secrets)
        if path:
            with Path(path).open("w", encoding="utf-8", newline="") as f:
                f.writelines(chunks)
        else:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")

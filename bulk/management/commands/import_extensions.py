import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bulk.csvfile import CsvFileError, decode
from bulk.importing import ImportRefused, check_file, import_file


class Command(BaseCommand):
    help = (
        "Import extensions from a FreePBX Bulk Handler CSV file, all or nothing. "
        "Existing extensions are skipped unless --replace."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the CSV file, or - for standard input")
        parser.add_argument("--dry-run", action="store_true", help="check every row and write nothing")
        parser.add_argument(
            "--replace", action="store_true", help="update existing extensions with the file's values"
        )
        parser.add_argument(
            "--kind",
            choices=["extensions", "users", "devices"],
            default="extensions",
            help="deviceanduser mode files: users, or devices (default: extensions)",
        )

    def handle(self, *args, path, dry_run, replace, kind, **options):
        try:
            data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
            text = decode(data)
        except OSError as e:
            raise CommandError(f"Cannot read {path}: {e.strerror}") from None
        except CsvFileError as e:
            raise CommandError(str(e)) from None
        try:
            report = (
                check_file(kind, text, replace=replace)
                if dry_run
                else import_file(kind, text, replace=replace, label=path)
            )
        except ImportRefused as refused:
            report = refused.report
        self._print(report, dry_run)
        if not report.ok:
            raise CommandError(
                report.file_error or f"{report.counts['error']} rows refused: nothing was imported."
            )

    def _print(self, report, dry_run: bool) -> None:
        verb = "would be" if dry_run else "were"
        if report.ignored:
            self.stdout.write(f"Ignored columns: {', '.join(report.ignored)}")
        for problem in report.problems:
            where = f"line {problem['line']}" + (f", {problem['column']}" if problem["column"] else "")
            self.stdout.write(f"{where}: {problem['message']} [{problem['key'] or '-'}, {problem['action']}]")
        if report.file_error:
            return
        if report.ok:
            self.stdout.write(f"{report.total} rows: {report.summary()} ({verb} imported).")
        else:
            self.stdout.write(
                f"{report.total} rows: {report.summary()}. Nothing is imported while a row is refused."
            )

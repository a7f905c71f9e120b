import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bulk.csvfile import CsvFileError, decode
from bulk.importing import ImportRefused, check_file, import_file, secrets_will_change
from bulk.kinds import HANDLERS
from bulk.rows import WEAK_KEEP, WEAK_REGENERATE, WEAK_UNDECIDED


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
        weak = parser.add_mutually_exclusive_group()
        weak.add_argument(
            "--keep-weak-secrets",
            action="store_true",
            help="import secrets short of the strong rule as they are (phones keep working); "
            "the extensions are marked",
        )
        weak.add_argument(
            "--regenerate-weak-secrets",
            action="store_true",
            help="give new extensions with a weak secret a strong one (their phones must be provisioned)",
        )
        parser.add_argument(
            "--change-secrets",
            action="store_true",
            help="with --replace: let the file change existing extensions' secrets "
            "(those phones must be re-provisioned)",
        )
        parser.add_argument(
            "--kind",
            choices=list(HANDLERS),
            default="extensions",
            help="deviceanduser mode files: users, or devices; trunks, routes (outbound) or dids "
            "(inbound, FreePBX Bulk Handler's) (default: extensions)",
        )

    def handle(self, *args, path, dry_run, replace, kind, **options):
        weak = WEAK_UNDECIDED
        if options["keep_weak_secrets"]:
            weak = WEAK_KEEP
        elif options["regenerate_weak_secrets"]:
            weak = WEAK_REGENERATE
        try:
            data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
            text = decode(data)
        except OSError as e:
            raise CommandError(f"Cannot read {path}: {e.strerror}") from None
        except CsvFileError as e:
            raise CommandError(str(e)) from None
        try:
            if dry_run:
                report = check_file(kind, text, replace=replace, weak=weak)
            else:
                report = import_file(
                    kind,
                    text,
                    replace=replace,
                    weak=weak,
                    change_secrets=options["change_secrets"],
                    label=path,
                )
        except ImportRefused as refused:
            report = refused.report
        self._print(report, dry_run, weak)
        if report.file_error or not report.ok:
            errors = report.counts["error"]
            raise CommandError(
                report.file_error
                or f"{errors} {'row' if errors == 1 else 'rows'} refused: nothing was imported."
            )
        if report.refusal:
            raise CommandError(self._explain(report))

    def _explain(self, report) -> str:
        if report.undecided:
            return (
                f"{report.refusal}\nRun again with --keep-weak-secrets (import them as they are) "
                "or --regenerate-weak-secrets (new strong secrets for new extensions)."
            )
        return f"{report.refusal}\nRun again with --change-secrets to change them."

    def _print(self, report, dry_run: bool, weak: str) -> None:
        verb = "would be" if dry_run else "were"
        if report.ignored:
            self.stdout.write(f"Ignored columns: {', '.join(report.ignored)}")
        for problem in report.problems:
            where = f"line {problem['line']}" + (f", {problem['column']}" if problem["column"] else "")
            self.stdout.write(
                f"{where}: {problem['message']} [{problem['key'] or '-'}, {problem['action']}, "
                f"{problem['level']}]"
            )
        if report.file_error:
            return
        if not report.ok:
            self.stdout.write(
                f"{report.total} rows: {report.summary()}. Nothing is imported while a row is refused."
            )
        elif report.refusal:
            self.stdout.write(f"{report.total} rows: {report.summary()}. Nothing was imported.")
        else:
            self.stdout.write(f"{report.total} rows: {report.summary()} ({verb} imported).")
            if dry_run and (changing := report.secrets_changing(weak=weak)):
                self.stdout.write(secrets_will_change(changing))

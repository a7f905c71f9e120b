from django.core.management.base import BaseCommand, CommandError

from audit.retention import audit_prune


class Command(BaseCommand):
    help = "Delete audit entries older than AUDIT_RETENTION_DAYS (run it daily, e.g. from cron)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="keep this many days instead of AUDIT_RETENTION_DAYS")

    def handle(self, *args, days, **options):
        try:
            deleted = audit_prune(days=days)
        except ValueError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(f"Deleted {deleted} audit entries.")

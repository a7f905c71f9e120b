from django.core.management.base import BaseCommand

from asterisk.files import conf_dir, write_all_files


class Command(BaseCommand):
    help = (
        "Regenerate every Asterisk config file pbxadmin writes, from the database. Reloads for the "
        "files that changed wait in the outbox for the next sync (`asterisk_sync` sends them now)."
    )

    def handle(self, *args, **options):
        changed = write_all_files()
        if changed:
            self.stdout.write(f"Wrote {', '.join(changed)} in {conf_dir()}")
        else:
            self.stdout.write(f"Every file in {conf_dir()} was already up to date.")

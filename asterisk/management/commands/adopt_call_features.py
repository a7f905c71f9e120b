from django.core.management.base import BaseCommand, CommandError

from asterisk import ami
from asterisk.astdb_plan import read_families
from asterisk.call_features.adopt import adopt
from asterisk.servers import chosen_servers
from directory.servers.current import default


class Command(BaseCommand):
    help = (
        "Moving from FreePBX: read the call features its phones set (DND, CF, CFB, CFU, follow-me "
        "keys) from Asterisk's AstDB and save them on pbxadmin's users. Run before the first "
        "asterisk_sync --full, which would otherwise make those keys equal to pbxadmin's database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
        parser.add_argument(
            "--server",
            metavar="NAME",
            help="read this server's Asterisk (its name); default: the default server",
        )

    def handle(self, *args, dry_run: bool, server: str | None = None, **options):
        config = ami.AmiConfig.for_server(chosen_servers(server)[0] if server else default())
        if not config.configured:
            raise CommandError("Set AMI_SECRET (and AMI_HOST, AMI_PORT, AMI_USERNAME) to reach Asterisk.")
        try:
            keys = ami.run(lambda session: read_families(session, timeout=config.slow_timeout), config)
        except ami.AmiError as e:
            raise CommandError(f"Could not read Asterisk's AstDB: {e}") from e
        result = adopt(keys, dry_run=dry_run)
        verb = "would change" if dry_run else "changed"
        for ext, fields in result.changed.items():
            self.stdout.write(f"user {ext}: {verb} {', '.join(fields)}")
        for ext, why in result.refused:
            self.stdout.write(f"user {ext}: not taken, the rules refuse it: {why}")
        if result.unknown_users:
            self.stdout.write(f"Keys of {len(result.unknown_users)} numbers that are no user here were left.")
        self.stdout.write(f"{len(result.changed)} users {verb}.")

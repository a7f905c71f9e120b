from django.core.management.base import BaseCommand

from asterisk.files import conf_dir, write_all_files
from asterisk.servers import add_server_argument, chosen_servers
from directory.servers.current import using


class Command(BaseCommand):
    help = (
        "Regenerate every Asterisk config file pbxadmin writes, from the database, for every server "
        "(--server: one), each in its own folder. Reloads for the files that changed wait in the "
        "outbox for the next sync (`asterisk_sync` sends them now)."
    )

    def add_arguments(self, parser):
        add_server_argument(parser, what="write the files of")

    def handle(self, *args, server: str | None = None, **options):
        servers = chosen_servers(server)
        for one in servers:
            with using(one):
                named = f" ({one.name})" if len(servers) > 1 or server else ""
                changed = write_all_files()
                if changed:
                    self.stdout.write(f"Wrote {', '.join(changed)} in {conf_dir()}{named}")
                else:
                    self.stdout.write(f"Every file in {conf_dir()} was already up to date{named}.")

import os
import socket
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from asterisk.ami import AmiError
from asterisk.models import SyncStatus
from asterisk.servers import add_server_argument, chosen_servers
from asterisk.sync import PruneDeclined, run_requested
from directory.servers.current import current, using

# How many of the keys pbxadmin does not own a plain --full names before "and N more".
_SHOWN = 20


class Command(BaseCommand):
    help = (
        "Push pending AstDB changes and reloads to Asterisk; --full rebuilds the keys pbxadmin owns "
        "in AMPUSER, DEVICE and CW."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--full",
            action="store_true",
            help="read the families back from Asterisk and make the keys pbxadmin owns equal to the "
            "database (missing ones written, stale ones deleted); other keys are listed and left",
        )
        parser.add_argument(
            "--prune-unknown",
            action="store_true",
            help="with --full: also delete the keys pbxadmin does not own under AMPUSER, DEVICE and CW "
            "(another program's, such as FreePBX's novmpw or vmx/*), after listing them",
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="with --prune-unknown: do not ask before deleting",
        )
        add_server_argument(parser, what="sync")

    def handle(self, *args, full: bool, prune_unknown: bool, interactive: bool, server=None, **options):
        if prune_unknown and not full:
            raise CommandError("--prune-unknown needs --full: only a full sync reads Asterisk's keys back.")
        servers = chosen_servers(server)
        failed = []
        for one in servers:
            with using(one):
                if len(servers) > 1:
                    self.stdout.write(f"{one.name}:")
                try:
                    self._one(full=full, prune_unknown=prune_unknown, interactive=interactive)
                except CommandError as e:
                    if len(servers) == 1:
                        raise
                    # One server's failure stops no other's sync.
                    self.stderr.write(f"{one.name}: {e}")
                    failed.append(one.name)
        if failed:
            raise CommandError(f"Not brought up to date: {', '.join(failed)}.")

    def _one(self, *, full: bool, prune_unknown: bool, interactive: bool) -> None:
        SyncStatus.get()
        owner = f"command@{socket.gethostname()}/{os.getpid()}/asterisk_sync"
        # A run under way (a worker's) ends first: one run at a time.
        deadline = time.monotonic() + settings.PBXADMIN_SYNC_LEASE + settings.AMI_RELOAD_TIMEOUT
        while True:
            try:
                outcome = run_requested(
                    owner=owner,
                    full=full,
                    prune_unknown=prune_unknown,
                    confirm=self._confirm if interactive else self._list,
                )
            except PruneDeclined:
                raise CommandError("Nothing was sent to Asterisk.") from None
            except AmiError as e:
                raise CommandError(f"Asterisk was not brought up to date: {e}") from e
            if outcome.result is not None or SyncStatus.get().running_by == "":
                break
            if time.monotonic() > deadline:
                raise CommandError(f"Another sync run ({SyncStatus.get().running_by}) is still under way.")
            time.sleep(0.5)
        if outcome.asked_meanwhile:
            from asterisk.tasks import request_sync

            request_sync(server=current())
        result = outcome.result
        if result is None:
            raise CommandError(
                "AMI_SECRET is not set: the config files are written, nothing was sent to Asterisk "
                "(see README, Keeping Asterisk in step)."
            )
        kind = "full sync" if full else "sync"
        self.stdout.write(
            f"{kind}: {result.actions} actions ({result.puts} keys written, {result.deletes} deleted, "
            f"{result.dialplan_live} dialplan lines changed live), "
            f"reloaded: {', '.join(result.reloads) or 'nothing'}; {result.seconds:.1f}s"
        )
        if result.unknown and not result.pruned:
            self.stdout.write(
                f"Left {len(result.unknown)} keys pbxadmin does not own "
                "(asterisk_sync --full --prune-unknown lists and deletes them):"
            )
            for key, value in result.unknown[:_SHOWN]:
                self.stdout.write(f"  {key} = {value}")
            if len(result.unknown) > _SHOWN:
                self.stdout.write(f"  … and {len(result.unknown) - _SHOWN} more")
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")

    def _list(self, unknown: list[tuple[str, str]]) -> bool:
        self.stdout.write(f"Deleting {len(unknown)} keys pbxadmin does not own:")
        for key, value in unknown:
            self.stdout.write(f"  {key} = {value}")
        return True

    def _confirm(self, unknown: list[tuple[str, str]]) -> bool:
        self.stdout.write(f"These {len(unknown)} keys are not pbxadmin's; --prune-unknown deletes them:")
        for key, value in unknown:
            self.stdout.write(f"  {key} = {value}")
        try:
            answer = input(f"Delete these {len(unknown)} keys from Asterisk? Type yes to go on: ")
        except EOFError:
            answer = ""
        return answer.strip().lower() == "yes"

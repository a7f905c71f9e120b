import json

from django.core.management.base import BaseCommand, CommandError

from asterisk.selectors import as_json, status_rows
from directory.servers.models import Server


class Command(BaseCommand):
    help = (
        "Show each device's phone as Asterisk last reported it (the ami_events listener keeps it): "
        "id, technology, state, address, user agent, round-trip ms, since (and the device's server, "
        "with several servers)."
    )

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", metavar="ID", help="device ids (default: every device)")
        parser.add_argument("--json", action="store_true", help="print a JSON list of objects")

    def handle(self, *args, ids: list[str], **options):
        rows = status_rows(ids)
        missing = sorted(set(ids) - {device.id for device, _ in rows})
        if missing:
            raise CommandError(f"no such device: {', '.join(missing)}")
        # With several servers each phone names its own: its state is what that server's
        # Asterisk reported (one listener link per server).
        several = Server.objects.count() > 1
        objects = []
        for device, status in rows:
            o = as_json(status, device.tech)
            if several:
                o["server"] = device.server.name
            objects.append(o)
        if options["json"]:
            self.stdout.write(json.dumps(objects, indent=2))
            return
        links = {}
        for device, status in rows:
            links.setdefault(device.server.name if several else "", status.link)
        for name, link in links.items():
            if link is not None and not link.current:
                whose = f" on server {name}" if name else ""
                self.stdout.write(
                    f"Phone {link.text}{whose}; address and user agent below are the last known."
                )
        for o in objects:
            rtt = f"{o['rtt_ms']:g} ms" if o["rtt_ms"] is not None else "-"
            where = f"{o['server']:<12} " if several else ""
            self.stdout.write(
                f"{o['id']:<8} {where}{o['tech']:<6} {o['state']:<12} {o['address'] or '-':<24} "
                f"{o['user_agent'] or '-':<32} {rtt:<10} {o['since'] or '-'}"
            )

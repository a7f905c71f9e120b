"""Three servers at office scale: one portal, three real Asterisk 20s, 10,000 extensions on each.

    python bench/servers.py [--per-server N] [--samples N]

Needs the real Asterisk (`bash ../shared/asterisk/install.sh`) and `redis-server`. It seeds N
extensions per server (default 10,000: PJSIP, chan_sip, IAX2 and DAHDI, half with voicemail)
in a throw-away database, each server's on its own, writes each server's files, and starts
three private Asterisks on loopback with them, a Redis and one Celery worker per server on
its queue `pbx.<name>` (`asterisk/testing/servers.py`). Then it times:

- `full_sync_s`: a full sync of all three servers at once (`asterisk_sync --full` for each, in
  processes of their own, side by side), from the first start until the last one ends, every
  Asterisk's AstDB emptied first;
- `largest_alone_s`: the same full sync of the largest server alone (its AstDB emptied first),
  while the other two sit idle; with two cores for three servers, `full_sync_s` cannot be the
  largest's time, but it shows what the servers cost one another;
- `one_edit_ms`: a user's name changed on one server (its service, as a page saves it: the
  change goes through the broker to that server's worker) until that Asterisk's AMI
  `DBGet AMPUSER/<ext>/cidname` answers the new name; the median of `--samples` edits.

Last line:
servers: servers=3 extensions=N full_sync_s=… largest_alone_s=… one_edit_ms=…
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

from _setup import ROOT, django_in_temp_dir
from live import Ami

SHOW_TIMEOUT = 180.0
NAMES = ("main", "branch-b", "branch-c")
# Each server's numbers start here: 100000…, 200000…, 300000…
FIRST = 100_000

# A full sync of one server, in a process of its own: once Django is up it says so and waits for
# the word, so that the processes' start-up is not timed; then prints when it started and ended.
_FULL_SYNC = """
import sys, time
import django
django.setup()
from django.core.management import call_command
print("ready", flush=True)
sys.stdin.readline()
started = time.time()
call_command("asterisk_sync", "--full", "--server", sys.argv[1], verbosity=0)
print(started, time.time(), flush=True)
"""


def _full_syncs(names: list[str], env: dict[str, str]) -> float:
    """Full syncs of these servers side by side: seconds from the first start to the last end."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _FULL_SYNC, name],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    for name, process in zip(names, processes, strict=True):
        if process.stdout.readline().strip() != "ready":
            process.kill()
            raise SystemExit(f"the full sync of {name} did not start:\n{process.stderr.read()[-3000:]}")
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    spans = []
    for name, process in zip(names, processes, strict=True):
        out, err = process.communicate(timeout=3600)
        if process.returncode != 0:
            raise SystemExit(f"the full sync of {name} failed:\n{err[-3000:]}")
        started, ended = map(float, out.split()[-2:])
        spans.append((started, ended))
    if len(names) > 1:
        print("  each: " + ", ".join(f"{n} {e - s:.1f} s" for n, (s, e) in zip(names, spans, strict=True)))
    return max(e for _s, e in spans) - min(s for s, _e in spans)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-server", type=int, default=10_000, help="extensions on each server")
    parser.add_argument("--samples", type=int, default=10, help="edits timed")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from asterisk.testing.servers import Servers, missing, publishing_to

    if reason := missing():
        raise SystemExit(f"bench/servers.py needs three real Asterisks: {reason}")
    work = django_in_temp_dir("servers")
    from django.db import connection

    from asterisk.astdb import FAMILIES
    from asterisk.files import write_all_files
    from asterisk.testing.services import database_url
    from directory.devices.models import Device
    from directory.endpoints.services import sip_settings_update
    from directory.servers.current import using
    from directory.users.models import PbxUser
    from directory.users.services import user_update
    from web.testing.seed import seed_extensions

    url = database_url()
    servers = Servers(NAMES, database_url=url)
    main_ast = servers[NAMES[0]].ast
    # Before the rows name the Asterisks (not up yet): this save's sync writes files only.
    sip_settings_update(**main_ast.sip_settings())
    rows = servers.rows()
    print(f"seeding {args.per_server} extensions on each of {len(rows)} servers …", flush=True)
    for index, row in enumerate(rows):
        start = FIRST * (index + 1)
        seed_extensions(args.per_server, start=start)
        numbers = {"gte": str(start), "lt": str(start + FIRST)}
        PbxUser.objects.filter(extension__gte=numbers["gte"], extension__lt=numbers["lt"]).update(server=row)
        Device.objects.filter(id__gte=numbers["gte"], id__lt=numbers["lt"]).update(server=row)
    for row in rows:
        with using(row):
            write_all_files()
    connection.close()

    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PBXADMIN_VAR_DIR": str(work),
        "CELERY_BROKER_URL": servers.broker.url,
        "AMI_TIMEOUT": "60",
        "PBXADMIN_LOG_LEVEL": "WARNING",
    }
    biggest = max(rows, key=lambda r: PbxUser.objects.filter(server=r).count())
    try:
        started = time.perf_counter()
        servers.start(timeout=600)
        print(
            f"three Asterisks booted with their files, workers ready: {time.perf_counter() - started:.1f} s"
        )
        for host in servers:
            for family in FAMILIES:
                host.ast.cli(f"database deltree {family}")
        full_sync_s = _full_syncs([r.name for r in rows], env)
        # Each Asterisk holds its own last user now (web.testing.seed names them Person 0…N-1).
        for index, host in enumerate(servers):
            last = FIRST * (index + 1) + args.per_server - 1
            ami = Ami(host.ast.ports.ami, host.ast.ami_username, host.ast.ami_secret)
            if ami.dbget("AMPUSER", f"{last}/cidname") != f"Person {args.per_server - 1}":
                raise SystemExit(f"after the full sync, {host.name}'s Asterisk lacks user {last}")
        print(f"full sync of all three at once: {full_sync_s:.1f} s", flush=True)
        for family in FAMILIES:
            servers[biggest.name].ast.cli(f"database deltree {family}")
        largest_alone_s = _full_syncs([biggest.name], env)
        print(f"full sync of {biggest.name} alone: {largest_alone_s:.1f} s", flush=True)

        # One edit on a branch server, through the broker to its worker, until its Asterisk shows it.
        host = servers[NAMES[1]]
        ami = Ami(host.ast.ports.ami, host.ast.ami_username, host.ast.ami_secret)
        users = list(PbxUser.objects.filter(server__name=host.name).order_by("extension")[: args.samples])
        edits = []
        with publishing_to(servers.broker.url):
            for n, user in enumerate(users):
                name = f"Edited {n}"
                began = time.perf_counter()
                user_update(user=user, name=name)
                deadline = time.monotonic() + SHOW_TIMEOUT
                while ami.dbget("AMPUSER", f"{user.extension}/cidname") != name:
                    if time.monotonic() > deadline:
                        raise SystemExit(
                            f"{host.name} did not show {user.extension}'s new name in {SHOW_TIMEOUT:.0f}s"
                        )
                    time.sleep(0.005)
                edits.append((time.perf_counter() - began) * 1000)
    finally:
        servers.close()

    print(f"edits (ms): {[round(v) for v in edits]}")
    print(
        f"servers: servers={len(rows)} extensions={args.per_server * len(rows)} "
        f"full_sync_s={full_sync_s:.1f} largest_alone_s={largest_alone_s:.1f} "
        f"one_edit_ms={statistics.median(edits):.0f}"
    )


if __name__ == "__main__":
    main()

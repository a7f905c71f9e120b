"""Time the AstDB push against the test AMI server: a full sync, a bare client, one action at a time.

    python bench/astdb_sync.py [--extensions N] [--asterisk]

Last line: astdb_sync: extensions=N keys=… full_s=… actions_per_s=… raw_actions_per_s=…
sequential_actions_per_s=… one_edit_actions=…

`actions_per_s` is the whole full sync (read the database, plan, push, record)
over its actions; `raw_actions_per_s` is a bare asyncio client pipelining as
many DBPut actions against the same server process, which is what the wire
and the server allow (the mean of a run just before and one just after).

With `--asterisk` the server is a real Asterisk 20 (`bash ../shared/asterisk/install.sh`)
started on free loopback ports instead of the test AMI server, and the line ends with
`ratio=…`: the bare client's rate over the full sync's (1.0 = as fast as the wire allows).

Targets: the full sync reaches at least 50 % of the raw figure; a
one-extension edit sends at most 40 actions; pipelined is at least 5x the
actions per second of one-at-a-time, all measured in the same run.
"""

import argparse
import asyncio
import time
from contextlib import contextmanager

from _setup import ami_server_process, django_in_temp_dir, seed_extensions


async def raw_pipelined(port: int, secret: str, count: int, window: int = 2000) -> float:
    """DBPut/s of a bare client: log in, write windows of DBPut, count the replies (no parsing, no checks)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await reader.readline()  # the banner
    writer.write(f"Action: Login\r\nUsername: pbxadmin\r\nSecret: {secret}\r\nEvents: off\r\n\r\n".encode())
    if b"Success" not in await reader.readuntil(b"\r\n\r\n"):
        raise SystemExit("the raw client's login was refused")
    started = time.perf_counter()

    async def write() -> None:
        for start in range(0, count, window):
            writer.write(
                "".join(
                    f"Action: DBPut\r\nActionID: {i}\r\nFamily: RAW\r\nKey: {i}/cidname\r\nVal: x\r\n\r\n"
                    for i in range(start, min(count, start + window))
                ).encode()
            )
            await writer.drain()

    writing = asyncio.ensure_future(write())
    replies, rest = 0, b""
    while replies < count:
        chunk = await reader.read(1 << 18)
        if not chunk:
            raise SystemExit("the server closed the raw client's connection")
        # A reply's blank line may straddle two reads: count from the last one seen.
        text = rest + chunk
        ends = text.count(b"\r\n\r\n")
        replies += ends
        rest = text[text.rfind(b"\r\n\r\n") + 4 :] if ends else text
    elapsed = time.perf_counter() - started
    await writing
    writer.close()
    return count / elapsed


@contextmanager
def real_asterisk():
    """A private Asterisk 20 on free loopback ports (asterisk/testing/pbx.py)."""
    from asterisk.testing.pbx import PrivateAsterisk, missing_reason

    if reason := missing_reason():
        raise SystemExit(f"--asterisk needs the real Asterisk: {reason}")
    with PrivateAsterisk(name="astdb") as pbx:
        yield pbx.ports.ami, pbx.ami_secret


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extensions", type=int, default=10_000)
    parser.add_argument("--sequential", type=int, default=5_000, help="actions sent one at a time")
    parser.add_argument("--asterisk", action="store_true", help="a real Asterisk 20, not the test AMI server")
    args = parser.parse_args()

    django_in_temp_dir("astdb")
    from django.conf import settings
    from django.db import transaction

    from asterisk import ami
    from asterisk.astdb import FAMILIES, desired_by_owner
    from asterisk.sync import run_sync
    from directory.users.extensions import extension_update
    from directory.users.models import PbxUser

    seed_extensions(args.extensions)

    with real_asterisk() if args.asterisk else ami_server_process() as (port, secret):
        settings.AMI_HOST, settings.AMI_PORT = "127.0.0.1", port
        settings.AMI_USERNAME, settings.AMI_SECRET, settings.AMI_TIMEOUT = "pbxadmin", secret, 30

        # What the wire and the server allow: a bare client pipelining as many
        # DBPut, just before and just after the full sync (a busy machine drifts).
        keys_wanted = sum(map(len, desired_by_owner().values()))
        raw_before = asyncio.run(raw_pipelined(port, secret, keys_wanted))
        ami.run(lambda session: session.send_one({"Action": "DBDelTree", "Family": "RAW"}))

        # Asterisk's astdb was lost: rebuild every key (read back, compare, push).
        started = time.perf_counter()
        full = run_sync(full=True)
        full_s = time.perf_counter() - started

        raw_after = asyncio.run(raw_pipelined(port, secret, full.actions))
        raw_rate = (raw_before + raw_after) / 2
        keys = 0
        for family in FAMILIES:
            shown = ami.run(lambda session, family=family: session.command(f"database show {family}"))
            keys += int(shown[-1].split()[0])  # "290000 results found."

        # The same kind of action, one at a time, waiting for each reply.
        async def one_by_one(session):
            for i in range(args.sequential):
                await session.send_one({"Action": "DBPut", "Family": "BENCH", "Key": f"seq/{i}", "Val": "x"})

        started = time.perf_counter()
        ami.run(one_by_one)
        sequential_rate = args.sequential / (time.perf_counter() - started)

        # One extension edited as a page would: name, caller ID, ring time, voicemail, call waiting.
        user = PbxUser.objects.get(pk="100001")
        with transaction.atomic():
            extension_update(
                user=user,
                name="Edited",
                outboundcid="5551234",
                ringtimer=25,
                voicemail="default",
                callwaiting=False,
                emergency_cid="911",
            )
        edit = run_sync()

    print(f"full sync: {full.actions} actions, {full.puts} keys written")
    print(
        f"astdb_sync: extensions={args.extensions} keys={keys} full_s={full_s:.2f} "
        f"actions_per_s={full.actions / full_s:.0f} raw_actions_per_s={raw_rate:.0f} "
        f"sequential_actions_per_s={sequential_rate:.0f} "
        f"one_edit_actions={edit.actions}"
        + (f" ratio={raw_rate / (full.actions / full_s):.2f}" if args.asterisk else "")
    )


if __name__ == "__main__":
    main()

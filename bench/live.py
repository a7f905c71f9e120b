"""Live at office scale: from an API call until a real Asterisk 20 shows the change, at 10,000 extensions.

    python bench/live.py [--extensions N] [--samples N]

Needs the real Asterisk (`bash ../shared/asterisk/install.sh`). It seeds N
extensions (default 10,000: PJSIP, chan_sip, IAX2 and DAHDI, half with
voicemail) in a throw-away database, starts a private Asterisk on free loopback
ports with the generated files, runs the first full sync, then starts the portal
as `make run` does (the same `manage.py` services, the same settings) and times,
from the start of each API call until Asterisk itself shows the change:

- a user's name: until AMI `DBGet AMPUSER/<ext>/cidname` answers the new name;
- a chan_sip and a PJSIP device setting: until `sip show peer` / `pjsip show endpoint` shows it;
- a new extension: until `dialplan show <ext>@ext-local` lists it;
- a deleted one: until it is gone from there.

Last line:
live: extensions=N astdb_p50_ms=… astdb_p95_ms=… setting_p50_ms=… create_p50_ms=… delete_p50_ms=…
sync_failures=… (then the p95s and the first full sync's time)

`sync_failures` counts the sync runs the worker logged as failed or retried while the bench ran;
`not_shown` the changes Asterisk did not show within 180 s (counted as 180 s in the figures).
"""

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

from _setup import ROOT, django_in_temp_dir, seed_extensions

# Each change must show in Asterisk within this long, or the bench says which did not.
SHOW_TIMEOUT = 180.0


class Ami:
    """A bare synchronous AMI client: one action at a time, for polling what Asterisk shows."""

    def __init__(self, port: int, username: str, secret: str):
        self.sock = socket.create_connection(("127.0.0.1", port), 10)
        self.buffer = b""
        self._line()  # banner
        self._ids = 0
        reply = self.action({"Action": "Login", "Username": username, "Secret": secret, "Events": "off"})
        if reply.get("Response") != "Success":
            raise SystemExit(f"AMI login refused: {reply}")

    def _line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise SystemExit("Asterisk closed the AMI connection")
            self.buffer += data
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def _block(self) -> list[tuple[str, str]]:
        headers = []
        while line := self._line():
            key, _, value = line.decode(errors="replace").partition(": ")
            headers.append((key, value))
        return headers

    def action(self, action: dict[str, str]) -> dict[str, object]:
        self._ids += 1
        aid = f"b{self._ids}"
        text = "".join(f"{k}: {v}\r\n" for k, v in {**action, "ActionID": aid}.items()) + "\r\n"
        self.sock.sendall(text.encode())
        events = []
        reply: dict[str, object] | None = None
        while True:
            headers = self._block()
            first = dict(headers[:1])
            mine = dict(headers).get("ActionID") == aid
            if not mine:
                continue
            if "Response" in first:
                reply = {k: v for k, v in headers if k != "Output"}
                reply["Output"] = [v for k, v in headers if k == "Output"]
                if reply.get("EventList") != "start":
                    break
            else:
                events.append(dict(headers))
                if str(dict(headers).get("EventList", "")).lower() == "complete":
                    break
        reply["events"] = events
        return reply

    def command(self, command: str) -> str:
        return "\n".join(self.action({"Action": "Command", "Command": command})["Output"])

    def dbget(self, family: str, key: str) -> str | None:
        reply = self.action({"Action": "DBGet", "Family": family, "Key": key})
        if reply.get("Response") != "Success" or not reply["events"]:
            return None
        return reply["events"][0].get("Val")


class Api:
    def __init__(self, base: str, token: str):
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310 (loopback)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 (loopback)
                raw = response.read()
                return response.status, (json.loads(raw) if raw else {})
        except urllib.error.HTTPError as e:
            return e.code, {"error": e.read().decode(errors="replace")}


def _until(predicate, what: str) -> bool:
    deadline = time.monotonic() + SHOW_TIMEOUT
    while not predicate():
        if time.monotonic() > deadline:
            print(f"Asterisk did not show {what} within {SHOW_TIMEOUT:.0f}s", flush=True)
            return False
        time.sleep(0.005)
    return True


# Changes Asterisk did not show within SHOW_TIMEOUT: counted apart, and as SHOW_TIMEOUT in the figures.
not_shown = []


# How long each API call itself took (until the portal answered), by what was timed: the rest of
# a change's time is the background path (broker, worker, Asterisk).
api_ms: dict[str, list[float]] = {}


def _timed(call, shown, what: str) -> float:
    started = time.perf_counter()
    status, body = call()
    if status >= 300:
        raise SystemExit(f"{what}: the API answered {status}: {body}")
    kind = {"the": "name", "new": "create", "deleted": "delete"}.get(what.split()[0], what.split()[0])
    api_ms.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
    if not _until(shown, what):
        not_shown.append(what)
    return (time.perf_counter() - started) * 1000


def _p(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extensions", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=20, help="changes of each kind")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from asterisk.testing.pbx import PrivateAsterisk, missing_reason

    if reason := missing_reason():
        raise SystemExit(f"bench/live.py needs the real Asterisk: {reason}")
    os.environ["PBXADMIN_LOG_LEVEL"] = "INFO"
    work = django_in_temp_dir("live")
    from django.conf import settings
    from django.core.management import call_command

    from api.tokens import token_create
    from directory.endpoints.services import sip_settings_update
    from web.testing.personas import administrator

    pbx = PrivateAsterisk(name="live")
    agi_port, web_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "PBXADMIN_VAR_DIR": str(work),
        "ASTERISK_CONF_DIR": str(pbx.etc),
        "AMI_HOST": "127.0.0.1",
        "AMI_PORT": str(pbx.ports.ami),
        "AMI_USERNAME": pbx.ami_username,
        "AMI_SECRET": pbx.ami_secret,
        "PBXADMIN_AGI_URL": f"agi://127.0.0.1:{agi_port}",
        "PBXADMIN_AGI_LISTEN": f"127.0.0.1:{agi_port}",
        "PBXADMIN_API_RATE": "1000000/minute",
        "PBXADMIN_API_RATE_PER_PERSON": "1000000/minute",
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update({k: v for k, v in env.items() if k.startswith(("AMI_", "ASTERISK_", "PBXADMIN_AGI"))})
    settings.ASTERISK_CONF_DIR = pbx.etc
    settings.PBXADMIN_AGI_URL = env["PBXADMIN_AGI_URL"]

    print(f"seeding {args.extensions} extensions …", flush=True)
    # Asterisk is not up yet: the seed's syncs write the files only (no AMI account set).
    seed_extensions(args.extensions)
    sip_settings_update(**pbx.sip_settings())
    call_command("writeconf", verbosity=0)
    settings.AMI_PORT, settings.AMI_USERNAME, settings.AMI_SECRET = (
        pbx.ports.ami,
        pbx.ami_username,
        pbx.ami_secret,
    )
    settings.AMI_TIMEOUT = 60
    services = []
    try:
        started = time.perf_counter()
        pbx.start(timeout=600)
        boot_s = time.perf_counter() - started
        started = time.perf_counter()
        call_command("asterisk_sync", "--full", verbosity=0)
        first_sync_s = time.perf_counter() - started
        print(
            f"Asterisk booted with the files in {boot_s:.1f} s; first full sync {first_sync_s:.1f} s",
            flush=True,
        )

        _, token = token_create(user=administrator(), name="live bench")
        logs = work / "logs"
        logs.mkdir()
        # As `make run`: the Celery worker, the FastAGI service and the AMI event listener beside
        # the web server.
        worker = ["-m", "celery", "-A", "pbxadmin", "worker", "--beat", "--all-servers", "--pool", "threads",
                  "--concurrency", "4", "--loglevel", "INFO", "-n", "bench@%h"]  # fmt: skip
        for name, command in (
            ("worker", worker),
            ("fastagi", ["fastagi"]),
            ("ami_events", ["ami_events"]),
            ("web", ["runserver", "--noreload", f"127.0.0.1:{web_port}"]),
        ):
            out = open(logs / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
            services.append(
                (
                    subprocess.Popen(
                        [sys.executable, *(command if name == "worker" else ["manage.py", *command])],
                        cwd=ROOT,
                        env={**env, "PBXADMIN_DEBUG": "1"},
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    ),
                    out,
                )
            )
        api = Api(f"http://127.0.0.1:{web_port}/api/v1", token)
        _until(lambda: _web_up(web_port), "the web server")
        ami = Ami(pbx.ports.ami, pbx.ami_username, pbx.ami_secret)

        sip = [d for d in _of_tech("sip")][: args.samples]
        pjsip = [d for d in _of_tech("pjsip")][: args.samples]
        names, sip_settings, pjsip_settings, creates, deletes = [], [], [], [], []
        for n in range(args.samples):
            ext = pjsip[n]
            name = f"Renamed {n}"
            names.append(
                _timed(
                    lambda e=ext, nm=name: api.call("PATCH", f"/extensions/{e}/", {"name": nm}),
                    lambda e=ext, nm=name: ami.dbget("AMPUSER", f"{e}/cidname") == nm,
                    f"the name of {ext}",
                )
            )
        for n in range(args.samples):
            ext = sip[n]
            sip_settings.append(
                _timed(
                    lambda e=ext: api.call("PATCH", f"/extensions/{e}/", {"settings": {"dtmfmode": "info"}}),
                    lambda e=ext: re.search(r"DTMFmode\s*:\s*info", ami.command(f"sip show peer {e}")),
                    f"chan_sip {ext}'s dtmfmode",
                )
            )
            ext = pjsip[n]
            pjsip_settings.append(
                _timed(
                    lambda e=ext: api.call("PATCH", f"/extensions/{e}/", {"settings": {"dtmfmode": "info"}}),
                    lambda e=ext: re.search(r"dtmf_mode\s*:\s*info", ami.command(f"pjsip show endpoint {e}")),
                    f"PJSIP {ext}'s dtmf_mode",
                )
            )
        for n in range(args.samples):
            ext = str(990000 + n)
            creates.append(
                _timed(
                    lambda e=ext: api.call(
                        "POST", "/extensions/", {"extension": e, "name": f"New {e}", "tech": "pjsip"}
                    ),
                    lambda e=ext: f"'{e}' =>" in ami.command(f"dialplan show {e}@ext-local"),
                    f"new extension {ext} in ext-local",
                )
            )
        for n in range(args.samples):
            ext = str(990000 + n)
            deletes.append(
                _timed(
                    lambda e=ext: api.call("DELETE", f"/extensions/{e}/"),
                    lambda e=ext: f"'{e}' =>" not in ami.command(f"dialplan show {e}@ext-local"),
                    f"deleted extension {ext} gone from ext-local",
                )
            )
    finally:
        for process, out in services:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
            out.close()
        pbx.close()

    worker_log = (work / "logs" / "worker.log").read_text(errors="replace")
    failures = len(re.findall(r"Task asterisk\.tasks\.sync_asterisk\[[^\]]+\] (retry|raised)", worker_log))
    settings_ms = sip_settings + pjsip_settings
    print(f"name changes (ms): {[round(v) for v in names]}")
    print(f"chan_sip settings (ms): {[round(v) for v in sip_settings]}")
    print(f"PJSIP settings (ms): {[round(v) for v in pjsip_settings]}")
    print(f"creates (ms): {[round(v) for v in creates]}")
    print(f"deletes (ms): {[round(v) for v in deletes]}")
    print(
        "of which the API call itself, p50 (ms): "
        + ", ".join(f"{kind} {_p(values, 50):.0f}" for kind, values in api_ms.items())
    )
    print(
        f"live: extensions={args.extensions} astdb_p50_ms={_p(names, 50):.0f} astdb_p95_ms={_p(names, 95):.0f} "
        f"setting_p50_ms={_p(settings_ms, 50):.0f} create_p50_ms={_p(creates, 50):.0f} "
        f"delete_p50_ms={_p(deletes, 50):.0f} sync_failures={failures} "
        f"sip_setting_p50_ms={_p(sip_settings, 50):.0f} pjsip_setting_p50_ms={_p(pjsip_settings, 50):.0f} "
        f"setting_p95_ms={_p(settings_ms, 95):.0f} create_p95_ms={_p(creates, 95):.0f} "
        f"delete_p95_ms={_p(deletes, 95):.0f} first_sync_s={first_sync_s:.1f} not_shown={len(not_shown)}"
    )


def _web_up(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5):
            return True
    except (urllib.error.URLError, OSError):
        return False


def _of_tech(tech: str) -> list[str]:
    from directory.devices.models import Device

    return list(
        Device.objects.filter(tech=tech, devicetype="fixed").order_by("id").values_list("id", flat=True)
    )


if __name__ == "__main__":
    main()

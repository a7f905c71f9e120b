"""Several real Asterisks driven by one portal, for tests and benchmarks: each with its own worker.

`Servers` starts, on loopback:

- a Redis of its own (`redis-server` on a free port, nothing saved): the broker of these
  workers and of the process that drives them, so nothing collides with another run's queues;
- one `PrivateAsterisk` per server name (three by default: `main`, `branch-b`, `branch-c`),
  each on free ports of its own, IAX2 included (its `iax.conf` [general] `bindport`, which
  the generated `iax_additional.conf` is read after), `chan_iax2` loaded;
- one Celery worker per server, as a PBX host runs it (`celery -A pbxadmin worker
  -Q pbx.<name>`), with `ASTERISK_CONF_DIR` its own Asterisk's etc folder and its AMI account;
  the first server's worker also takes the portal's own queue and runs beat, as `make run`'s.

`rows()` points the portal's `Server` rows at them (AMI host, port, account, conf dir, IAX2
address and port): the first is the default server the migration made, the others are added.

The portal's SIP settings are one for every server: on real hosts each Asterisk listens on the
same ports at its own address. Here they share 127.0.0.1, so each Asterisk's `sip.conf` and
`pjsip.conf` include listener files of its own (`sip_general_local.conf`,
`pjsip.transports_local.conf`: pbxadmin's renderers, with that Asterisk's ports) in place of
the generated `sip_general_additional.conf` and `pjsip.transports.conf`. The transports keep
their names (`127.0.0.1-udp`), which the generated devices name. Every other file is the
generated one, included as the README says.

Everything is started and stopped by its PID; every wait ends on a condition with a bound.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from asterisk.testing.pbx import PATIENCE, PrivateAsterisk, free_ports, missing_reason, wait_for

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("main", "branch-b", "branch-c")
SIP_GENERAL_LOCAL = "sip_general_local.conf"
PJSIP_TRANSPORTS_LOCAL = "pjsip.transports_local.conf"


def missing() -> str | None:
    """Why several servers cannot run here, in one line; None when they can."""
    if reason := missing_reason():
        return reason
    if shutil.which("redis-server") is None:
        return "no redis-server (the broker of the servers' workers): apt-get install redis-server"
    return None


def queue_of(name: str) -> str:
    """The queue of server `name`'s tasks (`Server.queue`: `pbx.<name>` unless
    PBXADMIN_SERVER_QUEUE_PREFIX says otherwise)."""
    from django.conf import settings

    return f"{settings.PBXADMIN_SERVER_QUEUE_PREFIX}{name}"


class Broker:
    """A Redis of our own on a free loopback port: no file, no other client."""

    def __init__(self, root: Path):
        (self.port,) = free_ports(1)
        self.log = root / "redis.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        client = redis.Redis.from_url(self.url, socket_connect_timeout=2)

        def answers() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"redis-server exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        wait_for(answers, f"our Redis on port {self.port}")

    def stop(self) -> None:
        _stop(self.process)


def _stop(process: subprocess.Popen | None, timeout: float = 20) -> None:
    """SIGTERM to the process group we started, then SIGKILL."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout)


class ServerAsterisk(PrivateAsterisk):
    """A PrivateAsterisk whose SIP listeners are its own (see the module's docstring)."""

    def write_configs(self) -> None:
        super().write_configs()
        sip = (self.etc / "sip.conf").read_text()
        (self.etc / "sip.conf").write_text(
            sip.replace("#include sip_general_additional.conf", f"#include {SIP_GENERAL_LOCAL}")
        )
        pjsip = (self.etc / "pjsip.conf").read_text()
        (self.etc / "pjsip.conf").write_text(
            pjsip.replace("#include pjsip.transports.conf", f"#include {PJSIP_TRANSPORTS_LOCAL}")
        )

    def write_listener_files(self, sip_settings: dict[str, object]) -> None:
        """Its own listeners, rendered by pbxadmin for these settings with its own ports, and
        an empty file for every generated one so each #include finds its file before the first
        sync writes it."""
        from asterisk.render.generate import FILE_SOURCE, INCLUDES
        from asterisk.render.transports import render_pjsip_transports, render_sip_general
        from directory.endpoints.models import SipSettings

        for name in (*FILE_SOURCE, *(i for includes in INCLUDES.values() for i in includes)):
            path = self.etc / name
            if not path.exists():
                path.write_text("")
        own = SipSettings(**self.sip_settings(**sip_settings))
        (self.etc / SIP_GENERAL_LOCAL).write_text(render_sip_general(own))
        (self.etc / PJSIP_TRANSPORTS_LOCAL).write_text(render_pjsip_transports(own))


class Worker:
    """`celery -A pbxadmin worker -Q <queues>` in the background, by PID; started again under
    the same node name."""

    def __init__(self, name: str, queues: list[str], env: dict[str, str], log: Path, *, beat: bool = False):
        self.name, self.queues, self.env, self.log, self.beat = name, queues, env, log, beat
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "celery", "-A", "pbxadmin", "worker", "--pool", "solo",
            "-Q", ",".join(self.queues), "-n", f"{self.name}@%h",
            "--without-gossip", "--without-mingle", "--loglevel", "INFO",
            *(["--beat"] if self.beat else []),
        ]  # fmt: skip

    def spawn(self) -> int:
        """Start it; returns where its log stood, for `ready(mark)`."""
        mark = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                self.command(), cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        return mark

    def ready(self, mark: int = 0) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"worker {self.name} exited with {self.process.returncode}:\n{self.tail()}")
        return " ready." in self.output()[mark:]

    def start(self) -> "Worker":
        mark = self.spawn()
        wait_for(lambda: self.ready(mark), f"worker {self.name} to be ready (log: {self.log})")
        return self

    def stop(self) -> None:
        _stop(self.process)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        with contextlib.suppress(FileNotFoundError):
            return self.log.read_text(errors="replace")
        return ""

    def tail(self, chars: int = 4000) -> str:
        return self.output()[-chars:]


@dataclass
class Host:
    """One PBX host: its Asterisk and its worker."""

    name: str
    ast: ServerAsterisk
    worker: Worker

    @property
    def queue(self) -> str:
        return queue_of(self.name)

    def row(self):
        """Its `Server` row in the portal."""
        from directory.servers.models import Server

        return Server.objects.get(name=self.name)


class Servers:
    """N Asterisks and their workers on loopback (three by default). Use as a context manager, or
    start() / stop(). `database_url` is the database the workers share with the process that
    drives them; `sip_settings` the portal's SIP settings the listeners are rendered from."""

    def __init__(
        self,
        names: Iterable[str] = NAMES,
        *,
        database_url: str,
        sip_settings: dict[str, object] | None = None,
        worker_env: dict[str, str] | None = None,
    ):
        self.root = Path(tempfile.mkdtemp(prefix="servers-", dir="/tmp"))
        self.broker = Broker(self.root)
        self.database_url = database_url
        self.sip_settings = dict(sip_settings or {})
        self.hosts: dict[str, Host] = {}
        # The portal's Server rows for them, by name, as `rows()` last saved them.
        self.row: dict = {}
        for index, name in enumerate(names):
            ast = ServerAsterisk(name=name[:12])
            var = self.root / name
            var.mkdir()
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "CELERY_BROKER_URL": self.broker.url,
                "PBXADMIN_VAR_DIR": str(var),
                # What its worker falls back to when its row leaves a field blank: its own.
                "ASTERISK_CONF_DIR": str(ast.etc),
                "AMI_HOST": "127.0.0.1",
                "AMI_PORT": str(ast.ports.ami),
                "AMI_USERNAME": ast.ami_username,
                "AMI_SECRET": ast.ami_secret,
                "AMI_TIMEOUT": "15",
                # A server that is away is tried again within seconds, not minutes.
                "PBXADMIN_SYNC_BACKOFF_MAX": "2",
                "PBXADMIN_SYNC_CHECK_EVERY": "2",
                "PBXADMIN_LOG_LEVEL": "INFO",
                "PYTHONUNBUFFERED": "1",
                **(worker_env or {}),
            }
            queues = [queue_of(name)]
            if index == 0:  # as `make run`'s worker: the portal's own queue and the periodic checks
                queues.append(env.get("CELERY_TASK_DEFAULT_QUEUE", "pbxadmin"))
            worker = Worker(queue_of(name), queues, env, var / "worker.log", beat=index == 0)
            self.hosts[name] = Host(name, ast, worker)

    # --- the hosts ----------------------------------------------------------------------

    def __getitem__(self, name: str) -> Host:
        return self.hosts[name]

    def __iter__(self) -> Iterator[Host]:
        return iter(self.hosts.values())

    @property
    def names(self) -> list[str]:
        return list(self.hosts)

    # --- starting and stopping ----------------------------------------------------------

    def start(self, timeout: float = PATIENCE) -> "Servers":
        """The broker, every Asterisk (booting side by side), then every worker."""
        try:
            self.broker.start()
            for host in self:
                host.ast.write_listener_files(self.sip_settings)
            _together([lambda h=host: h.ast.start(timeout) for host in self])
            marks = {host.name: host.worker.spawn() for host in self}
            for host in self:
                wait_for(
                    lambda h=host: h.worker.ready(marks[h.name]),
                    f"worker {host.worker.name} to be ready (log: {host.worker.log})",
                    timeout,
                )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Workers first (they would retry a stopped Asterisk), then the Asterisks, then Redis."""
        for host in self:
            host.worker.stop()
        for host in self:
            host.ast.stop()
        self.broker.stop()

    def close(self) -> None:
        """Stop everything and remove the folders (logs included: read them before)."""
        self.stop()
        for host in self:
            shutil.rmtree(host.ast.root, ignore_errors=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "Servers":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- the portal's side --------------------------------------------------------------

    def rows(self) -> list:
        """The portal's `Server` rows for these hosts, created or updated: the first is the
        default server (the one the migration made), the others are added after it."""
        from directory.servers.models import Server

        rows = []
        for index, host in enumerate(self):
            ast = host.ast
            fields = {
                "ami_host": "127.0.0.1",
                "ami_port": ast.ports.ami,
                "ami_username": ast.ami_username,
                "ami_secret": ast.ami_secret,
                "conf_dir": str(ast.etc),
                "iax_host": "127.0.0.1",
                "iax_port": ast.ports.iax,
            }
            if index == 0:
                row = Server.objects.filter(is_default=True).first() or Server(is_default=True)
                row.name = host.name
            else:
                row = Server.objects.filter(name=host.name).first() or Server(name=host.name)
            for key, value in fields.items():
                setattr(row, key, value)
            row.save()
            rows.append(row)
        self.row = {row.name: row for row in rows}
        return rows

    def logs(self) -> str:
        """Every worker's log tail and every Asterisk's warnings: for a failing test's report."""
        parts = []
        for host in self:
            parts.append(f"--- worker {host.worker.name} ---\n{host.worker.tail()}")
            parts.append(f"--- Asterisk {host.name} problems ---\n" + "\n".join(host.ast.problems()[-30:]))
        return "\n".join(parts)


def _together(calls: list) -> None:
    """Run each call in a thread of its own; raise the first failure once all have ended."""
    errors: list[BaseException] = []

    def run(call) -> None:
        try:
            call()
        except BaseException as e:  # raised below, in the caller's thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(call,), daemon=True) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(PATIENCE * 2)
    if errors:
        raise errors[0]


@contextlib.contextmanager
def publishing_to(broker_url: str) -> Iterator[None]:
    """This process sends its tasks to `broker_url` (not eagerly) until the block ends: the app's
    connection pools, made for the broker it used before, are dropped (as Celery does after a fork)."""
    from pbxadmin.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)

    def point(url: str) -> None:
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    point(broker_url)
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        point(saved[0])
        app.conf.task_always_eager = saved[1]

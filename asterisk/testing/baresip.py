"""Real SIP phones for tests: baresip, registered with a generated secret, driven over loopback.

Each `Phone` runs one baresip process in a folder of its own, listening on
free loopback ports: SIP (UDP and TCP; baresip also takes the next port for
TLS), a `ctrl_tcp` control socket (commands in, JSON events out: the phone's
own view of registrations and calls) and a `cons` UDP socket (single keys:
DTMF during a call). Its microphone is a WAV file of a tone, so RTP and
RFC 4733 DTMF really flow; what it hears goes to /dev/null.

Tests judge Asterisk's view (CLI, AMI); a phone's events say what the phone
itself saw (a call arriving with a caller's name, a call closed).
"""

import contextlib
import json
import math
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import wave
from pathlib import Path

from asterisk.testing.pbx import PATIENCE, free_ports

MODULES = ("g711.so", "aufile.so", "account.so")
APP_MODULES = ("menu.so", "ctrl_tcp.so", "cons.so")


def _tone(path: Path, seconds: int = 120) -> None:
    """A 440 Hz tone, 8 kHz mono: what the phone 'says' into a call."""
    frame = [struct.pack("<h", int(6000 * math.sin(2 * math.pi * 440 * i / 8000))) for i in range(8000)]
    second = b"".join(frame)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(second * seconds)


def _sip_port() -> int:
    """A port P with P and P+1 free (baresip listens for TLS on the next port)."""
    for _attempt in range(200):
        (port,) = free_ports(1)
        with contextlib.suppress(OSError):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind(("127.0.0.1", port + 1))
            return port
    raise RuntimeError("no free pair of loopback ports for a phone")


class Phone:
    """One registered baresip phone: `dial`, `accept`, `hangup`, `keys` (DTMF), and its `events`."""

    def __init__(
        self,
        *,
        user: str,
        secret: str,
        registrar_port: int,
        transport: str = "udp",
        answer: str = "manual",
        register: bool = True,
    ):
        self.user = user
        self.secret = secret
        self.registrar_port = registrar_port
        self.transport = transport
        self.answer = answer
        self.register = register
        self.root = Path(tempfile.mkdtemp(prefix=f"phone-{user}-", dir="/tmp"))
        self.sip_port = _sip_port()
        self.ctrl_port, self.cons_port = free_ports(2)
        self.process: subprocess.Popen | None = None
        self._ctrl: socket.socket | None = None
        self._reader: threading.Thread | None = None
        self._events: list[dict] = []
        self._lock = threading.Condition()
        self._tokens = 0

    @property
    def aor(self) -> str:
        return f"sip:{self.user}@127.0.0.1:{self.registrar_port}"

    def _write(self) -> None:
        _tone(self.root / "tone.wav")
        rtp = 40000 + (self.sip_port % 10000) * 2
        config = [
            "poll_method epoll",
            f"sip_listen 127.0.0.1:{self.sip_port}",
            f"audio_source aufile,{self.root / 'tone.wav'}",
            "audio_player aufile,/dev/null",
            "audio_alert aufile,/dev/null",
            f"rtp_ports {rtp}-{rtp + 9}",
            "module_path /usr/lib/baresip/modules",
            *(f"module {m}" for m in MODULES),
            *(f"module_app {m}" for m in APP_MODULES),
            f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}",
            f"cons_listen 127.0.0.1:{self.cons_port}",
        ]
        (self.root / "config").write_text("\n".join(config) + "\n")
        params = [f"auth_pass={self.secret}", f"answermode={self.answer}"]
        params.append("regint=60" if self.register else "regint=0")
        account = f"<{self.aor};transport={self.transport}>;" + ";".join(params)
        (self.root / "accounts").write_text(account + "\n")
        os.chmod(self.root / "accounts", 0o600)

    def start(self, timeout: float = PATIENCE) -> "Phone":
        self._write()
        with open(self.root / "stdout", "ab") as out:
            self.process = subprocess.Popen(
                ["baresip", "-f", str(self.root)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while self._ctrl is None:
            if self.process.poll() is not None:
                raise AssertionError(f"baresip for {self.user} exited: {self.output()}")
            try:
                self._ctrl = socket.create_connection(("127.0.0.1", self.ctrl_port), 2)
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"baresip for {self.user} opened no control port") from None
                time.sleep(0.1)
        self._ctrl.settimeout(None)
        self._reader = threading.Thread(target=self._read, daemon=True, name=f"phone-{self.user}")
        self._reader.start()
        return self

    def _read(self) -> None:
        """Netstrings from ctrl_tcp: `<len>:<json>,`. Events and command replies alike go to `_events`."""
        buffer = b""
        sock = self._ctrl
        while True:
            try:
                data = sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            buffer += data
            while True:
                head, sep, rest = buffer.partition(b":")
                if not sep or not head.isdigit() or len(rest) < int(head) + 1:
                    break
                size = int(head)
                body, buffer = rest[:size], rest[size + 1 :]
                with contextlib.suppress(ValueError):
                    message = json.loads(body)
                    with self._lock:
                        self._events.append(message)
                        self._lock.notify_all()

    def _send(self, command: str, params: str | None = None) -> None:
        self._tokens += 1
        body = json.dumps({"command": command, "params": params, "token": f"t{self._tokens}"}).encode()
        self._ctrl.sendall(str(len(body)).encode() + b":" + body + b",")

    # --- what a person does with a phone ---------------------------------------------

    def dial(self, number: str) -> None:
        self._send("dial", number)

    def accept(self) -> None:
        self._send("accept")

    def hangup(self) -> None:
        self._send("hangup")

    def keys(self, digits: str, press: float = 0.15, gap: float = 0.25) -> None:
        """Press keys during a call: each becomes RFC 4733 DTMF. A key is one UDP datagram to
        `cons`; `cons` never lets go of it by itself, so each press is followed by a release
        (baresip's KEYCODE_REL, 0x04), else the last key's tone lasts until the next one."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for digit in digits:
                udp.sendto(digit.encode(), ("127.0.0.1", self.cons_port))
                time.sleep(press)
                udp.sendto(b"\x04", ("127.0.0.1", self.cons_port))
                time.sleep(gap)

    # --- what the phone saw -----------------------------------------------------------

    def events(self, kind: str | None = None) -> list[dict]:
        with self._lock:
            return [e for e in self._events if e.get("event") and (kind is None or e.get("type") == kind)]

    def wait_event(self, kind: str, timeout: float = PATIENCE, since: int = 0, **match) -> dict:
        """The first event of `kind` (e.g. CALL_INCOMING, CALL_ESTABLISHED, CALL_CLOSED,
        REGISTER_OK) after the first `since` events, whose fields equal `match`."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for event in self._events[since:]:
                    if (
                        event.get("event")
                        and event.get("type") == kind
                        and all(event.get(k) == v for k, v in match.items())
                    ):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"phone {self.user} saw no {kind} within {timeout:.0f}s; it saw "
                        f"{[e.get('type') for e in self._events if e.get('event')]}"
                    )
                self._lock.wait(left)

    def mark(self) -> int:
        """How many events so far: pass as `since` to wait for a later one."""
        with self._lock:
            return len(self._events)

    def output(self) -> str:
        with contextlib.suppress(FileNotFoundError):
            return (self.root / "stdout").read_text(errors="replace")[-3000:]
        return ""

    # --- ending -----------------------------------------------------------------------

    def kill(self) -> None:
        """Vanish without unregistering (a phone unplugged)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)
        self._close_ctrl()

    def stop(self, timeout: float = 20) -> None:
        """Quit cleanly (baresip unregisters first), else kill it."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(OSError):
                self._send("quit")
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_ctrl()

    def _close_ctrl(self) -> None:
        if self._ctrl is not None:
            with contextlib.suppress(OSError):
                self._ctrl.close()
            self._ctrl = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "Phone":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()

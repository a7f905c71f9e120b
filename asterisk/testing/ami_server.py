"""An AMI server for tests and benchmarks that speaks Asterisk 20's wire protocol over TCP.

It answers the way the transcripts of a real Asterisk 20.20.1 show
(shared/reference/ami): the banner, Login accepted or refused (and the
connection closed a second later), Permission denied before login, ActionID
echoed when sent, header names in any case, LF-only line ends, lines over
1022 characters refused, DBPut/DBGet/DBGetTree/DBDel/DBDelTree with their
exact messages and events, `database show`, Reload, UserEvent and Logoff.

It answers the phone lists of `phones.py` (PJSIPShowContacts, SIPpeers, …)
from the phones it is given, and emits events the way Asterisk does:
`Event:` blocks written among the replies, only to logged-in sessions that
asked for events; `play()` sends a step of the recording of a real Asterisk.

It keeps an AstDB in memory and records what it was sent, and it can
misbehave on purpose: refuse connections (stop), refuse logins, stall, or
drop the connection after a number of actions.
"""

import asyncio
import codecs
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from asterisk.testing.phones import FakePhone, PhoneActions, follow, recorded_steps

BANNER = b"Asterisk Call Manager/9.0.0\r\n"
MAX_LINE = 1022
KNOWN_MODULES = {
    "chan_sip.so", "chan_sip", "chan_iax2.so", "chan_iax2", "res_pjsip.so", "res_pjsip",
    "chan_dahdi.so", "chan_dahdi", "pbx_config.so", "pbx_config", "app_voicemail.so",
}  # fmt: skip


def _response(status: str, action_id: str | None, *headers: tuple[str, str]) -> str:
    lines = [f"Response: {status}"]
    if action_id is not None:
        lines.append(f"ActionID: {action_id}")
    lines += [f"{k}: {v}" for k, v in headers]
    return "\r\n".join(lines) + "\r\n\r\n"


def _event(name: str, action_id: str | None, *headers: tuple[str, str]) -> str:
    lines = [f"Event: {name}"] + [f"{k}: {v}" for k, v in headers]
    if action_id is not None:
        lines.append(f"ActionID: {action_id}")
    return "\r\n".join(lines) + "\r\n\r\n"


class _Session(PhoneActions, asyncio.Protocol):
    def __init__(self, server: "AmiTestServer"):
        self.server = server
        self.buffer = ""
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.authenticated = False
        self.events = True
        self.handled = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport):
        self.transport = transport
        self.server._sessions.add(self)
        self.server.connections += 1
        transport.write(BANNER)

    def connection_lost(self, exc):
        self.server._sessions.discard(self)

    def data_received(self, data: bytes):
        # Decode and normalise line ends on the joined text: a chunk may end
        # between the CR and the LF, or inside a UTF-8 character.
        self.buffer = (self.buffer + self.decoder.decode(data)).replace("\r\n", "\n")
        if self.server.stall:
            self.buffer = ""
            return
        # One split per chunk: a pipelined burst carries thousands of actions.
        *blocks, self.buffer = self.buffer.split("\n\n")
        out = []
        missing = _response("Error", None, ("Message", "Missing action in request"))
        for block in blocks:
            # A blank line before any header is an empty request, answered as such.
            stripped = block.lstrip("\n")
            out.extend([missing] * (len(block) - len(stripped) + (0 if stripped else 1)))
            if not stripped:
                continue
            out.append(self._handle(stripped.split("\n")))
            if self.transport.is_closing():
                break
            self.handled += 1
            if self.server.drop_after is not None and self.handled >= self.server.drop_after:
                self.transport.write("".join(out).encode())
                self.transport.abort()
                return
        if out and not self.transport.is_closing():
            if self.server.trickle:
                self._trickle(out)
            else:
                self.transport.write("".join(out).encode())

    def _trickle(self, out: list[str]) -> None:
        """A slow Asterisk: the replies go out 500 at a time, `trickle` seconds apart."""
        loop = asyncio.get_running_loop()
        self.trickle_at = max(getattr(self, "trickle_at", 0.0), loop.time())
        for start in range(0, len(out), 500):
            self.trickle_at += self.server.trickle
            text = "".join(out[start : start + 500]).encode()
            loop.call_at(
                self.trickle_at, lambda t=text: self.transport.is_closing() or self.transport.write(t)
            )

    def _handle(self, lines: list[str]) -> str:
        headers: dict[str, str] = {}
        too_long = False
        for line in lines:
            too_long |= len(line) > MAX_LINE
            name, colon, value = line.partition(":")
            if colon:
                headers.setdefault(name.strip().lower(), value.lstrip(" "))
        action_id = headers.get("actionid")
        if too_long:
            return _response("Error", action_id, ("Message", "Failed to parse message: line too long"))
        action = headers.get("action", "").lower()
        if not action:
            return _response("Error", action_id, ("Message", "Missing action in request"))
        if action == "login":
            return self._login(headers, action_id)
        if not self.authenticated:
            return _response("Error", action_id, ("Message", "Permission denied"))
        self.server.actions.append(headers)
        handler = getattr(self, f"_action_{action}", None)
        if handler is None:
            return _response(
                "Error",
                action_id,
                (
                    "Message",
                    f"Invalid/unknown command: {headers['action']}. "
                    "Use Action: ListCommands to show available commands.",
                ),
            )
        return handler(headers, action_id)

    def _login(self, h, action_id):
        server = self.server
        ok = (
            not server.refuse_logins
            and h.get("username") == server.username
            and h.get("secret") == server.secret
        )
        if not ok:
            server.failed_logins += 1
            asyncio.get_running_loop().call_later(server.auth_fail_close_delay, self.transport.close)
            return _response("Error", action_id, ("Message", "Authentication failed"))
        self.authenticated = True
        self.events = h.get("events", "on").lower() != "off"
        return _response("Success", action_id, ("Message", "Authentication accepted"))

    def _action_ping(self, h, action_id):
        return _response("Success", action_id, ("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}"))

    def _action_dbput(self, h, action_id):
        if "family" not in h:
            return _response("Error", action_id, ("Message", "No family specified"))
        if "key" not in h:
            return _response("Error", action_id, ("Message", "No key specified"))
        self.server.db[f"/{h['family']}/{h['key']}"] = h.get("val", "").rstrip()
        return _response("Success", action_id, ("Message", "Updated database successfully"))

    def _action_dbget(self, h, action_id):
        path = f"/{h.get('family', '')}/{h.get('key', '')}"
        if path not in self.server.db:
            return _response("Error", action_id, ("Message", "Database entry not found"))
        return (
            _response("Success", action_id, ("EventList", "start"), ("Message", "Result will follow"))
            + _event(
                "DBGetResponse",
                action_id,
                ("Family", h["family"]),
                ("Key", h["key"]),
                ("Val", self.server.db[path]),
            )
            + _event("DBGetComplete", action_id, ("EventList", "Complete"), ("ListItems", "1"))
        )

    def _tree(self, family: str, key: str | None) -> list[str]:
        base = f"/{family}" + (f"/{key}" if key else "")
        return sorted(p for p in self.server.db if p == base or p.startswith(base + "/"))

    def _action_dbgettree(self, h, action_id):
        paths = self._tree(h.get("family", ""), h.get("key"))
        if not paths:
            return _response("Error", action_id, ("Message", "Database entry not found"))
        out = _response("Success", action_id, ("EventList", "start"), ("Message", "Result will follow"))
        for p in paths:
            out += _event("DBGetTreeResponse", action_id, ("Key", p), ("Val", self.server.db[p]))
        return out + _event(
            "DBGetTreeComplete", action_id, ("EventList", "Complete"), ("ListItems", str(len(paths)))
        )

    def _action_dbdel(self, h, action_id):
        path = f"/{h.get('family', '')}/{h.get('key', '')}"
        if self.server.db.pop(path, None) is None:
            return _response("Error", action_id, ("Message", "Database entry could not be deleted"))
        return _response("Success", action_id, ("Message", "Key deleted successfully"))

    def _action_dbdeltree(self, h, action_id):
        if "family" not in h:
            return _response("Error", action_id, ("Message", "No family specified"))
        paths = self._tree(h["family"], h.get("key"))
        for p in paths:
            del self.server.db[p]
        if not paths:
            return _response("Error", action_id, ("Message", "Database entry not found"))
        return _response("Success", action_id, ("Message", "Key tree deleted successfully"))

    # The running dialplan's per-user lines, as `DialplanExtensionAdd` / `Remove` change them
    # (Asterisk 20's messages): {(context, exten): {priority: (application, data)}}.
    def _action_dialplanextensionadd(self, h, action_id):
        missing = [k for k in ("context", "extension", "priority", "application") if not h.get(k)]
        if missing:
            return _response("Error", action_id, ("Message", f"{missing[0].capitalize()} not specified"))
        lines = self.server.dialplan.setdefault((h["context"], h["extension"]), {})
        replace = h.get("replace", "").lower() in ("yes", "true", "1")
        if h["priority"] in lines and not replace:
            return _response(
                "Error", action_id, ("Message", "That extension and priority already exist at that context")
            )
        lines[h["priority"]] = (h["application"], h.get("applicationdata", ""))
        return _response("Success", action_id, ("Message", "Added requested extension"))

    def _action_dialplanextensionremove(self, h, action_id):
        key = (h.get("context", ""), h.get("extension", ""))
        lines = self.server.dialplan.get(key)
        priority = h.get("priority")
        if not lines or (priority and priority not in lines):
            return _response("Error", action_id, ("Message", "Failed to remove requested extension"))
        if priority:
            del lines[priority]
        if not priority or not lines:
            del self.server.dialplan[key]
        return _response("Success", action_id, ("Message", "Removed the requested extension"))

    def _action_command(self, h, action_id):
        command = h.get("command", "").strip()
        words = command.split()
        self.server.commands.append(command)
        if words[:2] == ["database", "show"]:
            paths = (
                self._tree(words[2], words[3] if len(words) > 3 else None)
                if len(words) > 2
                else sorted(self.server.db)
            )
            output = [f"{p:<50}: {self.server.db[p]:<25}" for p in paths]
            output.append(f"{len(paths)} results found.")
        elif command == "core show uptime seconds":
            up = int(time.time() - self.server.booted_at)
            output = [f"System uptime: {up}", f"Last reload: {up}"]
        elif command == "core show version":
            output = ["Asterisk 20.20.1 (pbxadmin test server)"]
        elif command == "dialplan reload":
            self.server.load_dialplan()
            output = ["Dialplan reloaded."]
        elif command == "voicemail reload":
            output = ["Reloading voicemail configuration..."]
        else:
            hint = " ".join(words[:2])
            return _response(
                "Error",
                action_id,
                ("Message", "Command output follows"),
                (
                    "Output",
                    f"No such command '{command}' (type 'core show help {hint}' for other possible commands)",
                ),
            )
        reply = _response(
            "Success", action_id, ("Message", "Command output follows"), *[("Output", o) for o in output]
        )
        delay = self.server.slow_commands.get(command)
        if delay:
            # A busy Asterisk: the command is done (recorded above), its answer comes late.
            asyncio.get_running_loop().call_later(
                delay, lambda: self.transport.is_closing() or self.transport.write(reply.encode())
            )
            return ""
        return reply

    def _action_reload(self, h, action_id):
        module = h.get("module", "")
        if module and module not in KNOWN_MODULES:
            return _response("Error", action_id, ("Message", "No such module"))
        self.server.reloads.append(module or "all")
        return _response("Success", action_id, ("Message", "Module Reloaded"))

    def _action_setvar(self, h, action_id):
        variable = h.get("variable", "")
        if not variable:
            return _response("Error", action_id, ("Message", "No variable specified"))
        if h.get("channel"):
            return _response("Error", action_id, ("Message", "No such channel"))
        # DEVICE_STATE(Custom:X) as func_devstate writes it: the state, kept in CustomDevstate/X.
        if variable.startswith("DEVICE_STATE(Custom:") and variable.endswith(")"):
            name = variable[len("DEVICE_STATE(Custom:") : -1]
            self.server.device_states[name] = h.get("value", "")
            self.server.db[f"/CustomDevstate/{name}"] = h.get("value", "")
        else:
            self.server.globals[variable] = h.get("value", "")
        return _response("Success", action_id, ("Message", "Variable Set"))

    def _action_userevent(self, h, action_id):
        fields = [(k, v) for k, v in h.items() if k not in ("action", "actionid", "userevent")]
        self.server.broadcast(_event("UserEvent", None, ("UserEvent", h.get("userevent", "")), *fields))
        return _response("Success", action_id)

    def _action_logoff(self, h, action_id):
        asyncio.get_running_loop().call_soon(self.transport.close)
        return _response("Goodbye", action_id, ("Message", "Thanks for all the fish."))


class AmiTestServer:
    """Run with `with AmiTestServer() as ami:`; connect to 127.0.0.1:`ami.port`."""

    def __init__(self, *, username: str = "pbxadmin", secret: str = "test-secret", port: int = 0):  # noqa: S107
        self.username = username
        self.secret = secret
        self.db: dict[str, str] = {}
        self.actions: list[dict[str, str]] = []
        self.commands: list[str] = []
        self.reloads: list[str] = []
        self.dialplan: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
        # Custom device states (`Setvar DEVICE_STATE(Custom:DND1000)`) and global variables.
        self.device_states: dict[str, str] = {}
        self.globals: dict[str, str] = {}
        # CLI commands whose answer comes this many seconds late ({"dialplan reload": 3}).
        self.slow_commands: dict[str, float] = {}
        # When this "Asterisk" started (`core show uptime seconds`): a day before the test by
        # default, so every file is newer than its boot; a test sets it to now for a restart.
        self.booted_at = time.time() - 86400
        # Where `dialplan reload` reads extensions_additional.conf from (the tests' ASTERISK_CONF_DIR).
        self.conf_dir: Path | None = None
        self.connections = 0
        self.failed_logins = 0
        self.phones: dict[str, FakePhone] = {}
        self.refuse_logins = False
        self.stall = False
        # Seconds between batches of 500 replies: an Asterisk that is slow but answering.
        self.trickle = 0.0
        self.drop_after: int | None = None
        self.auth_fail_close_delay = 1.0
        self.port = port
        self._sessions: set[_Session] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="ami-test-server", daemon=True)
        self._server: asyncio.base_events.Server | None = None

    # -- lifecycle ---------------------------------------------------------
    def __enter__(self) -> "AmiTestServer":
        self._thread.start()
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _call(self, func: Callable[[], object]):
        async def run():
            return await func() if asyncio.iscoroutinefunction(func) else func()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    def load_dialplan(self) -> None:
        """`dialplan reload`: the running dialplan becomes the file's, as in Asterisk (only the
        `exten =>` / `same =>` lines; what they run is not checked)."""
        path = self.conf_dir / "extensions_additional.conf" if self.conf_dir else None
        if path is None or not path.exists():
            return
        dialplan: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
        context, exten, priority = "", "", 0
        for line in path.read_text().splitlines():
            line = line.strip()
            if line.startswith("[") and line.endswith("]"):
                context = line[1:-1]
            elif line.startswith(("exten =>", "same =>")):
                target = line.partition("=>")[2].strip()
                if line.startswith("exten"):
                    exten, _, target = target.partition(",")
                    which, _, body = target.partition(",")
                else:
                    which, _, body = target.partition(",")
                if which == "hint":
                    dialplan.setdefault((context, exten), {})["hint"] = (body, "")
                    continue
                # `n`, or `n(label)`: the next priority; else a number, perhaps labelled too.
                number = which.split("(")[0]
                priority = priority + 1 if number == "n" else int(number)
                app, _, data = body.partition("(")
                dialplan.setdefault((context, exten), {})[str(priority)] = (app, data[:-1] if data else "")
        self.dialplan = dialplan

    def start(self) -> None:
        """Listen (again, on the same port): connections are accepted."""

        async def listen():
            self._server = await self._loop.create_server(
                lambda: _Session(self), "127.0.0.1", self.port, reuse_address=True
            )
            self.port = self._server.sockets[0].getsockname()[1]

        self._call(listen)

    def stop(self) -> None:
        """Stop listening and drop every connection: Asterisk is down."""

        async def close():
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()
                self._server = None
            for session in list(self._sessions):
                session.transport.abort()

        self._call(close)

    def broadcast(self, text: str) -> None:
        for session in list(self._sessions):
            if session.authenticated and session.events and not session.transport.is_closing():
                session.transport.write(text.encode())

    def emit(self, blocks: Iterable[str]) -> None:
        """Send event blocks (`Event: …\r\n…\r\n\r\n`) to every listening session, in one write,
        and keep `phones` as Asterisk would after them. Safe to call from any thread."""
        blocks = list(blocks)
        for block in blocks:
            follow(self.phones, block)
        self._call(lambda: self.broadcast("".join(blocks)))

    def play(self, step: str) -> None:
        """Emit one step of the recording of a real Asterisk 20.20.1 (see `phones.recorded_steps`)."""
        self.emit(recorded_steps()[step])

    def listeners(self) -> int:
        """How many logged-in sessions with events on are connected."""
        return self._call(lambda: sum(1 for s in self._sessions if s.authenticated and s.events))

    # -- what tests read ---------------------------------------------------
    def astdb(self, family: str | None = None) -> dict[str, str]:
        """The AstDB as `FAMILY/key` -> value (no leading slash), optionally one family."""
        return {
            path[1:]: value
            for path, value in list(self.db.items())
            if family is None or path.startswith(f"/{family}/")
        }

    def count(self, action: str) -> int:
        return sum(1 for a in list(self.actions) if a.get("action", "").lower() == action.lower())


def main() -> None:
    """Run the test server in its own process: `python -m asterisk.testing.ami_server --port 5038`."""
    import argparse
    import signal

    parser = argparse.ArgumentParser(description="AMI test server (Asterisk 20 wire protocol)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--username", default="pbxadmin")
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    with AmiTestServer(username=args.username, secret=args.secret, port=args.port) as server:
        print(f"listening on 127.0.0.1:{server.port}", flush=True)
        signal.sigwait({signal.SIGTERM, signal.SIGINT})


if __name__ == "__main__":
    main()

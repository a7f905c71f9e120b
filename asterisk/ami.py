"""The one module that talks to Asterisk's Manager Interface (through panoramisk).

panoramisk 1.4 needs a firm hand: after a refused connection it schedules
reconnects by itself, a refused login does not raise, actions sent while
disconnected wait forever, and values are written with no escaping. This
adapter bounds every await with a timeout, checks the login, fails fast when
the connection drops, and refuses any header that could inject a line.
"""

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from panoramisk import Manager
from panoramisk.actions import Action
from panoramisk.message import Message
from panoramisk.utils import EOL

log = logging.getLogger(__name__)

# Actions whose answer is a list of events (`EventList: start` … `…Complete`).
SNAPSHOT_LISTS = (
    "PJSIPShowEndpoints",
    "PJSIPShowContacts",
    "PJSIPShowEndpoint",
    "SIPpeers",
    "IAXpeerlist",
    "DeviceStateList",
)

# Asterisk refuses header lines over 1022 characters (and drops the value).
MAX_HEADER = 1000
PIPELINE_WINDOW = 2000


class AmiError(Exception):
    retryable = False


class AmiUnavailable(AmiError):
    """Asterisk could not be reached, stalled or dropped the connection: try again later."""

    retryable = True


class AmiAuthError(AmiError):
    """Asterisk refused the login: a configuration problem, retrying will not help."""


class AmiActionError(AmiError):
    """Asterisk answered an action with an error that the caller did not expect."""


@dataclass(frozen=True)
class AmiConfig:
    host: str
    port: int
    username: str
    secret: str
    timeout: float

    @classmethod
    def from_settings(cls) -> "AmiConfig":
        return cls(
            settings.AMI_HOST,
            settings.AMI_PORT,
            settings.AMI_USERNAME,
            settings.AMI_SECRET,
            settings.AMI_TIMEOUT,
        )


def check_action(action: dict[str, str]) -> None:
    """The second guard: no header may carry a line break (a new header or action) or be too long."""
    for name, value in action.items():
        text = f"{name}: {value}"
        # Plain `in` tests: this runs for every one of 300,000 actions in a full sync.
        if "\r" in text or "\n" in text or "\x00" in text:
            raise ValueError(f"refusing to send an AMI header with a line break or NUL: {name}")
        if len(text) > MAX_HEADER:
            raise ValueError(f"refusing to send an AMI header longer than {MAX_HEADER} characters: {name}")


class _PreparedAction(Action):
    """A panoramisk Action whose ids and wire text are computed once.

    panoramisk reads `id` and renders the action through a case-insensitive
    dict several times per action; in a 300,000-action full sync that was
    most of the client's time. The bytes sent are the same.
    """

    # Actions answered by a list of events; every other action gets one reply.
    _LISTS = frozenset({"dbget", "dbgettree"} | {name.lower() for name in SNAPSHOT_LISTS})

    def __init__(self, headers: dict[str, str], on_item: Callable[[Message], None] | None = None):
        # panoramisk itself only reads the action name and id from the dict;
        # the other headers live in the prepared text.
        super().__init__({"Action": headers["Action"]})
        self._action_id = self["ActionID"]
        lines = [f"Action: {headers['Action']}", f"ActionID: {self._action_id}"]
        lines += [f"{k}: {v}" for k, v in headers.items() if k != "Action"]
        lines.append(EOL)
        self._text = EOL.join(lines)
        self._single = headers["Action"].lower() not in self._LISTS
        self._on_item = on_item

    def add_message(self, message):
        if not self._single:
            if self._on_item is not None and "event" in message and not message["event"].endswith("Complete"):
                # Handed over as it arrives, in the connection's order among the events.
                self._on_item(message)
            return super().add_message(message)
        self.responses.append(message)
        if not self.future.done():
            self.future.set_result(message)
        return True

    @property
    def id(self):
        return self._action_id

    action_id = id

    def __str__(self) -> str:
        return self._text


class _Manager(Manager):
    """panoramisk's Manager, telling us the Login reply (it only keeps a yes/no)."""

    def __init__(self, *, login_reply: asyncio.Future, **config):
        super().__init__(**config)
        self._login_reply = login_reply
        self.retired = False

    def connect(self, *args, **kwargs):
        # panoramisk schedules a re-dial of its own after a drop; once the
        # session is over it must not come back (the listener dials anew).
        if self.retired:
            return None
        return super().connect(*args, **kwargs)

    def login(self, future):
        authenticated = super().login(future)
        if not self._login_reply.done():
            self._login_reply.set_result(future.result())
        return authenticated


class AmiSession:
    """One authenticated AMI connection: `async with AmiSession(config) as ami: await ami.send([...])`."""

    # A command's session needs no events; the event listener's does.
    events = "off"

    def __init__(self, config: AmiConfig):
        self.config = config
        self.manager: Manager | None = None
        self._lost: asyncio.Future | None = None

    def _configure(self, manager: Manager) -> None:
        """Hook for subclasses: register event callbacks before the login."""

    async def __aenter__(self) -> "AmiSession":
        loop = asyncio.get_running_loop()
        self._lost = loop.create_future()

        def on_disconnect(manager, exc):
            if not self._lost.done():
                self._lost.set_result(exc)

        login_reply = loop.create_future()
        self.manager = _Manager(
            login_reply=login_reply,
            loop=loop,
            host=self.config.host,
            port=self.config.port,
            username=self.config.username,
            secret=self.config.secret,
            events=self.events,
            # This session is short-lived: no background pings, and a dropped
            # connection is reported to the caller instead of re-dialled.
            ping_delay=3600,
            reconnect_timeout=3600,
            on_disconnect=on_disconnect,
        )
        self._configure(self.manager)
        where = f"{self.config.host}:{self.config.port}"
        connecting = self.manager.connect()
        try:
            await asyncio.wait_for(asyncio.shield(connecting), self.config.timeout)
        except TimeoutError:
            # Keep panoramisk from treating the cancellation as a connection to retry.
            connecting.remove_done_callback(self.manager.connection_made)
            connecting.cancel()
            raise AmiUnavailable(
                f"no answer from Asterisk at {where} within {self.config.timeout}s"
            ) from None
        except OSError as e:
            self.manager.retired = True
            self.manager.close()
            raise AmiUnavailable(f"cannot connect to Asterisk at {where}: {e}") from e
        try:
            reply = await self._wait(login_reply, "login")
        except BaseException:
            await self.__aexit__()
            raise
        if not reply.success:
            self.manager.retired = True
            self.manager.close()
            raise AmiAuthError(
                f"Asterisk refused the login of {self.config.username!r}: {reply.get('Message', '')}"
            )
        return self

    async def __aexit__(self, *exc_info) -> None:
        if self.manager is not None:
            self.manager.retired = True
            self.manager.close()

    async def _wait(self, awaitable, what: str, timeout: float | None = None):
        """Wait for one reply, but give up on a timeout or a dropped connection."""
        timeout = timeout or self.config.timeout
        future = asyncio.ensure_future(awaitable)
        done, _ = await asyncio.wait(
            {future, self._lost}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if future in done:
            return future.result()
        future.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await future  # collect the cancellation, so asyncio does not report it as lost
        if self._lost in done:
            raise AmiUnavailable(f"Asterisk closed the connection during {what}")
        raise AmiUnavailable(f"Asterisk did not answer {what} within {timeout}s")

    async def send(self, actions: Iterable[dict[str, str]]) -> list[Message | list[Message]]:
        """Send actions pipelined; return their replies in order."""
        replies: list = []
        await self.push(actions, lambda action, reply: replies.append(reply))
        return replies

    async def push(self, actions: Iterable[dict[str, str]], on_reply: Callable[[dict, object], None]) -> None:
        """Send many actions pipelined, calling `on_reply(action, reply)` in order as replies arrive.

        Two windows are in flight at a time, so Asterisk works on one while the
        next is being prepared, and replies are handed over and dropped window
        by window rather than kept: a full sync is 300,000 actions.
        """
        actions = list(actions)
        for action in actions:
            check_action(action)
        # Hundreds of thousands of short-lived futures and messages would set
        # off full garbage collections over everything the sync holds; pause
        # the cycle collector for the push (reference counting still frees them).
        collecting = gc.isenabled() and len(actions) > PIPELINE_WINDOW
        if collecting:
            gc.disable()
        try:
            await self._push(actions, on_reply)
        finally:
            if collecting:
                gc.enable()

    async def _push(self, actions: list[dict[str, str]], on_reply) -> None:
        in_flight: list[tuple[list[dict], asyncio.Future]] = []
        for start in range(0, len(actions), PIPELINE_WINDOW):
            if self._lost.done():
                raise AmiUnavailable("Asterisk closed the connection")
            window = actions[start : start + PIPELINE_WINDOW]
            in_flight.append((window, asyncio.gather(*self._write_window(window))))
            if len(in_flight) == 2:
                await self._collect(*in_flight.pop(0), on_reply)
        for window, gathered in in_flight:
            await self._collect(window, gathered, on_reply)

    async def _collect(self, window, gathered, on_reply) -> None:
        for action, reply in zip(window, await self._wait(gathered, f"{len(window)} actions"), strict=True):
            on_reply(action, reply)

    def _write_window(self, window: list[dict[str, str]]) -> list[asyncio.Future]:
        """Queue a window of actions through panoramisk, written to the socket in one go."""
        transport = self.manager.protocol.transport
        chunks: list[bytes] = []
        # panoramisk writes each action as it is queued (a system call each);
        # collect them and write once. Same bytes, same order.
        transport.write = chunks.append
        try:
            futures = [self.manager.send_action(_PreparedAction(action)) for action in window]
        finally:
            del transport.write
        transport.write(b"".join(chunks))
        return futures

    async def send_one(self, action: dict[str, str]) -> Message | list[Message]:
        return (await self.send([action]))[0]

    async def command(self, command: str) -> list[str]:
        """A CLI command; its output lines."""
        reply = await self.send_one({"Action": "Command", "Command": command})
        if not reply.success:
            raise AmiActionError(f"{command!r}: {reply.get('Message', '')} {reply.get('Output', '')}".strip())
        output = reply.get("Output", [])
        return output if isinstance(output, list) else [output]


def plain(message: Message) -> dict[str, str]:
    """A message as a plain dict, header names in lower case (Asterisk writes `URI` here and `Uri` there);
    a repeated header keeps its last value."""
    return {key.lower(): value[-1] if isinstance(value, list) else value for key, value in message.items()}


class AmiEventSession(AmiSession):
    """An AMI connection with events on, for the event listener.

    `on_event(event)` is called with each event as a `plain` dict, in the order
    Asterisk sent them; the items of a list answer (`snapshot`) go through it
    too, at their place in that order, so a later event always wins over an
    earlier list item. Use `async with AmiEventSession(config, on_event) as s:`,
    then `await s.snapshot([...])` and `await s.until_closed()`.
    """

    events = "on"

    def __init__(self, config: AmiConfig, on_event: Callable[[dict[str, str]], None]):
        super().__init__(config)
        self._on_event = on_event

    def _configure(self, manager: Manager) -> None:
        manager.register_event("*", lambda _manager, message: self._on_event(plain(message)))

    async def snapshot(self, actions: Iterable[dict[str, str]]) -> list[Message | list[Message]]:
        """Send list actions (and single ones); their items reach `on_event`; returns the replies."""
        actions = list(actions)
        for action in actions:
            check_action(action)
        futures = [
            self.manager.send_action(_PreparedAction(action, on_item=lambda m: self._on_event(plain(m))))
            for action in actions
        ]
        # Thousands of phones make long lists: allow more than one action's timeout.
        return await self._wait(
            asyncio.gather(*futures), f"{len(actions)} list actions", timeout=max(30, self.config.timeout)
        )

    async def until_closed(self, keepalive: float = 20) -> None:
        """Wait until the connection drops, pinging now and then to notice a dead link; raise AmiUnavailable."""
        while True:
            done, _ = await asyncio.wait({self._lost}, timeout=keepalive)
            if done:
                exc = self._lost.result()
                raise AmiUnavailable(f"Asterisk closed the connection{f': {exc}' if exc else ''}")
            await self.send_one({"Action": "Ping"})


def run(coroutine_factory, config: AmiConfig | None = None):
    """Run `coroutine_factory(session)` in a fresh event loop with one session; return its result."""

    async def main():
        async with AmiSession(config or AmiConfig.from_settings()) as session:
            return await coroutine_factory(session)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    # Called from code that already runs an event loop in this thread: use a thread of our own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()

"""The one module that talks to Asterisk's Manager Interface (through panoramisk).

panoramisk 1.4 needs a firm hand: after a refused connection it schedules
reconnects by itself, a refused login does not raise, actions sent while
disconnected wait forever, and values are written with no escaping. This
adapter bounds every await with a timeout, checks the login, fails fast when
the connection drops, and refuses any header that could inject a line.

panoramisk connects, logs in and serves single actions, commands and events.
A sync's many actions take `AmiSession.push`, a lean path over the same
connection (pre-rendered bytes out, replies matched by ActionID in), because
one panoramisk object per action and per reply cost most of a full sync.
"""

import asyncio
import contextlib
import contextvars
import gc
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from panoramisk import Manager
from panoramisk.actions import Action
from panoramisk.message import Message

from asterisk.ami_wire import BulkReader, Reply, check_actions, check_bulk, render
from asterisk.ami_wire import check_action as check_action  # part of the adapter's face: the guard
from directory.servers.current import current as server_in_use

log = logging.getLogger(__name__)

# Actions whose answer is a list of events (`EventList: start` … `…Complete`).
SNAPSHOT_LISTS = (
    "PJSIPShowEndpoints",
    "PJSIPShowContacts",
    "PJSIPShowEndpoint",
    "SIPpeers",
    "IAXpeerlist",
    "DeviceStateList",
    "PJSIPShowRegistrationsOutbound",
    "SIPshowregistry",
    "IAXregistry",
)

# The bulk path writes actions in windows and keeps this many unanswered:
# enough that Asterisk never waits for the client, even on a busy machine.
PIPELINE_WINDOW = 2000
IN_FLIGHT = 16_000
# Seconds between progress reports of a long push.
PROGRESS_EVERY = 2.0


class AmiError(Exception):
    retryable = False


class AmiUnavailable(AmiError):
    """Asterisk could not be reached, stalled or dropped the connection: try again later."""

    retryable = True


class AmiNoAnswer(AmiUnavailable):
    """The connection is up but Asterisk did not answer within the time allowed."""


class AmiBusy(AmiError):
    """Asterisk is there but has not finished what it was asked (a reload of a big dialplan)
    within the generous time allowed: try again later, and never call it unreachable."""

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
    secret: str = field(repr=False)
    # How long an ordinary action may go unanswered before Asterisk counts as unreachable.
    timeout: float
    # How long a reload, or a long CLI command (`database show` of a big system), may take:
    # a busy Asterisk is not a missing one.
    slow_timeout: float = 600.0

    @classmethod
    def from_settings(cls) -> "AmiConfig":
        return cls(
            settings.AMI_HOST,
            settings.AMI_PORT,
            settings.AMI_USERNAME,
            settings.AMI_SECRET,
            settings.AMI_TIMEOUT,
            settings.AMI_RELOAD_TIMEOUT,
        )

    @classmethod
    def for_server(cls, server) -> "AmiConfig":
        """How to reach `server`'s Asterisk. A server with no AMI host of its own (the default
        one, as the migration made it) is this host's settings' Asterisk; one with a host of its
        own never gets the settings' secret: it is not sent to an address it was not typed for."""
        if not server.ami_host:
            return cls(
                settings.AMI_HOST,
                server.ami_port or settings.AMI_PORT,
                server.ami_username or settings.AMI_USERNAME,
                server.ami_secret or settings.AMI_SECRET,
                settings.AMI_TIMEOUT,
                settings.AMI_RELOAD_TIMEOUT,
            )
        return cls(
            server.ami_host,
            server.ami_port or settings.AMI_PORT,
            server.ami_username or settings.AMI_USERNAME,
            server.ami_secret,
            settings.AMI_TIMEOUT,
            settings.AMI_RELOAD_TIMEOUT,
        )

    @classmethod
    def current(cls) -> "AmiConfig":
        """How to reach the Asterisk of the server in use (`directory.servers.current.current()`)."""
        return cls.for_server(server_in_use())

    @property
    def configured(self) -> bool:
        """Whether pbxadmin was told how to reach Asterisk (a manager account always has a
        secret). Without one, syncs write the config files and leave AstDB for later."""
        return bool(self.secret)


class _ListAction(Action):
    """A list action (the event listener's snapshot) whose items are handed over as they arrive,
    at their place among the connection's events."""

    def __init__(self, headers: dict[str, str], on_item: Callable[[Message], None]):
        super().__init__(dict(headers))
        self._on_item = on_item

    def add_message(self, message):
        if "event" in message and not message["event"].endswith("Complete"):
            self._on_item(message)
        return super().add_message(message)


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
        self._pushes = 0

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
        raise AmiNoAnswer(f"Asterisk did not answer {what} within {timeout}s")

    async def send(
        self, actions: Iterable[dict[str, str]], timeout: float | None = None
    ) -> list[Message | list[Message]]:
        """Send a few actions through panoramisk, pipelined; return their replies in order.

        An action answered by a list of events (DBGet, DBGetTree) gets the list. `timeout`
        (default AMI_TIMEOUT) bounds the wait for all the replies.
        """
        actions = list(actions)
        check_actions(actions)
        if self._lost.done():
            raise AmiUnavailable("Asterisk closed the connection")
        futures = [self.manager.send_action(dict(action)) for action in actions]
        return list(await self._wait(asyncio.gather(*futures), f"{len(actions)} actions", timeout))

    async def push(
        self,
        actions: Iterable[dict[str, str]],
        on_reply: Callable[[dict, Reply], None],
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Send many one-reply actions pipelined, calling `on_reply(action, reply)` in order.

        The bulk path of a full sync (300,000 actions): every header is checked
        first (nothing is sent if one is refused); then windows of actions are
        rendered to bytes and written straight to the session's connection, up
        to IN_FLIGHT unanswered so Asterisk always has work, and the replies are
        read by a lean parser matched by ActionID, instead of panoramisk's
        objects per action and reply. The connection then goes back to panoramisk.

        Whatever `on_reply` raises ends the push and is raised here; a dropped
        connection, or no progress within the timeout, raises AmiUnavailable.
        `on_progress(answered, total)`, when given, is called in a worker thread (it may
        use the database) every few seconds of a long push: a first full sync of a big
        system says how far it is, and keeps its claim on the run.
        """
        actions = list(actions)
        check_bulk(actions)
        if not actions:
            return
        if self._lost.done():
            raise AmiUnavailable("Asterisk closed the connection")
        self._pushes += 1
        prefix = f"bulk{self._pushes}/"
        protocol = self.manager.protocol
        transport = protocol.transport
        reader = BulkReader(protocol, prefix, actions, on_reply, self.manager.encoding)
        transport.set_protocol(reader)
        # Hundreds of thousands of short-lived replies would set off full
        # garbage collections over everything the sync holds; pause the cycle
        # collector for the push (reference counting still frees them).
        collecting = gc.isenabled() and len(actions) > PIPELINE_WINDOW
        if collecting:
            gc.disable()
        loop = asyncio.get_running_loop()
        told = loop.time()

        async def tell() -> None:
            nonlocal told
            if on_progress is not None and loop.time() - told >= PROGRESS_EVERY:
                told = loop.time()
                await asyncio.to_thread(on_progress, reader.delivered, len(actions))

        try:
            for start in range(0, len(actions), PIPELINE_WINDOW):
                if self._lost.done():
                    raise AmiUnavailable("Asterisk closed the connection during the push")
                # Rendered here, while Asterisk works through the windows before.
                transport.write(render(actions[start : start + PIPELINE_WINDOW], start, prefix))
                answered = start + PIPELINE_WINDOW - IN_FLIGHT
                if answered > 0:
                    await self._progress(reader, answered, f"actions up to {answered}")
                    await tell()
            await self._progress(reader, len(actions), f"the last of {len(actions)} actions")
        finally:
            if collecting:
                gc.enable()
            reader.hand_back(transport)

    async def _progress(self, reader: BulkReader, count: int, what: str) -> None:
        """Wait for the first `count` replies of a push. The timeout is for no progress at
        all: a slow Asterisk still answering is waited for, a stalled one is not."""
        while True:
            seen = reader.delivered
            try:
                return await self._wait(reader.until(count), what)
            except AmiUnavailable:
                if self._lost.done() or reader.error is not None or reader.delivered == seen:
                    raise
                log.debug("Asterisk is slow but answering: %s of %s replies", reader.delivered, count)

    async def send_one(self, action: dict[str, str], timeout: float | None = None) -> Message | list[Message]:
        return (await self.send([action], timeout))[0]

    async def command(self, command: str, timeout: float | None = None) -> list[str]:
        """A CLI command; its output lines."""
        reply = await self.send_one({"Action": "Command", "Command": command}, timeout)
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
        check_actions(actions)
        futures = [
            self.manager.send_action(_ListAction(action, on_item=lambda m: self._on_event(plain(m))))
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

    # The result stays out of the task: asyncio.run formats the finished task,
    # result and all, when it restores the Ctrl-C handler, and a full sync's
    # plan of 300,000 actions took 0.4 s to format.
    results = []

    async def main(config: AmiConfig) -> None:
        async with AmiSession(config) as session:
            results.append(await coroutine_factory(session))

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(main(config or AmiConfig.current()))
    else:
        # Called from code that already runs an event loop in this thread: use a thread of our own
        # (the server in use goes with it: a context variable).
        with ThreadPoolExecutor(max_workers=1) as pool:
            config = config or pool.submit(contextvars.copy_context().run, AmiConfig.current).result()
            pool.submit(asyncio.run, main(config)).result()
    return results[0]

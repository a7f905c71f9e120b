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
import gc
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import chain

from django.conf import settings
from panoramisk import Manager
from panoramisk.actions import Action
from panoramisk.message import Message

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
# The bulk path writes actions in windows and keeps this many unanswered:
# enough that Asterisk never waits for the client, even on a busy machine.
PIPELINE_WINDOW = 2000
IN_FLIGHT = 16_000


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


# Reply statuses that mean the action was carried out (the same as panoramisk's).
_SUCCESS = frozenset({"Success", "Follows", "Goodbye"})
# Actions answered by a list of events: `send` reads those, the bulk path does not.
_LISTS = frozenset({"dbget", "dbgettree"})
_END = "\r\n\r\n"


class Reply:
    """One reply read by the bulk path: its headers, looked up by name in any case.

    Enough of panoramisk's Message for judging a reply (`success`, `get`), at
    a fraction of its cost: a full sync reads 300,000 replies, and the text of
    one is parsed only when a header is asked for.
    """

    __slots__ = ("_headers", "text")

    def __init__(self, text: str):
        self.text = text  # without the blank line that ends it
        self._headers: dict[str, str | list[str]] | None = None

    @property
    def headers(self) -> dict[str, str | list[str]]:
        """Names in lower case; a header that comes more than once (`Output`) is a list."""
        if self._headers is None:
            self._headers = _parse_headers(self.text)
        return self._headers

    @property
    def success(self) -> bool:
        # Asterisk starts a response with its status: the common answer needs no parsing.
        return self.text.startswith("Response: Success\r\n") or self.headers.get("response") in _SUCCESS

    def get(self, name: str, default=None):
        return self.headers.get(name.lower(), default)

    def __getitem__(self, name: str):
        return self.headers[name.lower()]

    def __repr__(self) -> str:
        return f"<Reply {self.headers!r}>"


def _parse_headers(text: str) -> dict[str, str | list[str]]:
    headers: dict[str, str | list[str]] = {}
    for line in text.split("\r\n"):
        name, sep, value = line.partition(": ")
        if not sep:
            continue  # a blank line, or a legacy `--END COMMAND--`
        name = name.lower()
        held = headers.get(name)
        if held is None:
            headers[name] = value
        elif isinstance(held, list):
            held.append(value)
        else:
            headers[name] = [held, value]
    return headers


def check_actions(actions: list[dict[str, str]]) -> None:
    """`check_action` on every header of many actions, in a few passes over their text at once.

    The batch passes when no name or value holds a CR, LF or NUL and the longest
    name and the longest value together fit a header line. Otherwise every
    action goes through `check_action`, which refuses the header by name.
    """
    names = set(chain.from_iterable(actions))
    values = list(chain.from_iterable(map(dict.values, actions)))
    try:
        text = "".join(names) + "".join(values)
    except TypeError:  # a name or value that is not text yet: check_action formats it
        text = "\n"
    if (
        "\r" in text
        or "\n" in text
        or "\x00" in text
        or max(map(len, names), default=0) + 2 + max(map(len, values), default=0) > MAX_HEADER
    ):
        for action in actions:
            check_action(action)


def _check_bulk(actions: list[dict[str, str]]) -> None:
    """What the bulk path sends: safe headers, one reply per action, its own ActionIDs."""
    check_actions(actions)
    kinds = {action.get("Action") for action in actions}
    if None in kinds:
        raise ValueError("refusing to send an AMI action without an Action header")
    if any(kind.lower() in _LISTS for kind in kinds):
        raise ValueError(f"the bulk path reads one reply per action; send {sorted(kinds)} with send()")
    if any(name.lower() == "actionid" for name in set(chain.from_iterable(actions))):
        raise ValueError("the bulk path numbers the actions itself: leave ActionID out")


def _render(window: list[dict[str, str]], start: int, prefix: str) -> bytes:
    """The wire bytes of a window of actions, the one at `start` numbered `<prefix><start>`."""
    return "".join(
        [
            "\r\n".join([f"{name}: {value}" for name, value in action.items()])
            + f"\r\nActionID: {prefix}{index}{_END}"
            for index, action in enumerate(window, start)
        ]
    ).encode()


class _BulkReader(asyncio.Protocol):
    """Reads the connection during a bulk push, in place of panoramisk's protocol.

    Replies carrying the push's ActionIDs are parsed here and handed to
    `on_reply` in the order of the actions; anything else (a reply to a single
    action sent meanwhile) goes on to panoramisk, which gets the connection
    back, with any unread text, when the push ends.
    """

    def __init__(self, protocol: asyncio.Protocol, prefix: str, actions: list[dict], on_reply, encoding: str):
        self.protocol = protocol
        self.prefix = prefix
        self.actions = actions
        self.on_reply = on_reply
        self.encoding = encoding
        self.replies: list[Reply | None] = [None] * len(actions)
        self.delivered = 0
        self.error: BaseException | None = None
        self.waiter: asyncio.Future | None = None
        self.target = 0
        # panoramisk keeps the start of a reply not yet complete in its queue.
        self.unread = "".join(protocol.queue).encode(encoding)
        protocol.queue.clear()

    def hand_back(self, transport: asyncio.Transport) -> None:
        transport.set_protocol(self.protocol)
        self.protocol.queue.append(self.unread.decode(self.encoding, "ignore"))

    def until(self, count: int) -> asyncio.Future:
        """A future done once the first `count` replies are handed over (or one was refused)."""
        self.waiter = asyncio.get_running_loop().create_future()
        self.target = count
        self._settle()
        return self.waiter

    def _settle(self) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if self.error is not None:
            waiter.set_exception(self.error)
        elif self.delivered >= self.target:
            waiter.set_result(None)

    def data_received(self, data: bytes) -> None:
        complete, end, self.unread = (self.unread + data).rpartition(_END.encode())
        if not end:
            return
        prefix, replies, count = self.prefix, self.replies, len(self.replies)
        marker = f"ActionID: {prefix}"
        skip = len(marker)
        for block in complete.decode(self.encoding, "replace").split(_END):
            # Asterisk echoes `ActionID: <id>` as sent: find it without parsing the reply.
            at = block.find(marker)
            if at == 0 or (at > 0 and block[at - 1] == "\n"):
                end = block.find("\r", at)
                number = block[at + skip : end] if end > 0 else block[at + skip :]
            else:
                # Another spelling of the header, or not a reply of this push.
                action_id = Reply(block).get("ActionID", "")
                number = action_id[len(prefix) :] if action_id.startswith(prefix) else ""
            if number.isdecimal() and (index := int(number)) < count:
                replies[index] = Reply(block)
            elif block.strip():
                self.protocol.data_received((block + _END).encode(self.encoding))
        self._deliver()
        self._settle()

    def _deliver(self) -> None:
        """Hand over the replies that have arrived, in the order of the actions."""
        if self.error is not None:
            return  # the push has failed: the rest is still read, to keep the text in step, but not judged
        replies, actions, on_reply = self.replies, self.actions, self.on_reply
        index, count = self.delivered, len(replies)
        try:
            while index < count and (reply := replies[index]) is not None:
                replies[index] = None  # handed over: keep nothing
                on_reply(actions[index], reply)
                index += 1
        except Exception as e:  # raised again by the push that waits for these replies
            self.error = e
        self.delivered = index

    # The connection's life stays panoramisk's business.
    def connection_lost(self, exc):
        self.protocol.connection_lost(exc)

    def eof_received(self):
        return self.protocol.eof_received()

    def pause_writing(self):
        self.protocol.pause_writing()

    def resume_writing(self):
        self.protocol.resume_writing()


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
        raise AmiUnavailable(f"Asterisk did not answer {what} within {timeout}s")

    async def send(self, actions: Iterable[dict[str, str]]) -> list[Message | list[Message]]:
        """Send a few actions through panoramisk, pipelined; return their replies in order.

        An action answered by a list of events (DBGet, DBGetTree) gets the list.
        """
        actions = list(actions)
        check_actions(actions)
        if self._lost.done():
            raise AmiUnavailable("Asterisk closed the connection")
        futures = [self.manager.send_action(dict(action)) for action in actions]
        return list(await self._wait(asyncio.gather(*futures), f"{len(actions)} actions"))

    async def push(self, actions: Iterable[dict[str, str]], on_reply: Callable[[dict, Reply], None]) -> None:
        """Send many one-reply actions pipelined, calling `on_reply(action, reply)` in order.

        The bulk path of a full sync (300,000 actions): every header is checked
        first (nothing is sent if one is refused); then windows of actions are
        rendered to bytes and written straight to the session's connection, up
        to IN_FLIGHT unanswered so Asterisk always has work, and the replies are
        read by a lean parser matched by ActionID, instead of panoramisk's
        objects per action and reply. The connection then goes back to panoramisk.

        Whatever `on_reply` raises ends the push and is raised here; a dropped
        connection, or no progress within the timeout, raises AmiUnavailable.
        """
        actions = list(actions)
        _check_bulk(actions)
        if not actions:
            return
        if self._lost.done():
            raise AmiUnavailable("Asterisk closed the connection")
        self._pushes += 1
        prefix = f"bulk{self._pushes}/"
        protocol = self.manager.protocol
        transport = protocol.transport
        reader = _BulkReader(protocol, prefix, actions, on_reply, self.manager.encoding)
        transport.set_protocol(reader)
        # Hundreds of thousands of short-lived replies would set off full
        # garbage collections over everything the sync holds; pause the cycle
        # collector for the push (reference counting still frees them).
        collecting = gc.isenabled() and len(actions) > PIPELINE_WINDOW
        if collecting:
            gc.disable()
        try:
            for start in range(0, len(actions), PIPELINE_WINDOW):
                if self._lost.done():
                    raise AmiUnavailable("Asterisk closed the connection during the push")
                # Rendered here, while Asterisk works through the windows before.
                transport.write(_render(actions[start : start + PIPELINE_WINDOW], start, prefix))
                answered = start + PIPELINE_WINDOW - IN_FLIGHT
                if answered > 0:
                    await self._progress(reader, answered, f"actions up to {answered}")
            await self._progress(reader, len(actions), f"the last of {len(actions)} actions")
        finally:
            if collecting:
                gc.enable()
            reader.hand_back(transport)

    async def _progress(self, reader: _BulkReader, count: int, what: str) -> None:
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

    async def main() -> None:
        async with AmiSession(config or AmiConfig.from_settings()) as session:
            results.append(await coroutine_factory(session))

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(main())
    else:
        # Called from code that already runs an event loop in this thread: use a thread of our own.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, main()).result()
    return results[0]

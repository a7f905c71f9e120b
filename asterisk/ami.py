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
from panoramisk.message import Message

log = logging.getLogger(__name__)

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


# Reply statuses that mean the action was carried out (the same as panoramisk's).
_SUCCESS = frozenset({"Success", "Follows", "Goodbye"})
# Actions answered by a list of events: `send` reads those, the bulk path does not.
_LISTS = frozenset({"dbget", "dbgettree"})
_END = "\r\n\r\n"


class Reply:
    """One reply read by the bulk path: its headers, looked up by name in any case.

    Enough of panoramisk's Message for judging a reply (`success`, `get`), at a
    fraction of its cost: a full sync reads 300,000 of them.
    """

    __slots__ = ("headers",)

    def __init__(self, headers: dict[str, str | list[str]]):
        self.headers = headers  # names in lower case; a repeated header is a list

    @property
    def success(self) -> bool:
        return self.headers.get("response") in _SUCCESS

    def get(self, name: str, default=None):
        return self.headers.get(name.lower(), default)

    def __getitem__(self, name: str):
        return self.headers[name.lower()]

    def __repr__(self) -> str:
        return f"<Reply {self.headers!r}>"


def parse_reply(block: str) -> Reply:
    """One reply's text (without the blank line that ends it) as a Reply."""
    headers: dict[str, str | list[str]] = {}
    for line in block.split("\r\n"):
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
    return Reply(headers)


def _render(actions: list[dict[str, str]], prefix: str) -> list[bytes]:
    """The wire bytes of `actions`, window by window, each numbered `prefix<index>` as its ActionID.

    Every header is checked before anything is sent. The check runs over each
    window's text at once, and is the same as `check_action` on every header:
    only the line breaks the rendering adds may be there, no NUL, no line too
    long. A window that fails goes through `check_action`, which names the header.
    """
    windows = []
    for start in range(0, len(actions), PIPELINE_WINDOW):
        window = actions[start : start + PIPELINE_WINDOW]
        names = {action.get("Action") for action in window}
        if None in names:
            raise ValueError("refusing to send an AMI action without an Action header")
        if any(name.lower() in _LISTS for name in names):
            raise ValueError(f"the bulk path reads one reply per action; send {sorted(names)} with send()")
        text = "".join(
            [
                "\r\n".join([f"{name}: {value}" for name, value in action.items()])
                + f"\r\nActionID: {prefix}{index}{_END}"
                for index, action in enumerate(window, start)
            ]
        )
        breaks = sum(map(len, window)) + 2 * len(window)
        if (
            text.count("\r\n") != breaks
            or text.count("\r") != breaks
            or text.count("\n") != breaks
            or "\x00" in text
            or max(map(len, text.split("\r\n"))) > MAX_HEADER
        ):
            for action in window:
                check_action(action)
            raise ValueError("refusing to send an AMI header with a line break or NUL")  # not reached
        if text.lower().count("\nactionid:") != len(window):
            raise ValueError("the bulk path numbers the actions itself: leave ActionID out")
        windows.append(text.encode())
    return windows


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
        if self.error is not None:
            return  # the push has failed; what is still coming is of no use
        complete, end, self.unread = (self.unread + data).rpartition(_END.encode())
        if not end:
            return
        prefix, size, replies = self.prefix, len(self.prefix), self.replies
        for block in complete.decode(self.encoding, "replace").split(_END):
            reply = parse_reply(block)
            action_id = reply.headers.get("actionid", "")
            number = action_id[size:] if action_id.startswith(prefix) else ""
            if number.isdecimal() and int(number) < len(replies):
                replies[int(number)] = reply
            elif block.strip():
                self.protocol.data_received((block + _END).encode(self.encoding))
        self._deliver()
        self._settle()

    def _deliver(self) -> None:
        """Hand over the replies that have arrived, in the order of the actions."""
        replies, actions, on_reply = self.replies, self.actions, self.on_reply
        index = self.delivered
        try:
            while index < len(replies) and (reply := replies[index]) is not None:
                on_reply(actions[index], reply)
                replies[index] = None  # handed over: keep nothing
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


class _Manager(Manager):
    """panoramisk's Manager, telling us the Login reply (it only keeps a yes/no)."""

    def __init__(self, *, login_reply: asyncio.Future, **config):
        super().__init__(**config)
        self._login_reply = login_reply

    def login(self, future):
        authenticated = super().login(future)
        if not self._login_reply.done():
            self._login_reply.set_result(future.result())
        return authenticated


class AmiSession:
    """One authenticated AMI connection: `async with AmiSession(config) as ami: await ami.send([...])`."""

    def __init__(self, config: AmiConfig):
        self.config = config
        self.manager: Manager | None = None
        self._lost: asyncio.Future | None = None
        self._pushes = 0

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
            events="off",
            # This session is short-lived: no background pings, and a dropped
            # connection is reported to the caller instead of re-dialled.
            ping_delay=3600,
            reconnect_timeout=3600,
            on_disconnect=on_disconnect,
        )
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
            self.manager.close()
            raise AmiUnavailable(f"cannot connect to Asterisk at {where}: {e}") from e
        reply = await self._wait(login_reply, "login")
        if not reply.success:
            self.manager.close()
            raise AmiAuthError(
                f"Asterisk refused the login of {self.config.username!r}: {reply.get('Message', '')}"
            )
        return self

    async def __aexit__(self, *exc_info) -> None:
        if self.manager is not None:
            self.manager.close()

    async def _wait(self, awaitable, what: str):
        """Wait for one reply, but give up on a timeout or a dropped connection."""
        future = asyncio.ensure_future(awaitable)
        done, _ = await asyncio.wait(
            {future, self._lost}, timeout=self.config.timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if future in done:
            return future.result()
        future.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await future  # collect the cancellation, so asyncio does not report it as lost
        if self._lost in done:
            raise AmiUnavailable(f"Asterisk closed the connection during {what}")
        raise AmiUnavailable(f"Asterisk did not answer {what} within {self.config.timeout}s")

    async def send(self, actions: Iterable[dict[str, str]]) -> list[Message | list[Message]]:
        """Send a few actions through panoramisk, pipelined; return their replies in order.

        An action answered by a list of events (DBGet, DBGetTree) gets the list.
        """
        actions = list(actions)
        for action in actions:
            check_action(action)
        if self._lost.done():
            raise AmiUnavailable("Asterisk closed the connection")
        futures = [self.manager.send_action(dict(action)) for action in actions]
        return list(await self._wait(asyncio.gather(*futures), f"{len(actions)} actions"))

    async def push(self, actions: Iterable[dict[str, str]], on_reply: Callable[[dict, Reply], None]) -> None:
        """Send many one-reply actions pipelined, calling `on_reply(action, reply)` in order.

        The bulk path of a full sync (300,000 actions): every action is checked
        and rendered to bytes first (nothing is sent if one is refused), then
        written window by window on the session's connection, two windows in
        flight so Asterisk always has work; the replies are read by a lean
        parser matched by ActionID, then the connection goes back to
        panoramisk. Whatever `on_reply` raises ends the push and is raised here;
        a dropped connection, or no progress within the timeout, raises AmiUnavailable.
        """
        actions = list(actions)
        self._pushes += 1
        windows = _render(actions, f"bulk{self._pushes}/")
        if not actions:
            return
        if self._lost.done():
            raise AmiUnavailable("Asterisk closed the connection")
        protocol = self.manager.protocol
        transport = protocol.transport
        reader = _BulkReader(protocol, f"bulk{self._pushes}/", actions, on_reply, self.manager.encoding)
        transport.set_protocol(reader)
        # Hundreds of thousands of short-lived replies would set off full
        # garbage collections over everything the sync holds; pause the cycle
        # collector for the push (reference counting still frees them).
        collecting = gc.isenabled() and len(windows) > 1
        if collecting:
            gc.disable()
        try:
            for number, window in enumerate(windows):
                if self._lost.done():
                    raise AmiUnavailable("Asterisk closed the connection during the push")
                transport.write(window)
                if number:
                    done = number * PIPELINE_WINDOW
                    await self._wait(reader.until(done), f"actions {done - PIPELINE_WINDOW + 1}-{done}")
            await self._wait(reader.until(len(actions)), f"the last of {len(actions)} actions")
        finally:
            if collecting:
                gc.enable()
            reader.hand_back(transport)

    async def send_one(self, action: dict[str, str]) -> Message | list[Message]:
        return (await self.send([action]))[0]

    async def command(self, command: str) -> list[str]:
        """A CLI command; its output lines."""
        reply = await self.send_one({"Action": "Command", "Command": command})
        if not reply.success:
            raise AmiActionError(f"{command!r}: {reply.get('Message', '')} {reply.get('Output', '')}".strip())
        output = reply.get("Output", [])
        return output if isinstance(output, list) else [output]


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

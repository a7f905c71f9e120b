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
    _LISTS = frozenset({"dbget", "dbgettree"})

    def __init__(self, headers: dict[str, str]):
        # panoramisk itself only reads the action name and id from the dict;
        # the other headers live in the prepared text.
        super().__init__({"Action": headers["Action"]})
        self._action_id = self["ActionID"]
        lines = [f"Action: {headers['Action']}", f"ActionID: {self._action_id}"]
        lines += [f"{k}: {v}" for k, v in headers.items() if k != "Action"]
        lines.append(EOL)
        self._text = EOL.join(lines)
        self._single = headers["Action"].lower() not in self._LISTS

    def add_message(self, message):
        if not self._single:
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

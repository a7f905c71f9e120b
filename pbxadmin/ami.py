"""The one module that talks to Asterisk's Manager Interface (through panoramisk).

panoramisk 1.4 needs a firm hand: after a refused connection it schedules
reconnects by itself, a refused login does not raise, actions sent while
disconnected wait forever, and values are written with no escaping. This
adapter bounds every await with a timeout, checks the login, fails fast when
the connection drops, and refuses any header that could inject a line.
"""

import asyncio
import contextlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from panoramisk import Manager
from panoramisk.message import Message

log = logging.getLogger(__name__)

# Asterisk refuses header lines over 1022 characters (and drops the value).
MAX_HEADER = 1000
_UNSAFE = re.compile(r"[\r\n\x00]")
PIPELINE_WINDOW = 500


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
        if _UNSAFE.search(text):
            raise ValueError(f"refusing to send an AMI header with a line break or NUL: {name}")
        if len(text) > MAX_HEADER:
            raise ValueError(f"refusing to send an AMI header longer than {MAX_HEADER} characters: {name}")


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

        self.manager = Manager(
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
        # panoramisk sends the Login from a done-callback of the connection; let it run.
        for _ in range(10):
            if self.manager.authenticated_future is not None:
                break
            await asyncio.sleep(0)
        login = self.manager.authenticated_future
        reply = await self._wait(login, "login")
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
        """Send actions pipelined, PIPELINE_WINDOW at a time; replies come back in order."""
        actions = list(actions)
        for action in actions:
            check_action(action)
        replies: list = []
        for start in range(0, len(actions), PIPELINE_WINDOW):
            window = actions[start : start + PIPELINE_WINDOW]
            if self._lost.done():
                raise AmiUnavailable("Asterisk closed the connection")
            futures = [self.manager.send_action(dict(action)) for action in window]
            gathered = asyncio.gather(*futures)
            replies.extend(await self._wait(gathered, f"{len(window)} actions"))
        return replies

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

    return asyncio.run(main())

"""Hot desking from the phone (*11 / *12): a FastAGI service on panoramisk.

The dialplan hands the call to this service; it asks for the user number and
PIN with core Asterisk prompts, applies FreePBX's rules (README "The dialplan: … hot desking
from the phone" and "Hot desking from phones") and logs
the user in or out through the same `device_login` / `device_logout` services
as the Devices page. The database stays the source of truth: the pages show
the change at once and the AstDB sync carries it to Asterisk.

What it trusts: the channel name Asterisk sends (`agi_channel`), which names
the endpoint the phone authenticated as; never the caller ID, which a phone
chooses. Anyone who can open a TCP connection to this service can claim any
channel, so it listens on localhost (PBXADMIN_AGI_LISTEN).

What it bounds: every read (the headers, each command's reply) waits at most
PBXADMIN_AGI_READ_TIMEOUT seconds; a session's headers hold at most
PBXADMIN_AGI_MAX_HEADER_BYTES (one line no more either: the stream's buffer is that
size); at most PBXADMIN_AGI_MAX_SESSIONS sessions are open at once, and a connection
beyond that is closed at once; at most PBXADMIN_AGI_MAX_SESSIONS_PER_DEVICE of them
come from one device (channels that are no device count as one), so one phone, or
one claimed channel, cannot take every session. (50 sessions of 64 KB headers once
grew the service to 430 MB and left no session for real calls.) PIN guessing across
calls is counted and locked out by `directory.devices.hotdesk_guard`.
"""

import asyncio
import logging
import re
from collections import Counter

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import OperationalError, close_old_connections
from panoramisk.fast_agi import Application, Request
from panoramisk.utils import parse_agi_result

from asterisk import prompts
from audit import actors
from directory import busy
from directory.devices.hotdesk_guard import PinCheck, hotdesk_locked_until, hotdesk_pin_check
from directory.devices.models import DeviceType
from directory.devices.selectors import device_of_channel
from directory.devices.services import device_login, device_logout
from directory.users.models import PbxUser

log = logging.getLogger(__name__)

MAX_HEADERS = 100
PIN_ATTEMPTS = 3  # per call; across calls, hotdesk_guard counts
_DIGITS = re.compile(r"[0-9]{1,20}")


class CallEnded(Exception):
    """Asterisk says the channel hung up: nothing more to say to it."""


class Session(Request):
    """panoramisk's Request, with a time limit on every read and a stop when the caller hangs up.

    `device`: the device the call comes from (by its channel), or None.
    """

    device = None

    async def _readline(self) -> str:
        line = await asyncio.wait_for(self.reader.readline(), settings.PBXADMIN_AGI_READ_TIMEOUT)
        if not line.endswith(b"\n"):
            raise ConnectionError("Asterisk closed the session")
        return line.decode(self.encoding, "replace").rstrip("\r\n")

    async def send_command(self, command: str) -> dict:
        self.writer.write(command.encode(self.encoding) + b"\n")
        await asyncio.wait_for(self.writer.drain(), settings.PBXADMIN_AGI_READ_TIMEOUT)
        reply = parse_agi_result(await self._readline())
        while reply.get("status_code") == 100:  # "100 Trying...": the answer follows
            reply = parse_agi_result(await self._readline())
        if reply.get("error") == "AGIResultHangup" or reply.get("status_code") == 511:
            raise CallEnded(command)
        return reply


class HotDeskAgi(Application):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.open_sessions = 0
        # Sessions open per calling device id (None: channels that are no device).
        self.by_device: Counter[str | None] = Counter()

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.open_sessions >= settings.PBXADMIN_AGI_MAX_SESSIONS:
            log.warning(
                "FastAGI: %d sessions already open: closing a connection from %s at once",
                self.open_sessions,
                writer.get_extra_info("peername"),
            )
            writer.transport.abort()
            return
        self.open_sessions += 1
        try:
            await self._serve(reader, writer)
        finally:
            self.open_sessions -= 1
            writer.close()
            if writer.transport.get_write_buffer_size():
                writer.transport.abort()  # a peer that stopped reading must not keep the socket

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Each call is like a web request: a database connection that is too
        # old or broken is dropped before, and with CONN_MAX_AGE=0 closed after.
        await sync_to_async(close_old_connections)()
        await sync_to_async(busy.wait_briefly)()  # a phone waits a bounded time for SQLite's lock
        try:
            headers = await asyncio.wait_for(_read_headers(reader), settings.PBXADMIN_AGI_READ_TIMEOUT)
            route = self._route.get(headers.get("agi_network_script", ""))
            if route is None:
                log.warning("FastAGI: no route for %r", headers.get("agi_network_script"))
                return
            session = Session(self, headers, reader, writer, self.default_encoding)
            session.device = await sync_to_async(device_of_channel)(headers.get("agi_channel", ""))
            key = session.device.pk if session.device is not None else None
            if self.by_device[key] >= settings.PBXADMIN_AGI_MAX_SESSIONS_PER_DEVICE:
                log.warning(
                    "FastAGI: %d sessions already open for %s: closing one more from channel %r",
                    self.by_device[key],
                    f"device {key}" if key is not None else "channels that are no device",
                    headers.get("agi_channel", ""),
                )
                return
            self.by_device[key] += 1
            try:
                with actors.acting(actors.phone(session.device)):  # the audit's "who"
                    await self._run(route, session)
            finally:
                self.by_device[key] -= 1
                if not self.by_device[key]:
                    del self.by_device[key]
        except CallEnded:
            pass
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError, ValueError) as e:
            log.warning("FastAGI: session closed: %s", e or type(e).__name__)
        except Exception:
            log.exception("FastAGI: the hot-desk request failed")
        finally:
            await sync_to_async(close_old_connections)()

    @staticmethod
    async def _run(route, session: Session) -> None:
        try:
            await route(session)
        except OperationalError as e:
            if not busy.is_locked(e):
                raise
            # A bulk import holds the database: the caller hears "try later", not silence.
            log.warning("FastAGI: the database stayed busy: %s", e)
            await _say(session, prompts.SORRY, prompts.TRY_LATER, prompts.GOODBYE)


async def _read_headers(reader: asyncio.StreamReader) -> dict[str, str]:
    headers: dict[str, str] = {}
    budget = settings.PBXADMIN_AGI_MAX_HEADER_BYTES
    for _ in range(MAX_HEADERS):
        raw = await reader.readline()
        budget -= len(raw)
        if budget < 0:
            raise ValueError(f"AGI headers over {settings.PBXADMIN_AGI_MAX_HEADER_BYTES} bytes")
        line = raw.decode("utf-8", "replace")
        if not line:
            raise ConnectionError("closed before the end of the AGI headers")
        line = line.rstrip("\r\n")
        if not line:
            return headers
        name, sep, value = line.partition(": ")
        if sep:
            headers[name] = value
    raise ValueError("too many AGI headers")


def _result(reply: dict) -> str:
    value, _data = reply.get("result", ("", ""))
    return value


def _could_not_play(reply: dict, prompt: str) -> None:
    # "200 result=-1": Asterisk could not play the prompt (or the caller just
    # hung up, which the next command tells). Say so in the log; the call goes on.
    if reply.get("error") == "AGIAppError":
        log.warning("FastAGI: Asterisk could not play the prompt %r (missing from its sounds?)", prompt)


async def _say(request: Request, *files: str) -> None:
    for name in files:
        _could_not_play(await request.send_command(f'STREAM FILE {name} ""'), name)


async def _ask_digits(request: Request, prompt: str, max_digits: int) -> str:
    reply = await request.send_command(f"GET DATA {prompt} 6000 {max_digits}")
    _could_not_play(reply, prompt)
    digits = _result(reply)
    return digits if _DIGITS.fullmatch(digits or "") else ""


def _user(number: str) -> PbxUser | None:
    return PbxUser.objects.filter(pk=number).first() if _DIGITS.fullmatch(number) else None


async def _calling_device(request: Session, action: str):
    """The device the call comes from, by its channel; None (and a log line) for anything else."""
    channel = request.headers.get("agi_channel", "")
    device = request.device
    if device is None:
        log.warning("hot desk: %s refused: channel %r is no device of the portal", action, channel)
    return device, channel


async def _locked(request: Request, **who) -> bool:
    if await sync_to_async(hotdesk_locked_until)(**who) is None:
        return False
    await _say(request, prompts.SORRY, prompts.TRY_LATER, prompts.GOODBYE)
    return True


async def hotdesk_login(request: Request) -> None:
    """*11 and *11<user>: log a user into this adhoc device."""
    device, channel = await _calling_device(request, "*11")
    if device is None:
        await _say(request, prompts.INVALID)
        return
    if device.devicetype == DeviceType.FIXED:
        # A fixed device belongs to its user: say its number, "is unavailable", goodbye.
        await request.send_command(f'SAY DIGITS {device.id} ""')
        await _say(request, prompts.IS_UNAVAILABLE, prompts.GOODBYE)
        return
    if await _locked(request, device=device):
        return
    number = request.headers.get("agi_arg_1", "").strip()
    if not number:
        number = await _ask_digits(request, prompts.ASK_USER, 20)
    user = await sync_to_async(_user)(number)
    if user is None or not user.password or user.server_id != device.server_id:
        # No such user, or a user without a PIN: nobody hot-desks without one. A user of another
        # server is no user of this phone's Asterisk: refused before a PIN is asked for.
        await _say(request, prompts.INVALID)
        return
    if device.user_id == user.pk:
        await _say(request, prompts.GOODBYE)
        return
    for _ in range(PIN_ATTEMPTS):
        if await _locked(request, device=device, user=user):
            return
        pin = await _ask_digits(request, prompts.ASK_PIN, 20)
        if pin:  # no digits at all (a timeout) is no guess: not counted
            check = await sync_to_async(hotdesk_pin_check)(device=device, user=user, pin=pin, channel=channel)
            if check is PinCheck.ACCEPTED:
                break
            if check is PinCheck.LOCKED:
                await _say(request, prompts.SORRY, prompts.TRY_LATER, prompts.GOODBYE)
                return
        await _say(request, prompts.WRONG_PIN)
    else:
        await _say(request, prompts.GOODBYE)
        return
    try:
        await sync_to_async(device_login)(device=device, user=user)
    except ValidationError:
        await _say(request, prompts.INVALID)
        return
    log.info("hot desk: %s logged into device %s from the phone (channel %r)", user.pk, device.id, channel)
    await _say(request, prompts.LOGGED_IN)


async def hotdesk_logout(request: Request) -> None:
    """*12: give the calling adhoc device back to its default user."""
    device, channel = await _calling_device(request, "*12")
    if device is None or device.devicetype == DeviceType.FIXED:
        await _say(request, prompts.INVALID)
        return
    await sync_to_async(device_logout)(device=device)
    log.info("hot desk: device %s logged out from the phone (channel %r)", device.id, channel)
    await _say(request, prompts.LOGGED_OFF)


def make_app() -> HotDeskAgi:
    app = HotDeskAgi(loop=asyncio.get_running_loop())
    app.add_route("hotdesk-login", hotdesk_login)
    app.add_route("hotdesk-logout", hotdesk_logout)
    # The call features' codes (*76, *72…) share the service: same guards, same bounds.
    from asterisk.call_features.agi import add_routes

    add_routes(app)
    return app


async def serve(host: str, port: int, started: asyncio.Future | None = None) -> None:
    """Run the FastAGI service until cancelled. `started` receives the bound port."""
    app = make_app()
    # The stream's buffer, and so the longest line read, is the header budget (a command's
    # reply is a short line): a session holds no more than that of what a peer sends.
    server = await asyncio.start_server(app.handler, host, port, limit=settings.PBXADMIN_AGI_MAX_HEADER_BYTES)
    bound = server.sockets[0].getsockname()[1]
    log.info(
        "hot-desk FastAGI service listening on %s:%s (at most %s sessions, %s per device, "
        "%s header bytes each, %ss per read)",
        host,
        bound,
        settings.PBXADMIN_AGI_MAX_SESSIONS,
        settings.PBXADMIN_AGI_MAX_SESSIONS_PER_DEVICE,
        settings.PBXADMIN_AGI_MAX_HEADER_BYTES,
        settings.PBXADMIN_AGI_READ_TIMEOUT,
    )
    if started is not None:
        started.set_result(bound)
    async with server:
        await server.serve_forever()

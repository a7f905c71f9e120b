"""Hot desking from the phone (*11 / *12): a FastAGI service on panoramisk.

The dialplan hands the call to this service; it asks for the user number and
PIN with the phone's prompts, applies FreePBX's rules (reference §2) and logs
the user in or out through the same `device_login` / `device_logout` services
as the Devices page. The database stays the source of truth: the pages show
the change at once and the AstDB sync carries it to Asterisk.

panoramisk 1.4's own connection handler loops forever on a connection that
closes before its headers; this one reads them with a size and time limit.
"""

import asyncio
import hmac
import logging
import re

from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.db import close_old_connections
from panoramisk.fast_agi import Application, Request

from audit import actors
from devices.models import Device, DeviceType
from devices.services import device_login, device_logout
from users.models import PbxUser

log = logging.getLogger(__name__)

HEADER_TIMEOUT = 5  # seconds for Asterisk to send the agi_ headers
MAX_HEADERS = 100
PIN_ATTEMPTS = 3
_DIGITS = re.compile(r"[0-9]{1,20}")


class HotDeskAgi(Application):
    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Each call is like a web request: a database connection that is too
        # old or broken is dropped before, and with CONN_MAX_AGE=0 closed after.
        await sync_to_async(close_old_connections)()
        try:
            headers = await asyncio.wait_for(_read_headers(reader), HEADER_TIMEOUT)
            route = self._route.get(headers.get("agi_network_script", ""))
            if route is None:
                log.warning("FastAGI: no route for %r", headers.get("agi_network_script"))
                return
            with actors.acting(actors.phone(headers.get("agi_channel", ""))):  # the audit's "who"
                await route(Request(self, headers, reader, writer, self.default_encoding))
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError, ValueError) as e:
            log.warning("FastAGI: connection dropped: %s", e)
        except Exception:
            log.exception("FastAGI: the hot-desk request failed")
        finally:
            writer.close()
            await sync_to_async(close_old_connections)()


async def _read_headers(reader: asyncio.StreamReader) -> dict[str, str]:
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS):
        line = (await reader.readline()).decode("utf-8", "replace")
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


async def _say(request: Request, *files: str) -> None:
    for name in files:
        await request.send_command(f'STREAM FILE {name} ""')


async def _ask_digits(request: Request, prompt: str, max_digits: int) -> str:
    reply = await request.send_command(f"GET DATA {prompt} 6000 {max_digits}")
    digits = _result(reply)
    return digits if _DIGITS.fullmatch(digits or "") else ""


def _device_of(request: Request) -> Device | None:
    number = request.headers.get("agi_callerid", "").strip()
    if not _DIGITS.fullmatch(number):
        return None
    return Device.objects.select_related("user", "default_user").filter(pk=number).first()


def _user(number: str) -> PbxUser | None:
    return PbxUser.objects.filter(pk=number).first() if _DIGITS.fullmatch(number) else None


async def hotdesk_login(request: Request) -> None:
    """*11 and *11<user>: log a user into this adhoc device."""
    device = await sync_to_async(_device_of)(request)
    if device is None:
        await _say(request, "pbx-invalid")
        return
    if device.devicetype == DeviceType.FIXED:
        # A fixed device belongs to its user: say its number, "is unavailable", goodbye.
        await request.send_command(f'SAY DIGITS {device.id} ""')
        await _say(request, "vm-isunavail", "vm-goodbye")
        return
    number = request.headers.get("agi_arg_1", "").strip()
    if not number:
        number = await _ask_digits(request, "please-enter-your-extension-then-press-pound", 20)
    user = await sync_to_async(_user)(number)
    if user is None or not user.password:
        # No such user, or a user without a PIN: nobody hot-desks without one.
        await _say(request, "pbx-invalid")
        return
    if device.user_id == user.pk:
        await _say(request, "vm-goodbye")
        return
    for _ in range(PIN_ATTEMPTS):
        pin = await _ask_digits(request, "agent-pass", 20)
        if pin and hmac.compare_digest(pin, user.password):
            break
        await _say(request, "auth-incorrect")
    else:
        await _say(request, "vm-goodbye")
        return
    try:
        await sync_to_async(device_login)(device=device, user=user)
    except ValidationError:
        await _say(request, "pbx-invalid")
        return
    log.info("hot desk: %s logged into device %s from the phone", user.pk, device.id)
    await _say(request, "agent-loginok")


async def hotdesk_logout(request: Request) -> None:
    """*12: give this adhoc device back to its default user."""
    device = await sync_to_async(_device_of)(request)
    if device is None or device.devicetype == DeviceType.FIXED:
        await _say(request, "pbx-invalid")
        return
    await sync_to_async(device_logout)(device=device)
    log.info("hot desk: device %s logged out from the phone", device.id)
    await _say(request, "agent-loggedoff")


def make_app() -> HotDeskAgi:
    app = HotDeskAgi(loop=asyncio.get_running_loop())
    app.add_route("hotdesk-login", hotdesk_login)
    app.add_route("hotdesk-logout", hotdesk_logout)
    return app


async def serve(host: str, port: int, started: asyncio.Future | None = None) -> None:
    """Run the FastAGI service until cancelled. `started` receives the bound port."""
    app = make_app()
    server = await asyncio.start_server(app.handler, host, port)
    bound = server.sockets[0].getsockname()[1]
    log.info("hot-desk FastAGI service listening on %s:%s", host, bound)
    if started is not None:
        started.set_result(bound)
    async with server:
        await server.serve_forever()

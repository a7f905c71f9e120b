"""The AMI event listener: follows Asterisk's events and keeps every phone's state in the database.

On each connection it takes a snapshot (the lists below), then follows the
events. Events only update memory (`Tracker`); a writer task saves what
changed every `flush_interval` in one batch, so a burst of a thousand events
a second costs a few upserts, and a device that changed ten times in the
interval is written once. A dropped connection or a refused login is retried
with a capped exponential backoff; only a stop ends it.

The state of its own link is written too (`ListenerStatus`), by the same
writer, after the phone states it concerns: the pages show the phones' states
as current only while the link is up, and as stale from the moment it drops.

One listener follows one server (`server`, default: the default one); `ami_events` runs one
per server in one event loop, each with its own connection, backoff and status row, so a
server that is down delays no other.
"""

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor

from django import db

from asterisk import phone_status, trunk_status
from asterisk.ami import AmiAuthError, AmiConfig, AmiError, AmiEventSession, plain
from asterisk.models import ListenerState, ListenerStatus
from asterisk.phone_status import Tracker
from asterisk.trunk_status import RegistrationTracker
from directory.servers.current import use_in_this_thread

log = logging.getLogger(__name__)

# PJSIPShowEndpoints before PJSIPShowContacts: an endpoint without contacts
# reads as unregistered, then its contacts (if any) say otherwise.
# The registration lists say where each trunk stands with its carrier (asterisk/trunk_status.py).
SNAPSHOT = (
    "PJSIPShowEndpoints",
    "PJSIPShowContacts",
    "SIPpeers",
    "IAXpeerlist",
    "DeviceStateList",
    "PJSIPShowRegistrationsOutbound",
    "SIPshowregistry",
    "IAXregistry",
)
DETAILS_BATCH = 200


class Listener:
    def __init__(
        self,
        config: AmiConfig,
        *,
        flush_interval: float = 0.2,
        first_delay: float = 1.0,
        max_delay: float = 60.0,
        server=None,
    ):
        self.config = config
        # The server whose Asterisk this is (None: the default one); its rows are written as its.
        self.server = server
        self.flush_interval = flush_interval
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.tracker = Tracker()
        self.registrations = RegistrationTracker()
        self.stopping = asyncio.Event()
        self.connected = asyncio.Event()
        # The writer's own stop, set after the last state is said (`stopping` comes before it).
        self._writer_stop = asyncio.Event()
        self.last_error = ""
        self.attempts = 0
        self.saved = 0
        # The link's state (state, error) to record with the next write, after the phones.
        self._link: tuple[str, str] | None = None
        # One thread for the database: the ORM is synchronous, the event loop must keep reading.
        # It works for this listener's server (`using`, set once in the thread).
        self._db = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="phone-status-db", initializer=self._enter_server
        )

    def _enter_server(self) -> None:
        if self.server is not None:
            use_in_this_thread(self.server)

    def stop(self) -> None:
        self.stopping.set()

    def _say(self, state: str, error: str = "") -> None:
        """Record the link's state with the writer's next round (within `flush_interval`)."""
        self._link = (state, error)

    async def run(self) -> None:
        """Listen until `stop()`; each failure waits first_delay, doubled each time up to max_delay."""
        writer = asyncio.create_task(self._write_forever())
        delay = self.first_delay
        try:
            while not self.stopping.is_set():
                self.attempts += 1
                try:
                    await self._session()
                except AmiAuthError as e:
                    self.last_error = f"{e}: check AMI_USERNAME and AMI_SECRET against manager.conf"
                    self._say(ListenerState.LOGIN, self.last_error)
                    log.error("%s; retrying in %.0fs", self.last_error, delay)
                except AmiError as e:
                    self.last_error = str(e)
                    self._say(ListenerState.DOWN, self.last_error)
                    log.warning("%s; retrying in %.0fs", e, delay)
                else:
                    continue  # stopped
                finally:
                    if self.connected.is_set():
                        # It was up: the next failure starts the backoff again.
                        delay = self.first_delay
                    self.connected.clear()
                await self._sleep(delay)
                delay = min(delay * 2, self.max_delay)
        finally:
            self._say(ListenerState.STOPPED)
            self.stopping.set()
            self._writer_stop.set()
            await writer
            self._db.shutdown(wait=True)

    def _apply(self, event: dict[str, str]) -> None:
        self.tracker.apply(event)
        self.registrations.apply(event)

    async def _sleep(self, seconds: float, until: asyncio.Event | None = None) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for((until or self.stopping).wait(), seconds)

    async def _session(self) -> None:
        async with AmiEventSession(self.config, self._apply) as session:
            self.tracker.begin_snapshot()
            await session.snapshot({"Action": name} for name in SNAPSHOT)
            self.tracker.end_snapshot()
            self._say(ListenerState.CONNECTED)
            self.connected.set()
            self.last_error = ""
            log.info("following Asterisk's events at %s:%s", self.config.host, self.config.port)
            tasks = [
                asyncio.create_task(session.until_closed()),
                asyncio.create_task(self._details_forever(session)),
                asyncio.create_task(self.stopping.wait()),
            ]
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()

    async def _details_forever(self, session: AmiEventSession) -> None:
        """Ask for what events leave out: the user agent of a phone that (re)registered."""
        while True:
            wanted = [self.tracker.wanted.pop() for _ in range(min(DETAILS_BATCH, len(self.tracker.wanted)))]
            sip = [d for tech, d in wanted if tech == "sip"]
            pjsip = [d for tech, d in wanted if tech == "pjsip"]
            if sip:
                for reply in await session.send({"Action": "SIPshowpeer", "Peer": d} for d in sip):
                    if not isinstance(reply, list) and reply.success:
                        self.tracker.peer_detail(plain(reply))
            if pjsip:
                await session.snapshot({"Action": "PJSIPShowEndpoint", "Endpoint": d} for d in pjsip)
            if not wanted:
                await asyncio.sleep(self.flush_interval)

    async def _write_forever(self) -> None:
        loop = asyncio.get_running_loop()
        next_beat = 0.0
        while True:
            stopping = self._writer_stop.is_set()
            # Taken before the phones: a state said is written after every change made before it.
            link, self._link = self._link, None
            try:
                if await self._write_round(loop, link, heartbeat=loop.time() >= next_beat):
                    next_beat = loop.time() + ListenerStatus.HEARTBEAT.total_seconds()
            except Exception:
                # Keep it for the next round: the database may be back by then.
                log.exception("could not save the phone states or the link's state; will retry")
                if self._link is None:
                    self._link = link
                if stopping:
                    return
            if stopping:
                return
            await self._sleep(self.flush_interval, self._writer_stop)

    async def _write_round(self, loop, link: tuple[str, str] | None, *, heartbeat: bool) -> bool:
        """Save the phones that changed, then the link's state (or a heartbeat); True if the latter."""
        if self.tracker.dirty or self.tracker.changes:
            phones, changes = self.tracker.take()
            try:
                await loop.run_in_executor(self._db, _save, phones, changes)
            except Exception:
                self.tracker.dirty.update(p.device_id for p in phones)
                self.tracker.changes[:0] = changes
                raise
            self.saved += len(phones)
        if self.registrations.dirty:
            registrations = self.registrations.take()
            try:
                await loop.run_in_executor(self._db, _save_registrations, registrations)
            except Exception:
                self.registrations.dirty.update((r.tech, r.host, r.port, r.username) for r in registrations)
                raise
        if link is None and not heartbeat:
            return False
        await loop.run_in_executor(self._db, _record_link, link)
        return True


def _save(phones, changes) -> None:
    db.close_old_connections()
    phone_status.save(phones, changes)


def _save_registrations(registrations) -> None:
    db.close_old_connections()
    trunk_status.save(registrations)


def _record_link(link: tuple[str, str] | None) -> None:
    """The link's new state, or only a sign of life (a heartbeat) when it has not changed."""
    db.close_old_connections()
    if link is None:
        ListenerStatus.beat()
    else:
        ListenerStatus.record(*link)

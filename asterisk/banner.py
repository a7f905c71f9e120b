"""What the banner says about the link to Asterisk: a state in plain words, what to check, what waits.

The same dictionary feeds the banner on every page and its JSON endpoint,
so the page and its updates can never disagree.

Two witnesses speak for the link: the sync runs (`SyncStatus`, when a save or
"Sync now" pushes something) and the AMI event listener (`ListenerStatus`,
connected all the time). The fresher word wins, so an Asterisk that stops
between two syncs shows as unreachable within seconds, and while the listener
is not connected the banner says the phones' status is unknown since when.

With several Asterisk servers each has its own witnesses (its status and listener rows): the
banner counts them ("3 servers connected, 1 unreachable: branch-2 since 10:42") and tells the
first one in trouble in full; `server_states()` gives each server's state for the pages. With
one server the banner is what it always was.
"""

from dataclasses import asdict, dataclass, field

from django.db.models import Count
from django.utils import timezone
from django.utils.timesince import timesince

from asterisk.ami import AmiConfig
from asterisk.files import conf_dir
from asterisk.models import ErrorKind, ListenerState, SyncChange, SyncStatus
from asterisk.selectors import Link, listener_link
from directory.servers.current import using
from directory.servers.models import Server

NEVER = "never"
CONNECTED = "connected"
BUSY = "busy"
UNREACHABLE = "unreachable"
LOGIN_REFUSED = "login"
ACTION_REFUSED = "action"
FILES_FAILED = "files"
BANNER_STATES = (NEVER, CONNECTED, BUSY, UNREACHABLE, LOGIN_REFUSED, ACTION_REFUSED, FILES_FAILED)


@dataclass
class Pending:
    """Work waiting in the outbox, counted as objects and files, never as AstDB keys."""

    extensions: int = 0
    users: int = 0
    devices: int = 0
    files: int = 0
    reloads: int = 0

    @property
    def total(self) -> int:
        return self.extensions + self.users + self.devices + self.files + self.reloads

    def text(self) -> str:
        listed = self.listed()
        return f"{listed} waiting" if listed else "nothing waiting"

    def listed(self) -> str:
        """ "2 extensions and 3 module reloads", or "" for nothing."""
        parts = [
            _count(self.extensions, "extension"),
            _count(self.users, "user"),
            _count(self.devices, "device"),
            _count(self.files, "config file"),
            _count(self.reloads, "module reload"),
        ]
        parts = [p for p in parts if p]
        if len(parts) < 2:
            return "".join(parts)
        return ", ".join(parts[:-1]) + " and " + parts[-1]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}" if n else ""


def pending_work(*, per_extension: bool, every_server: bool = False) -> Pending:
    """Distinct users, devices and files named in the outbox (of the server in use, or with
    `every_server` of them all: a user recorded on every server counts once).

    A save and then a delete of the same extension name it twice: it still
    counts once. `per_extension` (the portal's extensions mode): a user and its device
    share the number, so they count as one extension.
    """
    rows = SyncChange.every_server if every_server else SyncChange.objects
    by_kind = dict(rows.values_list("kind").annotate(n=Count("ref", distinct=True)).order_by())
    pending = Pending(
        files=by_kind.get(SyncChange.Kind.FILE, 0), reloads=by_kind.get(SyncChange.Kind.RELOAD, 0)
    )
    if per_extension:
        if by_kind.get(SyncChange.Kind.USER) or by_kind.get(SyncChange.Kind.DEVICE):
            pending.extensions = (
                rows.filter(kind__in=[SyncChange.Kind.USER, SyncChange.Kind.DEVICE])
                .values("ref")
                .distinct()
                .count()
            )
    else:
        pending.users = by_kind.get(SyncChange.Kind.USER, 0)
        pending.devices = by_kind.get(SyncChange.Kind.DEVICE, 0)
    return pending


@dataclass
class Banner:
    state: str
    headline: str
    detail: str
    hints: list[str] = field(default_factory=list)
    error: str = ""  # the raw error, shown folded under the plain words
    warning: str = ""
    pending: str = ""
    pending_total: int = 0
    last_sync: str = ""
    syncing: bool = False
    runs: int = 0
    error_at: str = ""
    outcome: str = ""  # what the last run did, in one sentence (shown after "Sync now")
    # "Phone status unknown since 10:42: the link to Asterisk is down", or "" while it is current.
    phones: str = ""
    listener: dict = field(default_factory=dict)  # the event listener's link, as data
    # What the run under way is doing, in words ("Asterisk is reloading the dialplan (since
    # 10:42:03)", "Full sync: 120,000 of 290,000 AstDB keys written"), or "".
    activity: str = ""
    # How long the last successful run took ("the last full sync took 67 s"), or "".
    last_run: str = ""

    @property
    def tone(self) -> str:
        if self.state == CONNECTED:
            return "warning" if self.warning or self.phones else "ok"
        if self.state == BUSY:
            return "warning"
        return "neutral" if self.state == NEVER else "problem"

    def as_json(self) -> dict:
        return {**asdict(self), "tone": self.tone}


def ago(moment) -> str:
    """ "3 minutes ago", and "just now" rather than "0 minutes ago"."""
    if not moment:
        return ""
    since = timesince(moment)
    return "just now" if since.startswith("0\xa0minutes") or since.startswith("0 minutes") else f"{since} ago"


def _state(status: SyncStatus) -> str:
    failed = status.last_error_at and status.last_error_kind not in ("", ErrorKind.WARNING)
    if failed and (status.last_connected_at is None or status.last_error_at >= status.last_connected_at):
        return {
            ErrorKind.UNREACHABLE: UNREACHABLE,
            ErrorKind.BUSY: BUSY,
            ErrorKind.LOGIN: LOGIN_REFUSED,
            ErrorKind.FILES: FILES_FAILED,
        }.get(status.last_error_kind, ACTION_REFUSED)
    return CONNECTED if status.last_connected_at else NEVER


# The listener's states that say something about Asterisk itself (a stopped listener does not).
_LISTENER_SAYS = {ListenerState.DOWN: UNREACHABLE, ListenerState.LOGIN: LOGIN_REFUSED}


def _listener_is_fresher(status: SyncStatus, link: Link, state: str) -> bool:
    """The listener lost Asterisk (or was refused) after the last sync reached it, or reached it
    after the last sync found it unreachable."""
    if link.since is None:
        return False
    if link.state in _LISTENER_SAYS:
        return state in (CONNECTED, NEVER) and (
            status.last_connected_at is None or link.since >= status.last_connected_at
        )
    return (
        link.state == ListenerState.CONNECTED
        and state == UNREACHABLE
        and status.last_error_at is not None
        and link.since > status.last_error_at
    )


@dataclass
class ServerState:
    """One server's link as the banner judges it: for the Servers page and the banner's count."""

    name: str
    state: str  # one of BANNER_STATES
    since: object  # a datetime, or None: when the state began, as far as it is known
    error: str = ""

    @property
    def since_text(self) -> str:
        return _clock(self.since)

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "state": self.state,
            "since": self.since.isoformat() if self.since else None,
            "error": self.error or None,
        }


def _clock(moment) -> str:
    """10:42 today, else 2025-11-26 10:42, in the portal's time zone."""
    return Link("", moment).since_text if moment else ""


def _judged(status: SyncStatus, link: Link) -> tuple[str, object, str]:
    """The server's state, since when, and its error: the fresher of the two witnesses."""
    state = _state(status)
    if _listener_is_fresher(status, link, state):
        return _LISTENER_SAYS.get(link.state, CONNECTED), link.since, link.error
    if state == CONNECTED:
        return state, status.last_connected_at, ""
    if state == NEVER:
        return state, None, ""
    return state, status.last_error_at, status.last_error


def server_states() -> list[ServerState]:
    """Each server's state (the default one first), its since and its last error."""
    states = []
    for server in Server.objects.all():
        with using(server):
            state, since, error = _judged(SyncStatus.get(), listener_link())
        states.append(ServerState(server.name, state, since, error))
    return states


# How the banner counts servers in a state: "3 servers connected, 1 unreachable".
_COUNTED = {
    CONNECTED: "connected",
    NEVER: "not connected yet",
    BUSY: "busy",
    UNREACHABLE: "unreachable",
    LOGIN_REFUSED: "refusing the login",
    ACTION_REFUSED: "refusing a change",
    FILES_FAILED: "without their files",
}


def servers_headline(states: list[ServerState]) -> str:
    """ "3 servers connected, 1 unreachable: branch-2 since 10:42"."""
    counts: dict[str, int] = {}
    for one in states:
        counts[one.state] = counts.get(one.state, 0) + 1
    order = [CONNECTED, *(s for s in BANNER_STATES if s != CONNECTED)]
    parts = [f"{counts[s]} {_COUNTED[s]}" for s in order if counts.get(s)]
    first = parts[0].split(" ", 1)
    parts[0] = f"{first[0]} server{'' if first[0] == '1' else 's'} {first[1]}"
    troubled = [
        f"{one.name} since {one.since_text}" if one.since else one.name
        for one in states
        if one.state != CONNECTED
    ]
    return ", ".join(parts) + (": " + ", ".join(troubled) if troubled else "")


def banner(*, per_extension: bool) -> Banner:
    """The banner: the one server's, or with several, their count and the first in trouble."""
    servers = list(Server.objects.all())
    if len(servers) == 1:
        with using(servers[0]):
            return _server_banner(per_extension=per_extension)
    shown = []
    for server in servers:
        with using(server):
            shown.append((server, _server_banner(per_extension=per_extension)))
    states = server_states()
    troubled = [(server, one) for server, one in shown if one.state != CONNECTED]
    server, result = troubled[0] if troubled else shown[0]
    if troubled:
        result.detail = f"{server.name}: {result.headline}. {result.detail}"
    else:
        result.detail = "Every Asterisk server answers."
        result.warning = "; ".join(f"{s.name}: {one.warning}" for s, one in shown if one.warning)
    result.headline = servers_headline(states)
    pending = pending_work(per_extension=per_extension, every_server=True)
    result.pending, result.pending_total = pending.text(), pending.total
    if not troubled and not pending.total:
        result.pending = "up to date"
    result.syncing = any(one.syncing for _s, one in shown)
    phones = [f"{s.name}: {one.phones}" for s, one in shown if one.phones]
    result.phones = "; ".join(phones)
    result.activity = " ".join(f"{s.name}: {one.activity}" for s, one in shown if one.activity)
    return result


def _server_banner(*, per_extension: bool) -> Banner:
    status = SyncStatus.get()
    link = listener_link()
    state = _state(status)
    config = AmiConfig.current()
    where = f"{config.host}:{config.port}"
    account = config.username
    when = ago(status.last_error_at)
    error = status.last_error
    if _listener_is_fresher(status, link, state):
        state = _LISTENER_SAYS.get(link.state, CONNECTED)
        when = f"at {link.since_text} (seen by the AMI event listener)"
        error = link.error
    if state == NEVER:
        result = Banner(
            state,
            "Not connected to Asterisk yet",
            f"No sync has reached Asterisk so far; pbxadmin connects to {where} (AMI_HOST:AMI_PORT).",
            [
                f"In Asterisk's manager.conf, add an account [{account}] with a secret, "
                "read = system,call,reporting and write = system,config,command,call,reporting (see the README).",
                "Give pbxadmin the same name and secret in AMI_USERNAME and AMI_SECRET, then press Sync now.",
            ],
        )
    elif state == UNREACHABLE:
        result = Banner(
            state,
            "Asterisk unreachable",
            f"Nothing answered at {where} (AMI_HOST:AMI_PORT) {when}. "
            "Changes wait and are sent once it answers.",
            [
                "Is Asterisk running on that host? (asterisk -rx 'core show version')",
                f"In manager.conf, [general] needs enabled = yes, port = {config.port} "
                "and a bindaddr this server can reach.",
                "Does a firewall stand between this server and that port?",
            ],
            error=error,
        )
    elif state == BUSY:
        result = Banner(
            state,
            "Asterisk is busy",
            f"Asterisk at {where} took a reload but had not finished it {when}; it was not sent again. "
            "The next sync waits for Asterisk to answer first.",
            [
                "A dialplan of many thousand hints takes Asterisk tens of seconds to reload: "
                "AMI_RELOAD_TIMEOUT says how long pbxadmin waits for one.",
                "asterisk -rx 'core show uptime' and the Asterisk log say whether it is still at it.",
            ],
            error=error,
        )
    elif state == LOGIN_REFUSED:
        result = Banner(
            state,
            "Asterisk refused the login",
            f"Asterisk at {where} answered {when} but did not accept the account {account!r}.",
            [
                f"manager.conf needs an account [{account}] (AMI_USERNAME) whose secret is AMI_SECRET; "
                "after editing it run asterisk -rx 'manager reload'.",
                "The account's deny/permit lines must allow this server's address.",
            ],
            error=error,
        )
    elif state == FILES_FAILED:
        result = Banner(
            state,
            "Config files not written",
            f"pbxadmin could not write into {conf_dir()} {when}.",
            ["That folder must exist and be writable by the user pbxadmin runs as."],
            error=error,
        )
    elif state == ACTION_REFUSED:
        result = Banner(
            state,
            "Asterisk refused a change",
            f"Asterisk at {where} answered an action with an error {when}; the change stays waiting.",
            ["The Asterisk log (and the error below) says which; press Sync now to send it again."],
            error=error,
        )
    else:
        result = Banner(state, "Connected to Asterisk", f"Asterisk at {where} answers.")
        if status.last_error_kind == ErrorKind.WARNING:
            result.warning = status.last_error
    pending = pending_work(per_extension=per_extension)
    result.pending, result.pending_total = pending.text(), pending.total
    if state == CONNECTED and not pending.total:
        result.pending = "up to date"
    if status.last_success_at:
        result.last_sync = ago(status.last_success_at)
    if state == CONNECTED:
        # What the administrator changed, counted as what waits is: never the AstDB keys it made.
        sent = status.last_sent or {}
        done = Pending(files=sent.get("files", 0), reloads=sent.get("reloads", 0))
        if per_extension:
            done.extensions = sent.get("extensions", 0)
        else:
            done.users, done.devices = sent.get("users", 0), sent.get("devices", 0)
        result.outcome = (
            f"Sync finished: {done.listed()} sent to Asterisk; {result.pending}."
            if done.total
            else f"Sync finished: Asterisk answered; {result.pending}."
        )
    else:
        result.outcome = f"Sync failed: {result.headline}. {result.detail}"
    if not link.current:
        result.phones = f"Phone {link.text}"
    result.listener = link.as_json()
    result.activity = activity(status)
    if status.last_duration_s is not None and status.last_success_at:
        what = "full sync" if status.last_full else "sync"
        result.last_run = f"the last {what} took {_seconds(status.last_duration_s)}"
    result.syncing = status.queued or bool(status.running_by) or bool(status.reload_by)
    result.runs = status.runs
    result.error_at = status.last_error_at.isoformat() if status.last_error_at else ""
    return result


def _seconds(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"


def activity(status: SyncStatus) -> str:
    """What the runs under way are doing, in the administrator's words; "" when none is."""
    if not status.running_by and not status.reload_by:
        return ""
    if status.reloading:
        since = (
            timezone.localtime(status.reloading_since).strftime("%H:%M:%S") if status.reloading_since else ""
        )
        return f"Asterisk is reloading {status.reloading}" + (f" (since {since})" if since else "") + "."
    progress = status.progress or {}
    if progress.get("what") and not progress.get("total"):
        return f"Full sync: {progress['what']}."
    if progress.get("total"):
        return (
            f"Full sync: {progress['done']:,} of {progress['total']:,} {progress.get('what', '')}.".replace(
                " .", "."
            )
        )
    return "A sync is under way."


def sync_report(*, per_extension: bool) -> dict:
    """The banner's state and words, and the figures behind them as data (times in ISO 8601):
    what the API's /sync/ answers."""
    status = SyncStatus.get()
    shown = banner(per_extension=per_extension)
    pending = pending_work(per_extension=per_extension)
    return {
        "state": shown.state,
        "headline": shown.headline,
        "detail": shown.detail,
        "hints": shown.hints,
        "error": status.last_error or None,
        "error_at": _iso(status.last_error_at),
        "warning": shown.warning or None,
        "syncing": shown.syncing,
        "activity": shown.activity or None,
        "reloading": status.reloading or None,
        "reloading_since": _iso(status.reloading_since),
        "progress": status.progress if status.running_by and status.progress else None,
        "last_duration_s": status.last_duration_s,
        "last_full": status.last_full,
        "pending": {**asdict(pending), "total": pending.total},
        "last_success_at": _iso(status.last_success_at),
        "last_connected_at": _iso(status.last_connected_at),
        "last_actions": status.last_actions,
        "runs": status.runs,
        "phones": shown.phones or None,
        "listener": shown.listener,
    }


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None

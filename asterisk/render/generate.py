"""What each generated file should contain, computed from the database.

A file's text is a pure function of the device rows. Rendering one device is
memoised on all of its inputs, so regenerating a 10,000-device file after one
edit renders only the edited device and re-joins the others.
"""

from collections import defaultdict
from collections.abc import Iterable
from json import loads

from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast

from asterisk.render import dialplan, servers, transports, voicemail
from asterisk.render.conf import banner, format_items, format_section, join_sections
from asterisk.render.connectivity import trunks as trunk_render
from asterisk.render.techs import FILE_TECH, RENDERERS
from asterisk.render.techs.base import DeviceRow
from directory.connectivity.models import Trunk, TrunkTech
from directory.devices.models import Device, DeviceType
from directory.endpoints.models import SipSettings
from directory.servers.current import current
from directory.servers.models import Server
from directory.techs import TECHS, defaults
from directory.users.models import NO_VOICEMAIL

# Each PJSIP file starts by including the administrator's own additions
# (FreePBX's layout); those files must exist or res_pjsip fails to load.
INCLUDES = {
    "pjsip.endpoint.conf": ("pjsip.endpoint_custom.conf",),
    "pjsip.aor.conf": ("pjsip.aor_custom.conf",),
    "pjsip.auth.conf": ("pjsip.auth_custom.conf",),
    transports.PJSIP_TRANSPORTS: (transports.PJSIP_TRANSPORTS_CUSTOM,),
    **trunk_render.TRUNK_FILE_INCLUDES,
}
# The other device files include no file of the administrator's: additions go in the Asterisk
# file that includes them (README, "Include them from Asterisk's own files").
INCLUDED_BY = {
    "sip_additional.conf": "sip.conf",
    "iax_additional.conf": "iax.conf",
    "chan_dahdi_additional.conf": "chan_dahdi.conf",
    **trunk_render.TRUNK_FILE_INCLUDED_BY,
}


def _header(name: str) -> str:
    custom = INCLUDES.get(name, ())
    return banner(custom=custom[0]) if custom else banner(included_by=INCLUDED_BY[name])


_COLUMNS = (
    "id",
    "tech",
    "dial",
    "devicetype",
    "user_id",
    "user__voicemail",
    "user__language",
    "settings_text",
)


def mailbox_for(device_id: str, fixed_user: str | None, voicemail: str | None) -> str:
    """FreePBX points a fixed device's mailbox at its user's; others keep `<id>@device`."""
    if fixed_user and voicemail and voicemail != NO_VOICEMAIL:
        return f"{fixed_user}@{voicemail}"
    return f"{device_id}@device"


def _fetch(techs: set[str], *, ids: list[str] | None = None, server: Server | None = None) -> list[tuple]:
    """The inputs of every device of these technologies, as plain tuples.

    The ORM builds the query; the rows are read with the cursor because this
    runs over every device of a technology on each save, and Django's per-row
    conversion (JSON decoding included) would be most of the time. The settings
    come back as JSON text and are decoded only for devices not rendered yet.
    With `server`, only that server's devices.
    """
    devices = Device.objects.filter(tech__in=techs) if ids is None else Device.objects.filter(pk__in=ids)
    if server is not None:
        devices = devices.filter(server=server)
    queryset = (
        devices.order_by()
        .annotate(settings_text=Cast("endpoint__settings", TextField()))
        .values_list(*_COLUMNS)
    )
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_DEFAULTS = {tech: defaults(tech) for tech in TECHS}

# device id -> (its inputs, {file name: formatted sections}). One entry per
# device, replaced when its inputs change, so it never outgrows the devices. One memo per server
# (a worker may render for several, and each forgets only what left it).
Memo = dict[str, tuple[tuple, dict[str, str]]]
_memos: dict[int, Memo] = {}


def available_transports(sip: SipSettings) -> dict[str, tuple[frozenset[str], str]]:
    """Per technology, what the SIP settings give a device: the transports it may name, and
    (PJSIP) the address its media is bound to."""
    return {
        "sip": (transports.chan_sip_protocols(sip), ""),
        "pjsip": (transports.pjsip_transport_names(sip), transports.media_address(sip)),
    }


def _render_device(
    row: tuple, available: dict[str, tuple[frozenset[str], str]], memo: Memo | None = None
) -> dict[str, str]:
    if memo is None:
        memo = {}
    tech_transports, media_address = available.get(row[1], (frozenset(), ""))
    key = (*row, tech_transports, media_address)
    cached = memo.get(row[0])
    if cached is not None and cached[0] == key:
        return cached[1]
    device_id, tech, dial, devicetype, user_id, vm_context, language, settings_text = row
    fixed_user = user_id if devicetype == DeviceType.FIXED else None
    device = DeviceRow(
        id=device_id,
        dial=dial,
        mailbox=mailbox_for(device_id, fixed_user, vm_context),
        # A setting added after the device was saved reads as its default.
        settings={**_DEFAULTS[tech], **loads(settings_text)} if settings_text else dict(_DEFAULTS[tech]),
        language=(language or "") if fixed_user else "",
        transports=tech_transports,
        media_address=media_address,
    )
    texts = {
        filename: "\n".join(format_section(section) for section in sections)
        for filename, sections in RENDERERS[tech].render(device).items()
        if sections
    }
    memo[device_id] = (key, texts)
    return texts


def _forget_missing(memo: Memo, techs: set[str], present: set[str]) -> None:
    """Drop the memo of devices of these technologies that are gone (deleted, moved to another
    technology or to another server)."""
    for device_id in [d for d, (row, _texts) in memo.items() if row[1] in techs and d not in present]:
        del memo[device_id]


def forget_rendered() -> None:
    """Drop the memo (benchmarks measure a cold regeneration with it)."""
    _memos.clear()


# Files that belong to no technology, and what fills each.
DIALPLAN = "dialplan"
VOICEMAIL = "voicemail"
SIP_SETTINGS = "sipsettings"
# The files trunks alone fill (registrations, identify); trunks also add sections to device files.
TRUNKS = "trunks"
FILE_SOURCE = {
    **FILE_TECH,
    **{name: TRUNKS for name in trunk_render.TRUNK_ONLY_FILES},
    dialplan.FILENAME: DIALPLAN,
    voicemail.FILENAME: VOICEMAIL,
    transports.SIP_GENERAL: SIP_SETTINGS,
    transports.PJSIP_TRANSPORTS: SIP_SETTINGS,
}
ALL_FILES = list(FILE_SOURCE)

# What each source of files reads of a user and of a device (DEVICE_FILES stands for every
# technology's files; None: every field; empty: nothing, not even whether one exists). A
# change to none of these fields leaves that source's files as they are: `asterisk.files.
# files_for` narrows a save's files by it, so a device's DTMF mode or a user's name never
# re-renders a 10,000-user dialplan. A test changes each field and checks no other file moves.
DEVICE_FILES = "devices"
USER_INPUTS: dict[str, frozenset[str]] = {
    # A user's entries are their number and the dial strings of the devices they are on; on
    # another server, the entries that reach them there (a move names every file anyway).
    DIALPLAN: frozenset({"extension", "server"}),
    VOICEMAIL: voicemail.USER_INPUTS,
    # A device's section names its user's mailbox context and language (`_COLUMNS`).
    DEVICE_FILES: frozenset({"voicemail", "language"}),
}
DEVICE_INPUTS: dict[str, frozenset[str] | None] = {
    # The hint lists the dial strings of the devices a user is on, in the order they came; a
    # user's entry names the context their own phone dials from (directory/users/call_features: their
    # forwards are dialled in it): its number's device, else a fixed device they are default user of.
    DIALPLAN: frozenset(
        {"id", "dial", "user_id", "default_user_id", "devicetype", "settings.context", "server"}
    ),
    VOICEMAIL: frozenset(),
    DEVICE_FILES: None,
}

# What each kind of file reads of a trunk. TRUNK_FILES stands for its technology's files (device
# files it adds sections to, and the files only trunks fill); the dialplan holds its dialling
# subroutine (its name in the dial string, caller ID, channel limit, dial-out rules) and leaves a
# disabled trunk out. `asterisk.files.files_for_trunks` names only the files a change moves.
TRUNK_FILES = "trunk files"
TRUNK_INPUTS: dict[str, frozenset[str] | None] = {
    # `server`: a trunk that moves leaves one server's files for another's (every server records).
    TRUNK_FILES: frozenset(
        {"name", "host", "port", "username", "secret", "register", "codecs", "enabled", "server"}
    ),
    DIALPLAN: frozenset(
        {"name", "outbound_cid", "force_cid", "max_channels", "dial_rules", "enabled", "server"}
    ),
}
TRUNK_TECH_FILES = trunk_render.TRUNK_TECH_FILES

# What Asterisk reloads after each file changes: a module (AMI `Reload`), or
# "dialplan" / "voicemail", reloaded with the CLI command of that name (see asterisk.sync).
FILE_RELOAD = {
    **{name: RENDERERS[tech].RELOAD_MODULE for name, tech in FILE_TECH.items()},
    dialplan.FILENAME: DIALPLAN,
    voicemail.FILENAME: VOICEMAIL,
    transports.SIP_GENERAL: RENDERERS["sip"].RELOAD_MODULE,
    transports.PJSIP_TRANSPORTS: RENDERERS["pjsip"].RELOAD_MODULE,
    **trunk_render.TRUNK_ONLY_FILES,
}
# The device files whose `transport=` lines follow the SIP settings.
TRANSPORT_DEPENDENT = (*RENDERERS["sip"].FILES, "pjsip.endpoint.conf")


def render_files(names: Iterable[str] | None = None) -> dict[str, str]:
    """The text each named file (default: all) should hold now on the server in use
    (`directory.servers.current`): its devices, its users' mailboxes and entries, and the trunks
    to the other servers."""
    names = list(ALL_FILES) if names is None else list(names)
    server = current()
    memo = _memos.setdefault(server.pk, {})
    device_files = [name for name in names if name in FILE_TECH]
    techs = {FILE_TECH[name] for name in device_files}
    rows = _fetch(techs, server=server) if device_files else []
    _forget_missing(memo, techs, {row[0] for row in rows})
    rows.sort(key=lambda row: (len(row[0]), row[0]))  # numeric order for digit ids
    sip = SipSettings.get()
    available = available_transports(sip)
    parts: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        for filename, text in _render_device(row, available, memo).items():
            parts[filename].append(text)
    trunk_files = [name for name in names if name in FILE_TECH or name in trunk_render.TRUNK_ONLY_FILES]
    if trunk_files:
        # This server's carrier trunks only: one account registers from one server.
        for filename, text in _trunk_texts(Trunk.objects.filter(server=server)).items():
            parts[filename].append(text)
    if servers.IAX_FILE in names:
        # The trunks to the other servers, after the devices and the carriers (none with one server).
        carriers = set(
            Trunk.objects.filter(tech=TrunkTech.IAX2, server=server).values_list("name", flat=True)
        )
        sections = servers.trunk_sections(server, carriers) if Server.objects.count() > 1 else []
        if sections:
            parts[servers.IAX_FILE].append("\n".join(format_section(section) for section in sections))
    texts = {
        name: join_sections(parts[name], header=_header(name), includes=INCLUDES.get(name, ()))
        for name in trunk_files
    }
    if dialplan.FILENAME in names:
        texts[dialplan.FILENAME] = dialplan.render_dialplan(server)
    if voicemail.FILENAME in names:
        texts[voicemail.FILENAME] = voicemail.render_voicemail(server)
    if transports.SIP_GENERAL in names:
        texts[transports.SIP_GENERAL] = transports.render_sip_general(sip)
    if transports.PJSIP_TRANSPORTS in names:
        texts[transports.PJSIP_TRANSPORTS] = transports.render_pjsip_transports(sip)
    return {name: texts[name] for name in names}


def device_sections(device_id: str) -> dict[str, str]:
    """The sections one device gets in each file (for the config preview)."""
    rows = _fetch(set(), ids=[device_id])
    return _render_device(rows[0], available_transports(SipSettings.get())) if rows else {}


# The files that hold what the servers are (the trunks between them, the remote users and the
# context their calls arrive in): every server rewrites them when a server is created, changed
# or deleted (`directory.announce.servers_changed`).
SERVER_FILES = (servers.IAX_FILE, dialplan.FILENAME)


def _trunk_texts(trunks=None) -> dict[str, str]:
    """Every enabled trunk's sections (or these trunks'), formatted, per file: after the devices'."""
    by_file = trunk_render.trunks_by_file(Trunk.objects.all() if trunks is None else trunks)
    texts = {}
    for filename, sections in by_file.items():
        if filename in trunk_render.REGISTRATION_FILES:
            # `register=>` lines, in [general] (where the Asterisk file includes this one).
            texts[filename] = "".join(format_items(filename, s.items, arrow=s.arrow_keys) for s in sections)
        else:
            texts[filename] = "\n".join(format_section(section) for section in sections)
    return texts


def trunk_sections(trunk_id: int) -> dict[str, str]:
    """The lines one trunk gets in each file (for the trunk's config preview)."""
    trunk = Trunk.objects.filter(pk=trunk_id).first()
    return _trunk_texts([trunk]) if trunk else {}

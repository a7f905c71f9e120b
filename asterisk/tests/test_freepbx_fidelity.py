"""pbxadmin against a real FreePBX 17, for the same file: the AstDB keys and the config sections
FreePBX wrote for ext100.csv (tests/data/freepbx17-ext100) equal pbxadmin's, key by key and value by
value, in order, except the named differences below. Each has its reason here and in the README
("Differences from FreePBX"); anything else that differs fails.
"""

from pathlib import Path

import pytest

from asterisk.astdb import desired_keys, is_owned, object_key
from asterisk.astdb_plan import parse_database_show
from asterisk.files import write_files
from asterisk.render.conf import parse_conf
from bulk.importing import import_file
from bulk.rows import WEAK_KEEP
from directory.endpoints.services import sip_settings_update

pytestmark = pytest.mark.django_db

FREEPBX = Path(__file__).parent / "data" / "freepbx17-ext100"

# --- AstDB ----------------------------------------------------------------------------------

# Keys FreePBX wrote that pbxadmin does not write; none is owned, so a full sync leaves them.
NOT_WRITTEN = {
    # The Voicemail module's "Require From Same Extension: no": FreePBX's *97 then skips the PIN
    # from the user's own phone. pbxadmin's *97 always asks it, so the key would say something false.
    "novmpw": "pbxadmin's *97 always asks the PIN",
    # VmX Locater ("press 0 for the operator…" from the greeting): not part of pbxadmin.
    "vmx/": "VmX Locater is not part of pbxadmin",
}
# Keys pbxadmin writes that this FreePBX did not.
ADDED = {
    # The Languages module writes it; it was not installed on the reference system.
    "language": "FreePBX's Languages module writes it; it was not installed there",
}

# --- Config sections -------------------------------------------------------------------------

# Lines pbxadmin writes and this FreePBX did not, per file.
ADDED_LINES = {
    # The Soundlang and Call Recording modules write these; they were not installed there.
    "pjsip.endpoint.conf": {"language", "one_touch_recording", "record_on_feature", "record_off_feature"},
    "sip_additional.conf": {"recordonfeature", "recordofffeature"},
}
# Lines whose value differs on purpose: (file, key) -> (FreePBX's value, pbxadmin's) for device <id>.
DIFFERENT_VALUES = {
    # The design: a phone calls as its device; the dialplan finds who is on it (DEVICE/<id>/user).
    **{(f, "callerid"): (lambda i: f"User {i} <{i}>", lambda i: f"device <{i}>") for f in (
        "pjsip.endpoint.conf", "sip_additional.conf", "iax_additional.conf")},
    # FreePBX 17 writes it empty (its core_devices_add passes no account); 2.11 wrote the number,
    # which IAX2 needs so a phone sending no caller ID is not taken as "caller ID hidden".
    ("iax_additional.conf", "setvar"): (lambda i: "REALCALLERIDNUM=", lambda i: f"REALCALLERIDNUM={i}"),
}  # fmt: skip
# FreePBX's writer puts each file's #include under an empty section named "0" (a PHP array key).
ARTEFACT_SECTIONS = {"0"}
# chan_sip [general]: FreePBX's lines pbxadmin leaves out, and the one it adds.
GENERAL_NOT_WRITTEN = {
    "useragent": "names FreePBX's and Asterisk's versions; chan_sip's own default is sent",
    "ALLOW_SIP_ANON": "a FreePBX setting its dialplan reads from its own globals; chan_sip ignores it",
    "tlsbindaddr": "written only while chan_sip TLS is on (the page's choice)",
}
GENERAL_ADDED = {"tlsenable": "written either way, so the page's choice holds whatever sip.conf says"}


@pytest.fixture
def ext100(committed, conf_dir):
    """ext100.csv imported as a new user would, on the reference's listeners, and the files written."""
    committed(
        sip_settings_update,
        sip_bind_address="127.0.0.1",
        sip_port=5260,
        pjsip_bind_address="127.0.0.1",
        pjsip_udp_port=5460,
    )
    # FreePBX checks secret strength only in the browser: its export carries weak ones, kept here.
    committed(import_file, "extensions", (FREEPBX / "ext100.csv").read_text(), weak=WEAK_KEEP)
    write_files()
    return conf_dir


def freepbx_astdb() -> dict[str, str]:
    keys = {}
    for family in ("AMPUSER", "DEVICE", "CW"):
        keys.update(parse_database_show((FREEPBX / f"astdb_{family}.txt").read_text().splitlines()))
    return keys


def _kind(path: str) -> str:
    key = object_key(path)
    return "vmx/" if key.startswith("vmx/") else key


@pytest.mark.slow
def test_the_astdb_keys_equal_freepbxs_but_the_named_differences(ext100):
    theirs, ours = freepbx_astdb(), desired_keys()
    assert len(theirs) == 2650 + 500 + 100, "the whole reference was read"
    only_theirs = {_kind(k) for k in theirs.keys() - ours.keys()}
    only_ours = {_kind(k) for k in ours.keys() - theirs.keys()}
    assert only_theirs == set(NOT_WRITTEN)
    assert only_ours == set(ADDED)
    assert {k: (theirs[k], ours[k]) for k in theirs.keys() & ours.keys() if theirs[k] != ours[k]} == {}


@pytest.mark.slow
def test_what_pbxadmin_does_not_write_it_does_not_own_so_a_full_sync_keeps_it(ext100):
    theirs, ours = freepbx_astdb(), desired_keys()
    left = [k for k in theirs.keys() - ours.keys()]
    assert left and not [k for k in left if is_owned(k)]


def _sections(path: Path) -> dict[str, list[tuple[str, str]]]:
    parsed = parse_conf(path.read_text())
    return {s.name: s.items for s in parsed.sections if s.name and s.name not in ARTEFACT_SECTIONS}


def _without_named_differences(name: str, section: str, items, side: int):
    device = section.removesuffix("-auth")
    result = []
    for key, value in items:
        if side == 1 and key in ADDED_LINES.get(name, ()):
            continue
        if (name, key) in DIFFERENT_VALUES:
            expected = DIFFERENT_VALUES[name, key][side](device)
            assert value == expected, f"{name} [{section}] {key}={value}"
            value = "<named difference>"
        result.append((key, value))
    return result


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "pjsip.endpoint.conf",
        "pjsip.aor.conf",
        "pjsip.auth.conf",
        "sip_additional.conf",
        "iax_additional.conf",
    ],
)
def test_every_device_section_equals_freepbxs_but_the_named_differences(ext100, name):
    theirs, ours = _sections(FREEPBX / name), _sections(ext100 / name)
    assert list(theirs) == list(ours), "the same sections, in the same order"
    assert (
        parse_conf((FREEPBX / name).read_text()).includes == parse_conf((ext100 / name).read_text()).includes
    )
    for section in theirs:
        assert _without_named_differences(name, section, ours[section], 1) == _without_named_differences(
            name, section, theirs[section], 0
        ), f"{name} [{section}]"


def test_the_pjsip_transport_equals_freepbxs(ext100):
    name = "pjsip.transports.conf"
    assert _sections(ext100 / name) == _sections(FREEPBX / name)
    assert parse_conf((ext100 / name).read_text()).includes == ["pjsip.transports_custom.conf"]


def _effective_general(path: Path) -> dict[str, object]:
    """chan_sip's [general] as chan_sip reads it: later lines win; allow and disallow add up in order."""
    lines = parse_conf(path.read_text()).sections[0].items
    result: dict[str, object] = {}
    for key, value in lines:
        if key in ("allow", "disallow", "localnet"):
            result.setdefault(key, []).append(value)
        else:
            result[key] = value
    return result


@pytest.mark.slow
def test_sip_general_equals_freepbxs_but_the_named_differences(ext100):
    theirs = _effective_general(FREEPBX / "sip_general_additional.conf")
    ours = _effective_general(ext100 / "sip_general_additional.conf")
    assert theirs.keys() - ours.keys() == set(GENERAL_NOT_WRITTEN)
    assert ours.keys() - theirs.keys() == set(GENERAL_ADDED)
    assert {k: (theirs[k], ours[k]) for k in theirs.keys() & ours.keys() if theirs[k] != ours[k]} == {}
    assert (ours["allowguest"], ours["alwaysauthreject"], ours["context"]) == (
        "no",
        "yes",
        "from-sip-external",
    )


@pytest.mark.slow
def test_the_mailboxes_equal_freepbxs(ext100):
    """FreePBX rewrites voicemail.conf whole; pbxadmin writes the mailboxes alone, in
    voicemail_additional.conf, which the administrator's voicemail.conf includes."""
    theirs = _sections(FREEPBX / "voicemail.conf")
    ours = _sections(ext100 / "voicemail_additional.conf")
    assert set(theirs) - set(ours) == {"general", "pbxaliases"}
    assert ours == {"default": theirs["default"]}
    assert len(ours["default"]) == 50, "a mailbox only for the rows with voicemail_enable=yes"

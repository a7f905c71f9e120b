"""The generated dialplan read back: targets exist, priorities run on, every user has an extension and hint."""

import re
from dataclasses import dataclass, field

import pytest

from asterisk import prompts
from asterisk.render.conf import parse_conf
from asterisk.render.dialplan import FILENAME
from directory.devices.services import device_create, device_login
from directory.users.extensions import extension_create
from directory.users.services import user_create

pytestmark = pytest.mark.django_db


@dataclass
class Extension:
    steps: list[tuple[int, str, str]] = field(default_factory=list)  # (priority, label, application call)
    hint: str | None = None


def parse_dialplan(text: str) -> tuple[dict[str, dict[str, Extension]], dict[str, list[str]]]:
    """Contexts -> extensions -> steps, checking that priorities run 1, 2, 3… without gaps."""
    contexts: dict[str, dict[str, Extension]] = {}
    includes: dict[str, list[str]] = {}
    for section in parse_conf(text).sections:
        extensions: dict[str, Extension] = {}
        current = None
        for key, value in section.items:
            if key == "include":
                includes.setdefault(section.name, []).append(value)
                continue
            if key == "exten":
                name, priority, app = value.split(",", 2)
                current = extensions.setdefault(name, Extension())
                if priority == "hint":
                    current.hint = app
                    continue
                assert priority == "1", f"{section.name}/{name} must start at priority 1"
                current.steps.append((1, "", app))
                continue
            assert key == "same", f"unexpected line {key} in [{section.name}]"
            match = re.fullmatch(r"n(?:\((\w+)\))?,(.*)", value)
            assert match, f"bad 'same' line {value!r}"
            previous = current.steps[-1][0]
            current.steps.append((previous + 1, match.group(1) or "", match.group(2)))
        contexts[section.name] = extensions
    return contexts, includes


def check_targets(contexts, includes) -> None:
    for context, targets in includes.items():
        assert set(targets) <= set(contexts), f"[{context}] includes a missing context"
    for context, extensions in contexts.items():
        for name, extension in extensions.items():
            labels = {label for _, label, _ in extension.steps if label}
            for priority, _, app in extension.steps:
                where = f"{context},{name},{priority}"
                if app.startswith("Gosub("):
                    target, ext, prio = re.match(r"Gosub\(([\w-]+),(\w+),(\d+)\(", app).groups()
                    assert target in contexts and ext in contexts[target], (
                        f"{where}: Gosub to a missing {target}"
                    )
                    assert prio == "1"
                elif app.startswith("GotoIf("):
                    branch = app[app.rindex("?") + 1 : -1]
                    for label in filter(None, branch.split(":")):
                        assert label in labels, f"{where}: GotoIf to a missing label {label}"
                elif app.startswith("Goto(") and app.count(",") == 2:
                    # Goto(context,exten,priority): into another context (its extension may be a
                    # variable, as a user's number is).
                    assert app[5:-1].split(",")[0] in contexts, f"{where}: Goto to a missing context"
                elif app.startswith("Goto("):
                    assert app[5:-1] in labels, f"{where}: Goto to a missing label"
            assert any(app.startswith(("Return(", "Hangup(")) for _, _, app in extension.steps), where


@pytest.fixture
def dialplan(conf_dir):
    def read():
        return (conf_dir / FILENAME).read_text()

    return read


def test_the_dialplan_is_complete_and_every_target_exists(committed, dialplan):
    committed(extension_create, extension="1000", name="Ana", tech="pjsip")
    contexts, includes = parse_dialplan(dialplan())
    check_targets(contexts, includes)
    assert set(contexts) >= {
        "from-internal-additional",
        "ext-local",
        "app-userlogonoff",
        "sub-user-logon",
        "sub-user-logoff",
        "sub-user-callerid",
        "sub-dial-user",
    }
    assert set(contexts["app-userlogonoff"]) == {"*11", "_*11.", "*12"}


@pytest.mark.slow
def test_every_user_has_its_extension_and_a_hint_of_the_devices_it_is_on(committed, dialplan):
    ana = committed(extension_create, extension="1000", name="Ana", tech="pjsip")
    committed(extension_create, extension="1001", name="Ben", tech="sip")
    committed(
        extension_create, extension="1002", name="Cy", tech="custom", dial="Local/5551234@from-internal"
    )
    committed(user_create, extension="1003", name="Nobody")
    desk = committed(device_create, id="3001", tech="iax2", devicetype="adhoc")
    committed(device_login, device=desk, user=ana)
    ext_local = parse_dialplan(dialplan())[0]["ext-local"]
    assert set(ext_local) == {"1000", "1001", "1002", "1003"}
    assert ext_local["1000"].hint == "PJSIP/1000&IAX2/3001"
    assert ext_local["1001"].hint == "SIP/1001"
    assert ext_local["1002"].hint == "Local/5551234@from-internal"
    assert ext_local["1003"].hint is None, "no device, no hint"
    assert ext_local["1000"].steps[1][2] == "Gosub(sub-dial-user,s,1(1000,from-internal))"


def test_a_login_rewrites_the_hint_and_needs_no_dialplan_reload(committed, dialplan):
    """The hint is a per-user entry: the sync changes it in the running dialplan (no reload)."""
    from asterisk.models import SyncChange

    ana = committed(extension_create, extension="1000", name="Ana", tech="pjsip")
    desk = committed(device_create, id="3001", tech="pjsip", devicetype="adhoc")
    SyncChange.objects.all().delete()
    committed(device_login, device=desk, user=ana)
    assert parse_dialplan(dialplan())[0]["ext-local"]["1000"].hint == "PJSIP/1000&PJSIP/3001"
    assert not SyncChange.objects.filter(kind="reload", ref="dialplan").exists()
    assert SyncChange.objects.filter(kind="device", ref="3001").exists(), "the hint waits for the sync"


def test_a_name_change_leaves_the_dialplan_alone(committed, dialplan, conf_dir):
    from directory.users.services import user_update

    ana = committed(extension_create, extension="1000", name="Ana", tech="pjsip")
    before = (conf_dir / FILENAME).stat().st_mtime_ns
    committed(user_update, user=ana, name="Ana Maria")
    assert (conf_dir / FILENAME).stat().st_mtime_ns == before


def test_nothing_a_user_typed_reaches_the_dialplan(committed, dialplan):
    name = "O'Brien, Pat) ${SHELL(touch /tmp/x)} $[1+1]"
    committed(extension_create, extension="1000", name=name, tech="pjsip", outboundcid='"Sales" <5551234>')
    text = dialplan()
    assert "O'Brien" not in text and "SHELL" not in text and "Sales" not in text
    check_targets(*parse_dialplan(text))


def test_the_dialplan_plays_only_the_prompts_named_in_one_place(committed, dialplan):
    """Each is checked against Asterisk's core sounds in asterisk/tests/test_prompts.py."""
    committed(extension_create, extension="1000", name="Ana", tech="pjsip")
    contexts, _ = parse_dialplan(dialplan())
    played = set()
    for extensions in contexts.values():
        for extension in extensions.values():
            for _, _, app in extension.steps:
                if match := re.fullmatch(r"(?:Playback|Background)\((.*)\)", app):
                    played |= set(match.group(1).split(",")[0].split("&"))
    assert played and played <= set(prompts.ALL), played - set(prompts.ALL)


def test_no_answer_and_busy_end_in_the_mailbox_with_the_matching_greeting(committed, dialplan):
    committed(extension_create, extension="1000", name="Ana", tech="pjsip", voicemail="default")
    steps = parse_dialplan(dialplan())[0]["sub-dial-user"]["s"].steps
    by_label = {label: (priority, app) for priority, label, app in steps if label}
    apps = [app for _, _, app in steps]
    assert by_label["noanswer"][1] == "Set(VMSTATUS=u)", "unavailable greeting"
    assert by_label["busy"][1] == "Set(VMSTATUS=b)", "busy greeting"
    assert "VoiceMail(${EXT}@${VMCTX},${VMSTATUS})" in apps
    # Without a mailbox (novm or no key): busy tone when busy, else hang up.
    novm = by_label["novm"][0]
    assert apps[novm - 1 : novm + 3] == [
        'GotoIf($["${VMSTATUS}" = "b"]?isbusy)',
        "Hangup()",
        "Busy(20)",
        "Return()",
    ]


def test_star97_opens_the_mailbox_of_the_user_on_the_calling_device_and_asks_the_pin(committed, dialplan):
    committed(extension_create, extension="1000", name="Ana", tech="pjsip", voicemail="default")
    contexts, includes = parse_dialplan(dialplan())
    check_targets(contexts, includes)
    assert {"app-vmmain", "app-dialvm"} <= set(includes["from-internal-additional"])
    steps = [app for _, _, app in contexts["app-vmmain"]["*97"].steps]
    text = "\n".join(steps)
    # The device comes from the channel Asterisk authenticated, never from the caller ID.
    assert "CALLERID" not in text
    assert "Set(DEV=${CHANNEL(endpoint)})" in steps and "Set(DEV=${CHANNEL(peername)})" in steps
    assert "Set(VMUSER=${DB(DEVICE/${DEV}/user)})" in steps
    main = [app for app in steps if app.startswith("VoiceMailMain(")]
    assert main == ["VoiceMailMain(${VMUSER}@${VMCTX})"], "no s option: the PIN is asked"


def test_star98_asks_for_any_mailbox_and_its_pin(committed, dialplan):
    committed(user_create, extension="1000", name="Ana")
    contexts, _ = parse_dialplan(dialplan())
    assert set(contexts["app-dialvm"]) == {"*98", "_*98X."}
    assert "VoiceMailMain()" in [app for _, _, app in contexts["app-dialvm"]["*98"].steps]


def _apps(contexts, context, extension="s"):
    return [app for _, _, app in contexts[context][extension].steps]


DIGITS_ONLY = "GotoIf($[${LEN(${FILTER(0123456789,${ARG1})})} != ${LEN(${ARG1})}]?"


def test_star_ext_leaves_a_message_in_that_users_mailbox(committed, dialplan):
    """FreePBX's *<ext>: straight to the mailbox, unavailable greeting. Its context comes last,
    so every feature code wins; the digits the phone sent are checked before they are used."""
    committed(extension_create, extension="1000", name="Ana", tech="pjsip", voicemail="default")
    contexts, includes = parse_dialplan(dialplan())
    check_targets(contexts, includes)
    # Last but the outbound routes (FreePBX's place for them: after every internal code).
    assert includes["from-internal-additional"][-2:] == ["app-vm-direct", "outbound-allroutes"]
    assert set(contexts["app-vm-direct"]) == {"_*X", "_*X."}
    assert _apps(contexts, "app-vm-direct", "_*X.")[0] == "Gosub(sub-vm-direct,s,1(${EXTEN:1}))"
    direct = _apps(contexts, "sub-vm-direct")
    assert direct[0].startswith(DIGITS_ONLY), "nothing but digits reaches DB() or VoiceMail()"
    assert "VoiceMail(${ARG1}@${VMCTX},u)" in direct


def test_star98_ext_opens_that_mailbox_and_asks_its_pin(committed, dialplan):
    committed(extension_create, extension="1000", name="Ana", tech="pjsip", voicemail="default")
    contexts, _ = parse_dialplan(dialplan())
    assert _apps(contexts, "app-dialvm", "_*98X.")[1] == "Gosub(sub-vm-main,s,1(${EXTEN:3}))"
    main = _apps(contexts, "sub-vm-main")
    assert any(app.startswith(DIGITS_ONLY) for app in main)
    assert "VoiceMailMain(${ARG1}@${VMCTX})" in main, "no s option: the PIN is asked"


@pytest.mark.parametrize(("context", "pattern"), [("app-dialvm", "_*98X."), ("app-userlogonoff", "_*11.")])
def test_a_users_own_mailbox_comes_before_a_feature_code_that_starts_its_number(
    committed, dialplan, context, pattern
):
    """*9801 and *1105 reach the mailboxes of users 9801 and 1105 when they have one, as FreePBX's
    per-user *<ext> entries win; otherwise *98 and *11 take the digits as before."""
    committed(extension_create, extension="9801", name="Ana", tech="pjsip", voicemail="default")
    contexts, _ = parse_dialplan(dialplan())
    assert _apps(contexts, context, pattern)[0] == "Gosub(sub-vm-direct,s,1(${EXTEN:1},try))"
    direct = _apps(contexts, "sub-vm-direct")
    assert 'GotoIf($["${ARG2}" = "try"]?back)' in direct and direct[-1] == "Return()"


def test_ext_local_includes_the_administrators_ext_local_custom(committed, dialplan):
    committed(extension_create, extension="1000", name="Ana", tech="pjsip")
    contexts, includes = parse_dialplan(dialplan())
    assert includes["ext-local"] == ["ext-local-custom"]
    assert contexts["ext-local-custom"] == {}, "defined empty, so the include resolves without a warning"

"""Which values are secrets (directory/secrets.py) and where they land in the files
(asterisk/render/secrets.py), checked against what the renderers write."""

import difflib

import pytest

from asterisk.render.conf import format_section, parse_conf
from asterisk.render.secrets import CHANGED, SECRET_CONF_KEYS, SECRET_FILES, mask_conf_text, mask_diff
from asterisk.render.techs import RENDERERS
from asterisk.render.techs.base import DeviceRow
from directory.secrets import MASK, SECRET_COLUMNS, masked_settings
from directory.techs import TECHS, defaults

SECRET = "Zq9Secret7Unique;x"
TECHS_WITH_SECRETS = [t for t, m in TECHS.items() if any(s.secret for s in m.SETTINGS)]


def rendered(tech: str, secret: str = SECRET) -> dict[str, str]:
    settings = {**defaults(tech), "secret": secret}
    device = DeviceRow(
        id="1000", dial=TECHS[tech].dial("1000", settings), mailbox="1000@device", settings=settings
    )
    return {
        name: "\n".join(format_section(s) for s in sections)
        for name, sections in RENDERERS[tech].render(device).items()
        if sections
    }


@pytest.mark.parametrize("tech", TECHS_WITH_SECRETS)
def test_every_line_that_carries_a_secret_is_in_a_secret_file_under_a_secret_key(tech):
    found = []
    for name, text in rendered(tech).items():
        for section in parse_conf(text).sections:
            for key, value in section.items:
                if value == SECRET:
                    found.append((name, key))
    assert found, "the renderer wrote the secret nowhere"
    for name, key in found:
        assert name in SECRET_FILES and key in SECRET_CONF_KEYS


@pytest.mark.parametrize("tech", TECHS_WITH_SECRETS)
def test_a_masked_preview_holds_no_secret_and_keeps_every_other_line(tech):
    for text in rendered(tech).values():
        masked = mask_conf_text(text)
        assert "Zq9Secret7Unique" not in masked
        assert len(masked.splitlines()) == len(text.splitlines())
        kept = [line for line in text.splitlines() if "Zq9Secret7Unique" not in line]
        assert all(line in masked.splitlines() for line in kept)


def test_a_changed_secret_line_in_a_diff_reads_secret_changed():
    old = rendered("sip", "Old1secret22")["sip_additional.conf"]
    new = rendered("sip", "New3secret44")["sip_additional.conf"]
    diff = mask_diff(difflib.unified_diff(old.splitlines(), new.splitlines(), "a", "b", lineterm=""))
    text = "\n".join(diff)
    assert "Old1secret22" not in text and "New3secret44" not in text
    assert f"-secret={MASK} {CHANGED}" in diff and f"+secret={MASK} {CHANGED}" in diff


def test_an_unchanged_secret_line_in_a_diffs_context_is_masked():
    diff = mask_diff([" password=Kept1secret22", "+context=other"])
    assert diff == [f" password={MASK}", "+context=other"]


@pytest.mark.parametrize(
    "line",
    ["+ secret=Hand1edit22", "+\tSecret = Hand1edit22", "-md5secret=Hand1edit22", " MD5_CRED=Hand1edit22"],
)
def test_a_hand_edited_secret_line_is_masked_whatever_its_case_and_indent(line):
    (masked,) = mask_diff([line])
    assert "Hand1edit22" not in masked and MASK in masked


def test_a_mailbox_line_keeps_its_fields_but_not_its_pin():
    assert mask_diff(["+ 2001 => 4711,Ana,ana@example.com,,attach=yes"], mailboxes=True) == [
        f"+ 2001 => {MASK},Ana,ana@example.com,,attach=yes"
    ]


def test_only_the_mailbox_file_has_mailbox_lines():
    """Masking goes by structure: `2001 => …` is a mailbox in the mailbox file alone."""
    assert mask_diff(["+2001 => 4711,Ana"]) == ["+2001 => 4711,Ana"]


def test_masked_settings_hide_secrets_and_keep_an_empty_one_empty():
    assert masked_settings({"secret": "Abc123456", "context": "x"}) == {"secret": MASK, "context": "x"}
    assert masked_settings({"secret": ""}) == {"secret": ""}


def test_the_files_and_columns_that_hold_secrets():
    assert {
        "pjsip.auth.conf",
        "sip_additional.conf",
        "iax_additional.conf",
        "voicemail_additional.conf",
        # Trunks' `register=>user:secret@host` lines.
        "sip_registrations.conf",
        "iax_registrations.conf",
        # The outbound routes' PINs: `Authenticate(<pin>)` in the dialplan.
        "extensions_additional.conf",
    } == SECRET_FILES
    assert {"secret", "password"} <= SECRET_COLUMNS


def test_a_removed_line_that_begins_with_dashes_is_not_taken_for_a_header():
    on_disk = ["[default]", "--old pin of 2001: 4711 password=hunter2", "2001 => 1234,Ana"]
    wanted = ["[default]", "2001 => 1234,Ana"]
    diff = list(difflib.unified_diff(on_disk, wanted, "disk", "db", lineterm=""))
    for hide in (False, True):
        shown = "\n".join(mask_diff(diff, mailboxes=True, hide_hand_edits=hide))
        assert "hunter2" not in shown
    assert "4711" not in "\n".join(mask_diff(diff, mailboxes=True, hide_hand_edits=True))


def test_a_route_pin_is_masked_wherever_the_dialplan_is_shown():
    line = " same => n,Authenticate(731902846)"
    assert "731902846" not in mask_conf_text(line)
    diff = ["--- disk", "+++ db", "@@ -1 +1 @@", f"-{line}", " same => n,Authenticate(864203517,a)"]
    shown = "\n".join(mask_diff(diff))
    assert "731902846" not in shown and "864203517" not in shown
    assert "Authenticate(" in shown

"""Files that hold secrets are readable by their group only; the others by everyone."""

import grp
import os
import stat

import pytest

from asterisk.files import write_files
from directory.users.extensions import extension_create

pytestmark = pytest.mark.django_db

SECRET_FILES = (
    "pjsip.auth.conf",
    "pjsip.auth_custom.conf",
    "sip_additional.conf",
    "iax_additional.conf",
    "voicemail_additional.conf",
    # The outbound routes' PINs (`Authenticate(<pin>)`).
    "extensions_additional.conf",
)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def another_group() -> int:
    """A group this process may give files to, other than its own; skip when there is none."""
    mine = os.getegid()
    usable = [g.gr_gid for g in grp.getgrall()] if os.geteuid() == 0 else os.getgroups()
    others = [gid for gid in usable if gid != mine]
    if not others:
        pytest.skip("this user can give files to no other group")
    return others[0]


@pytest.fixture
def some_extensions(committed):
    for n, tech in enumerate(("pjsip", "sip", "iax2"), start=1):
        committed(extension_create, extension=f"100{n}", name=f"P{n}", tech=tech)


def test_the_files_with_secrets_are_written_0640_and_the_others_0644(some_extensions, conf_dir):
    write_files()
    for name in SECRET_FILES:
        assert mode(conf_dir / name) == 0o640, name
    for name in (
        "pjsip.endpoint.conf",
        "pjsip.aor.conf",
        "chan_dahdi_additional.conf",
    ):
        assert mode(conf_dir / name) == 0o644, name


def test_without_a_setting_the_files_keep_the_group_of_their_directory(conf_dir, committed):
    gid = another_group()
    conf_dir.mkdir(parents=True)
    os.chown(conf_dir, -1, gid)
    committed(extension_create, extension="1000", name="Ana", tech="sip")
    assert os.stat(conf_dir / "sip_additional.conf").st_gid == gid
    assert os.stat(conf_dir / "extensions_additional.conf").st_gid == gid


def test_asterisk_conf_group_names_the_group(conf_dir, committed, settings):
    gid = another_group()
    settings.ASTERISK_CONF_GROUP = grp.getgrgid(gid).gr_name
    committed(extension_create, extension="1000", name="Ana", tech="iax2")
    assert os.stat(conf_dir / "iax_additional.conf").st_gid == gid
    assert mode(conf_dir / "iax_additional.conf") == 0o640


def test_a_group_that_does_not_exist_is_reported_and_nothing_is_written(conf_dir, settings):
    settings.ASTERISK_CONF_GROUP = "no-such-group-pbx"
    with pytest.raises(OSError, match="no-such-group-pbx"):
        write_files()
    assert not (conf_dir / "sip_additional.conf").exists()


def test_a_file_left_world_readable_by_an_older_version_is_tightened_without_a_rewrite(
    some_extensions, conf_dir
):
    write_files()
    path = conf_dir / "pjsip.auth.conf"
    path.chmod(0o644)
    assert write_files() == []
    assert mode(path) == 0o640


def test_a_secret_file_is_never_world_readable_even_while_it_is_written(conf_dir, committed, monkeypatch):
    """The temp file has its final mode before the rename: watch every chmod and the file at rename time."""
    seen = []
    real_replace = os.replace

    def watching_replace(src, dst):
        seen.append((os.path.basename(dst), mode(src)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", watching_replace)
    committed(extension_create, extension="1000", name="Ana", tech="sip")
    assert ("sip_additional.conf", 0o640) in seen

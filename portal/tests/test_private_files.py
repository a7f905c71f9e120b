"""var/ (database, secret key, cache) belongs to the service's user alone."""

import io
import os
import stat

import pytest
from django.core.management import call_command
from django.db import connection

from portal.private_files import make_var_private, sqlite_files, write_private

pytestmark = pytest.mark.django_db


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def var_dir(tmp_path, settings):
    """A var/ as an older version left it: everything readable by everyone."""
    var = tmp_path / "var"
    (var / "cache").mkdir(parents=True)
    (var / "secret_key").write_text("k")
    (var / "cache" / "entry.djcache").write_text("progress")
    for path in (var, var / "cache", var / "secret_key", var / "cache" / "entry.djcache"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    settings.VAR_DIR = var
    settings.ASTERISK_CONF_DIR = tmp_path / "etc-asterisk"
    settings.STATIC_ROOT = tmp_path / "static"
    return var


def test_var_and_everything_in_it_become_private(var_dir):
    make_var_private()
    assert mode(var_dir) == 0o700
    assert mode(var_dir / "cache") == 0o700
    assert mode(var_dir / "secret_key") == 0o600
    assert mode(var_dir / "cache" / "entry.djcache") == 0o600


def test_the_sqlite_database_is_private(var_dir):
    files = sqlite_files()
    if connection.vendor != "sqlite":
        assert files == [], "PostgreSQL keeps no database file in var/"
        return
    assert files, "the tests run on SQLite"
    for path in files:
        path.chmod(0o644)
    make_var_private()
    assert all(mode(path) == 0o600 for path in files)


def test_migrate_and_ensure_admin_make_var_private(var_dir):
    call_command("ensure_admin", stdout=io.StringIO())
    assert mode(var_dir / "secret_key") == 0o600
    (var_dir / "secret_key").chmod(0o644)
    call_command("migrate", verbosity=0)
    assert mode(var_dir / "secret_key") == 0o600


def test_folders_another_service_reads_stay_reachable_inside_a_private_var(var_dir, settings):
    """The default config folder (read by Asterisk) and static files (the web server) live under var/."""
    settings.ASTERISK_CONF_DIR = var_dir / "asterisk"
    settings.STATIC_ROOT = var_dir / "staticfiles"
    for folder in (settings.ASTERISK_CONF_DIR, settings.STATIC_ROOT):
        folder.mkdir(mode=0o755)
        folder.chmod(0o755)
    make_var_private()
    assert mode(var_dir) == 0o711  # passable, not listable
    assert mode(var_dir / "asterisk") == 0o755
    assert mode(var_dir / "staticfiles") == 0o755
    assert mode(var_dir / "secret_key") == 0o600


def test_a_private_file_is_private_from_its_first_byte(tmp_path):
    path = tmp_path / "key"
    old = os.umask(0)
    try:
        write_private(path, "secret")
    finally:
        os.umask(old)
    assert mode(path) == 0o600 and path.read_text() == "secret"
    with pytest.raises(FileExistsError):
        write_private(path, "other")

"""Guards for the project as a whole."""

import io
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from pbxadmin.env import env_bool, env_choice, env_int, env_rate


@pytest.mark.django_db
def test_no_model_change_is_missing_a_migration():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_settings_refuse_values_they_cannot_read(monkeypatch):
    monkeypatch.setenv("X_BOOL", "maybe")
    monkeypatch.setenv("X_INT", "ten")
    monkeypatch.setenv("X_MODE", "everything")
    monkeypatch.setenv("X_RATE", "600 per minute")
    with pytest.raises(ImproperlyConfigured, match="X_BOOL"):
        env_bool("X_BOOL", False)
    with pytest.raises(ImproperlyConfigured, match="X_INT"):
        env_int("X_INT", 1)
    with pytest.raises(ImproperlyConfigured, match="X_MODE"):
        env_choice("X_MODE", "extensions", ("extensions", "deviceanduser"))
    with pytest.raises(ImproperlyConfigured, match="X_RATE"):
        env_rate("X_RATE", "600/minute")
    monkeypatch.setenv("X_RATE", "20/second")
    assert env_rate("X_RATE", "600/minute") == "20/second"
    monkeypatch.setenv("X_BOOL", "yes")
    assert env_bool("X_BOOL", False) is True
    assert env_int("UNSET_INT_FOR_TEST", 7) == 7


def _python(code: str, var_dir, **env):
    environment = {**os.environ, "PBXADMIN_VAR_DIR": str(var_dir), **env}
    environment.pop("DJANGO_SECRET_KEY", None)
    return subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )


@pytest.mark.slow
def test_loading_the_settings_writes_nothing(tmp_path):
    var = tmp_path / "var"
    _python(
        "import django; from django.conf import settings; django.setup(); print(settings.VAR_DIR)",
        var,
        DJANGO_SETTINGS_MODULE="pbxadmin.settings",
    )
    assert not var.exists()


@pytest.mark.slow
def test_prepare_makes_var_private_and_keeps_its_key(tmp_path):
    var = tmp_path / "var"
    code = "from pbxadmin.var import prepare, read_secret_key; prepare(); prepare(); print(read_secret_key())"
    first = _python(code, var).stdout.strip()
    assert len(first) >= 50
    assert (var.stat().st_mode & 0o777) == 0o700
    assert ((var / "secret_key").stat().st_mode & 0o777) == 0o600
    assert _python(code, var).stdout.strip() == first, "the key survives restarts"


@pytest.mark.slow
def test_behind_a_proxy_the_forwarded_scheme_host_and_address_are_trusted(tmp_path):
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "from django.test import RequestFactory; from portal.client_address import client_address; "
        "request = RequestFactory().get('/', REMOTE_ADDR='10.0.0.2', "
        "HTTP_X_FORWARDED_FOR='192.0.2.1, 203.0.113.5'); "
        "print(settings.SECURE_PROXY_SSL_HEADER, settings.USE_X_FORWARDED_HOST, client_address(request))"
    )
    env = {"DJANGO_SETTINGS_MODULE": "pbxadmin.settings"}
    trusting = _python(code, tmp_path / "var", PBXADMIN_BEHIND_PROXY="true", **env).stdout
    assert trusting.split() == ["('HTTP_X_FORWARDED_PROTO',", "'https')", "True", "203.0.113.5"]
    direct = _python(code, tmp_path / "var", **env).stdout
    assert direct.split() == ["None", "False", "10.0.0.2"]

"""Guards for the project as a whole."""

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from pbxadmin.env import env_bool, env_choice, env_int


@pytest.mark.django_db
def test_no_model_change_is_missing_a_migration():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_settings_refuse_values_they_cannot_read(monkeypatch):
    monkeypatch.setenv("X_BOOL", "maybe")
    monkeypatch.setenv("X_INT", "ten")
    monkeypatch.setenv("X_MODE", "everything")
    with pytest.raises(ImproperlyConfigured, match="X_BOOL"):
        env_bool("X_BOOL", False)
    with pytest.raises(ImproperlyConfigured, match="X_INT"):
        env_int("X_INT", 1)
    with pytest.raises(ImproperlyConfigured, match="X_MODE"):
        env_choice("X_MODE", "extensions", ("extensions", "deviceanduser"))
    monkeypatch.setenv("X_BOOL", "yes")
    assert env_bool("X_BOOL", False) is True
    assert env_int("UNSET_INT_FOR_TEST", 7) == 7

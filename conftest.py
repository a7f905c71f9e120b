"""Fixtures shared by every app's tests."""

import pytest


@pytest.fixture(autouse=True)
def conf_dir(settings, tmp_path):
    """Each test writes its Asterisk files into its own folder."""
    path = tmp_path / "asterisk"
    settings.ASTERISK_CONF_DIR = path
    return path


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run on-commit work (config writes) as a real commit would, inside the test transaction."""

    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return run

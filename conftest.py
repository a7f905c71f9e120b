"""Fixtures shared by every app's tests."""

import pytest

from asterisk.testing.ami_server import AmiTestServer


@pytest.fixture(autouse=True)
def conf_dir(settings, tmp_path):
    """Each test writes its Asterisk files into its own folder, and syncs only when it says so."""
    path = tmp_path / "asterisk"
    settings.ASTERISK_CONF_DIR = path
    settings.VAR_DIR = tmp_path
    settings.PBXADMIN_SYNC = "manual"
    return path


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run on-commit work (config writes) as a real commit would, inside the test transaction."""

    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return run


@pytest.fixture
def asterisk(settings):
    """A running AMI test server, with the settings pointing at it."""
    with AmiTestServer(secret="ami-test-secret") as server:
        settings.AMI_HOST = "127.0.0.1"
        settings.AMI_PORT = server.port
        settings.AMI_USERNAME = server.username
        settings.AMI_SECRET = server.secret
        settings.AMI_TIMEOUT = 2
        yield server


@pytest.fixture
def admin_user(db):
    from portal.testing.personas import administrator

    return administrator()


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def viewer_client(db):
    """A client of its own, so a test can hold an administrator's and a viewer's at once."""
    from django.test import Client

    from portal.testing.personas import viewer

    client = Client()
    client.force_login(viewer())
    return client


@pytest.fixture
def deviceanduser(db):
    from portal.mode import DEVICE_AND_USER, set_pbx_mode

    set_pbx_mode(mode=DEVICE_AND_USER)

"""Fixtures shared by every app's tests."""

import os
import re

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from asterisk.tasks import reload_asterisk, sync_asterisk
from asterisk.testing.ami_server import AmiTestServer
from pbxadmin.celery import app as celery_app

# Real Asterisk fixtures (private_asterisk, pbx, phone): tests marked `asterisk`.
pytest_plugins = ["asterisk.testing.fixtures"]

# Property tests check what holds, never how fast: a busy machine must not fail
# one on time (deadline=None, no too_slow health check). Most are parametrised
# over every field or setting, hence 50 examples each; the dangerous characters
# in every position are also checked exhaustively, without hypothesis.
# HYPOTHESIS_PROFILE=thorough hunts longer, e.g. after a change to a validator; `make test`
# runs the everyday `quick` profile (10 examples each), `make test-all` and CI the 50.
hypothesis_settings.register_profile(
    "pbxadmin",
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "quick", parent=hypothesis_settings.get_profile("pbxadmin"), max_examples=10
)
hypothesis_settings.register_profile(
    "thorough", parent=hypothesis_settings.get_profile("pbxadmin"), max_examples=2000
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "pbxadmin"))


# A module whose `pytestmark` is one kind (`pytestmark = pytest.mark.browser`).
_MODULE_KIND = re.compile(r"^pytestmark = pytest\.mark\.(\w+)\s*$", re.MULTILINE)
# A -m expression made only of excluded kinds ("not browser and not slow").
_ONLY_EXCLUSIONS = re.compile(r"\s*not \w+(\s+(and|or)\s+not \w+)*\s*")


def pytest_ignore_collect(collection_path, config):
    """Leave out, unimported, a test module of a kind the -m expression excludes.

    `make test` excludes the browser, schema and real-Asterisk modules: importing them
    (Playwright, schemathesis building the API schema) cost seconds of every run's
    collection for tests that are all deselected. Only expressions made of `not <kind>`
    alone are judged here: with them, a test of that kind is deselected whatever other
    marks it carries, so nothing that would run is left out.
    """
    expression = config.option.markexpr
    if not expression or not _ONLY_EXCLUSIONS.fullmatch(expression) or collection_path.suffix != ".py":
        return None
    if not collection_path.name.startswith("test_"):
        return None
    match = _MODULE_KIND.search(collection_path.read_text(encoding="utf-8"))
    if match and re.search(rf"\bnot {match.group(1)}\b", expression):
        return True
    return None


@pytest.fixture(autouse=True)
def conf_dir(settings, tmp_path):
    """Each test writes its Asterisk files into its own folder, and reaches no Asterisk unless it
    brings one (the `asterisk` or `pbx` fixture): without AMI_SECRET a sync writes the files and
    leaves AstDB and the reloads waiting."""
    path = tmp_path / "asterisk"
    settings.ASTERISK_CONF_DIR = path
    settings.VAR_DIR = tmp_path
    settings.AMI_SECRET = ""
    # Nor does a cache entry (an API call count) outlive it.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": tmp_path / "cache",
        }
    }
    return path


@pytest.fixture(autouse=True)
def celery_runs_in_the_test(monkeypatch):
    """Background work (the sync, imports) runs in the test itself, at the commit that asks for
    it: Celery's eager mode, the same tasks as on a worker. A failed sync is not retried here
    (eagerly, a retry would run at once, again and again); tests of retries use a real worker."""
    conf = celery_app.conf
    saved = {key: conf[key] for key in ("task_always_eager", "task_eager_propagates")}
    conf.update(task_always_eager=True, task_eager_propagates=False)
    monkeypatch.setattr(sync_asterisk, "max_retries", 0)
    monkeypatch.setattr(reload_asterisk, "max_retries", 0)
    yield
    conf.update(saved)


class _WorkerAway(list):
    """The requests queued while no worker took them; `come_back()` and they run again, `go()`
    and they wait again."""

    def __init__(self, monkeypatch):
        from asterisk import tasks

        super().__init__()
        self._patch = monkeypatch
        self._real = tasks._enqueue
        self.go()

    def go(self) -> None:
        from asterisk import tasks

        self._patch.setattr(tasks, "_enqueue", lambda task=None: self.append(1) or True)

    def come_back(self) -> None:
        from asterisk import tasks

        self._patch.setattr(tasks, "_enqueue", self._real)


@pytest.fixture
def worker_away(monkeypatch):
    """Saves ask for a sync and no worker takes it (stopped, busy elsewhere): the outbox keeps
    their rows until the test runs the sync itself, or calls `worker_away.come_back()`.
    It holds the requests that were queued meanwhile."""
    return _WorkerAway(monkeypatch)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Every page test logs someone in: hashing each persona's password with the
    production hasher's 10^6 rounds was most of their setup time. Only tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
        # Its `dialplan reload` reads the dialplan file pbxadmin writes, as Asterisk does.
        server.conf_dir = settings.ASTERISK_CONF_DIR
        # Long enough for a busy machine; tests of the timeout itself set their own.
        settings.AMI_TIMEOUT = 10
        yield server


@pytest.fixture
def administrator_user(db):
    """A member of "PBX administrators" (not staff, not superuser): the persona who edits the PBX.
    Named so as not to shadow pytest-django's `admin_user` / `admin_client` (a superuser)."""
    from web.testing.personas import administrator

    return administrator()


@pytest.fixture
def administrator_client(client, administrator_user):
    client.force_login(administrator_user)
    return client


@pytest.fixture
def second_administrator_client(db):
    """Another administrator with a client of their own: two people editing one object."""
    from django.test import Client

    from portal.roles import ADMINISTRATORS
    from web.testing.personas import make_persona

    client = Client()
    client.force_login(make_persona(ADMINISTRATORS, "bea-admin"))
    return client


@pytest.fixture
def viewer_client(db):
    """A client of its own, so a test can hold an administrator's and a viewer's at once."""
    from django.test import Client

    from web.testing.personas import viewer

    client = Client()
    client.force_login(viewer())
    return client


@pytest.fixture
def deviceanduser(db):
    from portal.mode import DEVICE_AND_USER, set_pbx_mode

    set_pbx_mode(mode=DEVICE_AND_USER)

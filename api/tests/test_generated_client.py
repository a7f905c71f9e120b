"""A client generated from /api/schema/ with openapi-python-client works as is: it generates with no
warning, every module imports, and it creates, changes settings, reads secrets and deletes against
the portal served by `manage.py runserver` in a process of its own (on the test database).
Slow (a server start and a generation), so marked `schema`: `make test-all` and CI run it."""

import importlib
import io
import os
import pkgutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from api.tokens import token_create
from asterisk.testing.pbx import free_ports, wait_for
from asterisk.testing.services import Service
from directory.devices.models import Device
from directory.users.models import PbxUser
from web.testing import personas

pytestmark = [pytest.mark.schema, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "pbxadmin_generated_client"
SECRET = "Gen3rated-Client-Secret-42"


def _database_url() -> str:
    """The test database, as DATABASE_URL names it for the server's process."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}{port}/{quote(db['NAME'], safe='')}"


@pytest.fixture
def portal(tmp_path):
    """The portal as `make run` runs it: `manage.py runserver` on a free port and a Celery worker
    (the embedded broker, under the same var/), seeing the test's database; stopped at the end."""
    (port,) = free_ports(1)
    env = {
        **{k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"},
        "DATABASE_URL": _database_url(),
        "PBXADMIN_VAR_DIR": str(tmp_path / "var"),
        "ASTERISK_CONF_DIR": str(tmp_path / "asterisk"),
    }
    log = (tmp_path / "runserver.log").open("w")
    worker = Service("worker", log=tmp_path / "worker.log", env=env)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        assert server.poll() is None, (tmp_path / "runserver.log").read_text()
        try:
            urllib.request.urlopen(f"{url}/api/v1/", timeout=5).close()  # noqa: S310 (a loopback URL)
        except urllib.error.HTTPError:
            return True  # an answer (a 404 without a token) is all this waits for
        except OSError:
            return False
        return True

    try:
        wait_for(answers, "runserver to answer", timeout=120, interval=0.2)
        yield url
    finally:
        worker.stop()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
        log.close()


def _schema(url: str, token: str) -> bytes:
    request = urllib.request.Request(  # noqa: S310 (a loopback URL)
        f"{url}/api/schema/",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/vnd.oai.openapi+json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return response.read()


def _generate(schema: bytes, where: Path) -> Path:
    """The client, generated as a user would (its code is formatted by ruff, found on PATH)."""
    where.mkdir()
    (where / "schema.json").write_bytes(schema)
    bin_dir = str(Path(sys.executable).parent)
    result = subprocess.run(
        [
            *(sys.executable, "-m", "openapi_python_client", "generate"),
            *("--path", "schema.json", "--output-path", PACKAGE, "--meta", "none"),
        ],
        cwd=where,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    said = result.stdout + result.stderr
    assert result.returncode == 0, said
    assert "warning" not in said.lower(), said
    return where


@pytest.fixture
def generated(tmp_path, monkeypatch):
    """Imports the generated package from its folder; forgets it afterwards."""
    yield lambda folder: monkeypatch.syspath_prepend(str(folder))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def _import_every_module() -> list[str]:
    package = importlib.import_module(PACKAGE)
    names = [m.name for m in pkgutil.walk_packages(package.__path__, f"{PACKAGE}.")]
    for name in names:
        importlib.import_module(name)
    return names


def test_a_generated_client_works_as_is(portal, tmp_path, generated):
    _, token = token_create(user=personas.administrator(), name="generated client")
    generated(_generate(_schema(portal, token), tmp_path / "client"))
    modules = _import_every_module()
    assert f"{PACKAGE}.api.v1.v1_extensions_create" in modules and len(modules) > 50

    from pbxadmin_generated_client import AuthenticatedClient
    from pbxadmin_generated_client.api.v1 import (
        v1_extensions_create,
        v1_extensions_destroy,
        v1_extensions_partial_update,
        v1_extensions_retrieve,
        v1_imports_create,
        v1_imports_retrieve,
    )
    from pbxadmin_generated_client.models import (
        ExtensionInRequest,
        ExtensionInRequestSettings,
        ExtensionInTechEnum,
        ExtensionOut,
        ImportUploadRequest,
        PatchedExtensionChangeRequest,
        PatchedExtensionChangeRequestSettings,
        StatusEnum,
    )
    from pbxadmin_generated_client.types import UNSET, File

    client = AuthenticatedClient(base_url=portal, token=token, timeout=60)

    # Create, with a secret of our own and the answer's secrets asked for.
    settings = ExtensionInRequestSettings.from_dict({"secret": SECRET})
    body = ExtensionInRequest(
        extension="2001",
        name="Ada Lovelace",
        tech=ExtensionInTechEnum.PJSIP,
        password="4711",
        voicemail="default",
        settings=settings,
    )
    created = v1_extensions_create.sync_detailed(client=client, body=body, include_secrets=True)
    assert created.status_code == 201, created.content
    assert isinstance(created.parsed, ExtensionOut)
    assert created.parsed.settings["secret"] == SECRET and created.parsed.password == "4711"
    assert Device.objects.get(pk="2001").endpoint.settings["secret"] == SECRET, "the secret sent is kept"

    # Change one setting: it is sent as JSON and kept; the answer holds no secret.
    change = PatchedExtensionChangeRequest(
        settings=PatchedExtensionChangeRequestSettings.from_dict({"dtmfmode": "info"})
    )
    changed = v1_extensions_partial_update.sync_detailed("2001", client=client, body=change)
    assert changed.status_code == 200, changed.content
    assert changed.parsed.settings["dtmfmode"] == "info"
    assert "secret" not in changed.parsed.settings and changed.parsed.password is UNSET
    assert Device.objects.get(pk="2001").endpoint.settings["dtmfmode"] == "info"

    # Read the secrets back, as provisioning does.
    read = v1_extensions_retrieve.sync_detailed("2001", client=client, include_secrets=True)
    assert read.status_code == 200, read.content
    assert read.parsed.settings["secret"] == SECRET and read.parsed.password == "4711"
    assert read.parsed.vm_pin == PbxUser.objects.get(pk="2001").vm_pin != ""

    # The one upload: a CSV file as multipart, then the check's findings, typed.
    csv = File(payload=io.BytesIO(b"extension,name,tech\n2002,Bo,pjsip\n"), file_name="staff.csv")
    uploaded = v1_imports_create.sync_detailed(client=client, body=ImportUploadRequest(file=csv))
    assert uploaded.status_code == 201, uploaded.content
    job_id = uploaded.parsed.id

    def checked():
        job = v1_imports_retrieve.sync_detailed(job_id, client=client)
        assert job.status_code == 200, job.content
        return job.parsed if job.parsed.status != StatusEnum.CHECKING else None

    job = wait_for(checked, "the import's check", timeout=120, interval=0.2)
    assert job.status == StatusEnum.PREVIEWED, job.error
    assert job.counts.create == 1 and job.counts.total == 1
    assert [(row.line, row.key, row.action.value) for row in job.rows] == [(2, "2002", "create")]

    # Delete; then it is not there.
    deleted = v1_extensions_destroy.sync_detailed("2001", client=client)
    assert deleted.status_code == 204, deleted.content
    assert v1_extensions_retrieve.sync_detailed("2001", client=client).status_code == 404
    assert not PbxUser.objects.filter(pk="2001").exists()

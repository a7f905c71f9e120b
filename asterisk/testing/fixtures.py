"""pytest fixtures for tests against a real Asterisk 20 (marker `asterisk`), loaded by the root conftest.

- `private_asterisk` (one per test module): a `PrivateAsterisk` booted with the
  SIP settings of the module's `ASTERISK_SIP_SETTINGS` (loopback, its own ports;
  TCP and TLS when the module asks).
- `pbx` (per test): points pbxadmin at it (AMI account, `ASTERISK_CONF_DIR`, the
  FastAGI URL), saves those SIP settings through the SIP settings service, writes
  every generated file from the (empty) database, clears the AstDB families
  pbxadmin owns and reloads what changed: each test starts from a clean PBX.
- `phone(device_id, …)`: a baresip phone registered as that device with the
  secret pbxadmin generated for it, closed with the test.

Outside CI, without that Asterisk installed, these tests skip with one line
saying how to install it; in CI (`CI` set) they fail instead. When a test fails,
the Asterisk log it produced is added to its report.
"""

import os
import subprocess

import pytest

from asterisk.testing.baresip import Phone
from asterisk.testing.pbx import PrivateAsterisk, free_ports, missing_reason


def _need_asterisk() -> None:
    reason = missing_reason()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"a real Asterisk is required in CI: {reason}")
    pytest.skip(reason)


def tls_certificate(directory) -> tuple[str, str]:
    """A self-signed certificate and key for 127.0.0.1 (TLS listeners need one)."""
    cert, key = directory / "asterisk.crt", directory / "asterisk.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return str(cert), str(key)


def _module_sip_settings(ast: PrivateAsterisk, module) -> dict[str, object]:
    wanted = dict(getattr(module, "ASTERISK_SIP_SETTINGS", {}))
    if wanted.get("sip_tls") or wanted.get("pjsip_tls"):
        cert, key = tls_certificate(ast.etc)
        wanted.setdefault("tls_cert_file", cert)
        wanted.setdefault("tls_key_file", key)
    return ast.sip_settings(**wanted)


def _write_listener_files(ast: PrivateAsterisk, sip_settings: dict[str, object]) -> None:
    """Before the first boot: the listeners' files as pbxadmin renders them for these settings
    (a PJSIP transport is not reloadable, so it must be right from the start), and empty
    generated files so every #include finds its file."""
    from asterisk.render.generate import FILE_SOURCE, INCLUDES
    from asterisk.render.transports import (
        PJSIP_TRANSPORTS,
        SIP_GENERAL,
        render_pjsip_transports,
        render_sip_general,
    )
    from directory.endpoints.models import SipSettings

    settings = SipSettings(**sip_settings)
    for name in (*FILE_SOURCE, *(i for includes in INCLUDES.values() for i in includes)):
        path = ast.etc / name
        if not path.exists():
            path.write_text("")
    (ast.etc / SIP_GENERAL).write_text(render_sip_general(settings))
    (ast.etc / PJSIP_TRANSPORTS).write_text(render_pjsip_transports(settings))


@pytest.fixture(scope="module")
def private_asterisk(request):
    _need_asterisk()
    ast = PrivateAsterisk(name=request.module.__name__.rpartition(".")[2][:12])
    sip_settings = _module_sip_settings(ast, request.module)
    _write_listener_files(ast, sip_settings)
    ast.sip_settings_for_tests = sip_settings
    (ast.agi_port,) = free_ports(1)
    try:
        ast.start()
        yield ast
    finally:
        ast.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    watched = getattr(item, "_asterisk_watch", None)
    if watched is not None and report.failed:
        ast, mark = watched
        report.sections.append((f"Asterisk {ast.name}: full log of this test", ast.log_since(mark)[-20000:]))


@pytest.fixture
def pbx(private_asterisk, settings, transactional_db, request):
    """The module's Asterisk, reset to an empty PBX, with pbxadmin pointed at it."""
    from asterisk import sync
    from asterisk.astdb import FAMILIES
    from asterisk.files import write_all_files
    from directory.endpoints.services import sip_settings_update

    ast = private_asterisk
    settings.ASTERISK_CONF_DIR = ast.etc
    settings.AMI_HOST = "127.0.0.1"
    settings.AMI_PORT = ast.ports.ami
    settings.AMI_USERNAME = ast.ami_username
    settings.AMI_SECRET = ast.ami_secret
    # Long enough for a busy machine; tests of the timeout itself set their own.
    settings.AMI_TIMEOUT = 15
    settings.PBXADMIN_AGI_URL = f"agi://127.0.0.1:{ast.agi_port}"
    settings.PBXADMIN_AGI_LISTEN = f"127.0.0.1:{ast.agi_port}"
    sip_settings_update(**ast.sip_settings_for_tests)
    write_all_files()
    for family in FAMILIES:
        ast.cli(f"database deltree {family}")
    sync.run_sync()
    request.node._asterisk_watch = (ast, ast.log_mark())
    return ast


@pytest.fixture
def phone(pbx):
    """`phone("2001")` starts a baresip phone registered as device 2001 with its generated secret
    (`secret=` another to try a wrong one; `register=False` to let the test watch it fail)."""
    from directory.devices.models import Device

    started: list[Phone] = []

    def make(device_id: str, *, secret: str | None = None, answer: str = "manual", transport: str = "udp"):
        device = Device.objects.select_related("endpoint").get(pk=device_id)
        port = {"pjsip": pbx.ports.pjsip_udp, "sip": pbx.ports.sip}[device.tech]
        if transport == "tcp":
            port = {"pjsip": pbx.ports.pjsip_tcp, "sip": pbx.ports.sip}[device.tech]
        p = Phone(
            user=device_id,
            secret=secret if secret is not None else device.endpoint.settings["secret"],
            registrar_port=port,
            transport=transport,
            answer=answer,
        )
        started.append(p)
        return p.start()

    yield make
    for p in started:
        p.close()


@pytest.fixture
def service(pbx, tmp_path):
    """`service("fastagi")` runs `manage.py fastagi` (or any long-running command) against this
    test's database and Asterisk until the test ends."""
    from asterisk.testing.services import Service

    started: list[Service] = []

    def start(*command: str, **env: str) -> Service:
        from asterisk.testing.services import environment

        s = Service(*command, log=tmp_path / f"{command[0]}-{len(started)}.log", env=environment(**env))
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()

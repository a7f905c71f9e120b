"""A private, real Asterisk 20 for tests and benchmarks, on free loopback ports.

`PrivateAsterisk` lays out a temporary folder the way the README tells an
administrator to: Asterisk's own `sip.conf`, `pjsip.conf`, `iax.conf`,
`extensions.conf` and `voicemail.conf` include the files pbxadmin generates,
which are written into the same folder (it is `ASTERISK_CONF_DIR`). It has an
AMI account, a `full` log (with debug lines, so config parsing shows which
reloads happened) and only the modules a PBX like ours loads, so no stray
listener (DUNDi, MGCP, Skinny…) takes a port another instance wants.

It is started and stopped by its PID (its own process group); every wait ends
on a condition with a generous bound. `asterisk -rx` (the CLI) and AMI are how
a test asks Asterisk what it did.

The build is the official Asterisk 20.20.1 release that
`bash ../shared/asterisk/install.sh` installs under /opt/asterisk
(PBXADMIN_ASTERISK_PREFIX elsewhere).
"""

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

PREFIX = Path(os.environ.get("PBXADMIN_ASTERISK_PREFIX", "/opt/asterisk"))
VERSION = "20.20.1"
INSTALL_HINT = "install it with `bash ../shared/asterisk/install.sh` (Asterisk 20.20.1, baresip, prompts)"

# Generous: a busy two-core machine is slower, not wrong. Each wait ends as soon as its condition holds.
PATIENCE = 120.0

# What a PBX like ours loads (autoload=no): the three SIP/IAX2 stacks, the dialplan's
# applications and functions, voicemail, FastAGI, and the media paths a call needs.
MODULES = (
    # sorcery and PJSIP
    "res_sorcery_config.so", "res_sorcery_memory.so", "res_sorcery_astdb.so", "res_sorcery_memory_cache.so",
    "res_pjproject.so", "res_pjsip.so", "res_pjsip_session.so", "res_pjsip_pubsub.so", "chan_pjsip.so",
    "res_pjsip_authenticator_digest.so", "res_pjsip_outbound_authenticator_digest.so",
    "res_pjsip_endpoint_identifier_user.so", "res_pjsip_endpoint_identifier_ip.so",
    "res_pjsip_registrar.so", "res_pjsip_outbound_registration.so", "res_pjsip_sdp_rtp.so",
    "res_pjsip_nat.so", "res_pjsip_caller_id.so", "res_pjsip_dtmf_info.so", "res_pjsip_rfc3326.so",
    "res_pjsip_diversion.so", "res_pjsip_header_funcs.so", "res_pjsip_acl.so", "res_pjsip_logger.so",
    "res_pjsip_mwi.so", "res_pjsip_mwi_body_generator.so", "res_pjsip_exten_state.so",
    "res_pjsip_pidf_body_generator.so", "res_pjsip_dialog_info_body_generator.so",
    "res_pjsip_xpidf_body_generator.so", "res_pjsip_pidf_digium_body_supplement.so",
    "res_pjsip_pidf_eyebeam_body_supplement.so", "res_pjsip_path.so", "res_pjsip_refer.so",
    "res_pjsip_empty_info.so", "res_pjsip_one_touch_record_info.so", "res_pjsip_send_to_voicemail.so",
    "res_pjsip_outbound_publish.so", "res_pjsip_dlg_options.so", "func_pjsip_endpoint.so",
    "func_pjsip_contact.so", "func_pjsip_aor.so", "res_rtp_asterisk.so",
    # chan_sip (deprecated in Asterisk 20, still what many FreePBX offices run) and IAX2
    "chan_sip.so", "chan_iax2.so", "res_crypto.so", "res_timing_timerfd.so",
    # dialplan
    "pbx_config.so", "app_dial.so", "app_stack.so", "app_playback.so", "app_echo.so", "app_verbose.so",
    "app_senddtmf.so", "app_read.so", "app_exec.so", "app_db.so", "app_authenticate.so",
    "app_directed_pickup.so", "app_userevent.so", "app_originate.so", "app_playtones.so",
    "app_record.so", "app_mixmonitor.so", "app_voicemail.so", "app_chanisavail.so",
    "func_callerid.so", "func_channel.so", "func_cut.so", "func_strings.so", "func_db.so",
    "func_logic.so", "func_devstate.so", "func_presencestate.so", "func_global.so", "func_extstate.so",
    "func_math.so", "func_timeout.so", "func_dialplan.so", "func_hangupcause.so",
    "func_groupcount.so", "func_env.so", "func_sprintf.so", "func_vmcount.so", "func_uri.so",
    "res_agi.so", "res_speech.so", "res_manager_devicestate.so", "res_manager_presencestate.so",
    "res_clioriginate.so", "res_musiconhold.so",
    # bridging and media
    "bridge_simple.so", "bridge_native_rtp.so", "bridge_holding.so", "bridge_builtin_features.so",
    "bridge_builtin_interval_features.so", "bridge_softmix.so",
    "format_gsm.so", "format_wav.so", "format_wav_gsm.so", "format_pcm.so", "format_sln.so",
    "codec_gsm.so", "codec_ulaw.so", "codec_alaw.so", "codec_a_mu.so", "codec_resample.so",
)  # fmt: skip

# Files Asterisk reads that are not ours, quiet and minimal (a missing one is logged as an error).
_QUIET_CONFIGS = {
    "cdr.conf": "[general]\nenable=no\n",
    "cel.conf": "[general]\nenable=no\n",
    "features.conf": "[general]\n",
    "acl.conf": "",
    "udptl.conf": "[general]\n",
    "ccss.conf": "[general]\n",
    "pjproject.conf": "",
    "musiconhold.conf": "[general]\n",
    "rtp.conf": "[general]\nrtpstart=20000\nrtpend=30000\n",
    "res_stun_monitor.conf": "",
}


def binary() -> Path:
    return PREFIX / "sbin" / "asterisk"


def installed_version() -> str | None:
    """The version of the Asterisk under PREFIX, or None when it is not there."""
    try:
        out = subprocess.run(
            [str(binary()), "-V"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"Asterisk (\S+)", out)
    return match.group(1) if match else None


def missing_reason() -> str | None:
    """Why a real-Asterisk test cannot run here, in one line; None when it can."""
    version = installed_version()
    if version is None:
        return f"no Asterisk at {PREFIX}: {INSTALL_HINT}"
    if version != VERSION:
        return f"Asterisk {version} at {PREFIX}, the tests need {VERSION}: {INSTALL_HINT}"
    if shutil.which("baresip") is None:
        return f"no baresip (the SIP phone the tests drive): {INSTALL_HINT}"
    return None


def free_ports(count: int) -> list[int]:
    """`count` distinct loopback ports free for both TCP and UDP right now (all held until chosen)."""
    held: list[socket.socket] = []
    ports: list[int] = []
    try:
        for _attempt in range(count * 50):
            if len(ports) == count:
                break
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            held.append(tcp)
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                udp.close()
                continue
            held.append(udp)
            ports.append(port)
    finally:
        for s in held:
            s.close()
    if len(ports) < count:
        raise RuntimeError(f"found only {len(ports)} free loopback ports of {count}")
    return ports


def wait_for(predicate: Callable[[], object], what: str, timeout: float = PATIENCE, interval: float = 0.1):
    """Poll `predicate` until it returns something true (returned); fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


@dataclass(frozen=True)
class Ports:
    ami: int
    sip: int  # chan_sip, UDP and TCP
    sip_tls: int
    pjsip_udp: int
    pjsip_tcp: int
    pjsip_tls: int
    iax: int

    @classmethod
    def pick(cls) -> "Ports":
        return cls(*free_ports(7))


# Which file a reload parses, as the debug log shows it, and the reload that parsed it.
_PARSED = {"extensions.conf": "dialplan", "voicemail.conf": "voicemail"}
_MODULE_RELOAD = re.compile(r"Reloading module '([^']+)'")
_PARSING = re.compile(r"config\.c: Parsing (\S+)")
_PROBLEM = re.compile(r"\] (WARNING|ERROR)\[")


class PrivateAsterisk:
    """One real Asterisk in a folder of its own. Use as a context manager, or start() / stop()."""

    def __init__(self, *, name: str = "pbx", ports: Ports | None = None):
        # A short path: the control socket's name must fit in a sockaddr_un (108 bytes).
        self.root = Path(tempfile.mkdtemp(prefix=f"ast-{name}-", dir="/tmp"))
        self.name = name
        self.etc = self.root / "etc"
        self.ports = ports or Ports.pick()
        self.ami_username = "pbxadmin"
        self.ami_secret = secrets.token_hex(16)
        self.process: subprocess.Popen | None = None
        for sub in ("etc", "run", "log", "lib", "lib/keys", "spool"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.write_configs()

    # --- the folder -------------------------------------------------------------------

    @property
    def asterisk_conf(self) -> Path:
        return self.etc / "asterisk.conf"

    @property
    def log_path(self) -> Path:
        return self.root / "log" / "full"

    @property
    def spool(self) -> Path:
        return self.root / "spool"

    def write_configs(self) -> None:
        """Asterisk's own files, including the generated ones as the README says."""
        root, etc = self.root, self.etc
        files = {
            "asterisk.conf": f"""[directories]
astetcdir => {etc}
astmoddir => {PREFIX}/lib/asterisk/modules
astvarlibdir => {PREFIX}/var/lib/asterisk
astdatadir => {PREFIX}/var/lib/asterisk
astagidir => {PREFIX}/var/lib/asterisk/agi-bin
astsbindir => {PREFIX}/sbin
astdbdir => {root}/lib
astkeydir => {root}/lib
astcachedir => {root}/lib
astspooldir => {root}/spool
astrundir => {root}/run
astlogdir => {root}/log

[options]
verbose = 3
debug = 1
""",
            "modules.conf": "[modules]\nautoload = no\n" + "".join(f"load = {m}\n" for m in MODULES),
            # Debug lines name each config file parsed: that is how a test sees a reload.
            "logger.conf": "[general]\n[logfiles]\nfull => notice,warning,error,verbose,dtmf,debug\n",
            "manager.conf": f"""[general]
enabled = yes
port = {self.ports.ami}
bindaddr = 127.0.0.1

[{self.ami_username}]
secret = {self.ami_secret}
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.1/255.255.255.255
read = system,call,reporting
write = system,config,command,call,reporting
""",
            # README "Generated files": the include is the last line of [general].
            # The trunks' registrations are read in [general] too, after the settings.
            "sip.conf": "[general]\n#include sip_general_additional.conf\n#include sip_registrations.conf\n\n"
            "#include sip_additional.conf\n",
            "pjsip.conf": "#include pjsip.transports.conf\n#include pjsip.endpoint.conf\n"
            "#include pjsip.aor.conf\n#include pjsip.auth.conf\n"
            "#include pjsip.registration.conf\n#include pjsip.identify.conf\n",
            "iax.conf": f"[general]\nbindport = {self.ports.iax}\nbindaddr = 127.0.0.1\n"
            "#include iax_registrations.conf\n\n#include iax_additional.conf\n",
            "extensions.conf": "[general]\nstatic = yes\nwriteprotect = yes\n\n[globals]\n\n"
            "#include extensions_additional.conf\n\n[from-internal]\ninclude => from-internal-additional\n",
            "voicemail.conf": "[general]\nformat = wav\nmaxlogins = 3\n\n[zonemessages]\n"
            "eastern = America/New_York|'vm-received' Q 'digits/at' IMp\n\n"
            "#include voicemail_additional.conf\n",
            **_QUIET_CONFIGS,
        }
        for name, text in files.items():
            (etc / name).write_text(text)
        # Sounds need indications (busy and ringing tones): Asterisk's sample file.
        shutil.copy(PREFIX / "etc" / "asterisk" / "indications.conf", etc / "indications.conf")

    def sip_settings(self, **overrides) -> dict[str, object]:
        """The SIP settings (pbxadmin's SIP settings page) that put this instance's
        listeners on loopback and on its own ports."""
        return {
            "sip_bind_address": "127.0.0.1",
            "sip_port": self.ports.sip,
            "sip_tls_port": self.ports.sip_tls,
            "pjsip_bind_address": "127.0.0.1",
            "pjsip_udp_port": self.ports.pjsip_udp,
            "pjsip_tcp_port": self.ports.pjsip_tcp,
            "pjsip_tls_port": self.ports.pjsip_tls,
            **overrides,
        }

    # --- the process ------------------------------------------------------------------

    def _command(self, *args: str) -> list[str]:
        return [str(binary()), "-C", str(self.asterisk_conf), *args]

    def start(self, timeout: float = PATIENCE) -> None:
        """Start Asterisk; return once it is fully booted and AMI answers."""
        if self.running():
            return
        with open(self.root / "log" / "stdout", "ab") as out:
            self.process = subprocess.Popen(
                self._command("-f", "-n"),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(self._booted, f"Asterisk {self.name} to boot (log: {self.log_path})", timeout)
        wait_for(self._ami_listening, f"Asterisk {self.name}'s AMI on port {self.ports.ami}", timeout)

    def _booted(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(
                f"Asterisk {self.name} exited with {self.process.returncode}:\n{self.tail()}"
            )
        try:
            out = self.cli("core waitfullybooted", timeout=10)
        except (AssertionError, subprocess.TimeoutExpired):
            return False
        return "fully booted" in out

    def _ami_listening(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.ports.ami), 2):
            return True
        return False

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 30) -> None:
        """Stop our Asterisk (its process group, by PID); a stopped one stays stopped."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired, OSError):
            self.cli("core stop now", timeout=10)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout)

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop it and remove its folder (the log is gone with it: read it before)."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "PrivateAsterisk":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- asking it --------------------------------------------------------------------

    def cli(self, command: str, timeout: float = 60) -> str:
        """A CLI command's output (`asterisk -rx`)."""
        done = subprocess.run(
            self._command("-rx", command),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if "Unable to connect to remote asterisk" in done.stdout + done.stderr:
            raise AssertionError(f"Asterisk {self.name} is not running")
        # The remote console says goodbye on its way out; that line is not the command's.
        return re.sub(r"Asterisk ending \(\d+\)\.\n?$", "", done.stdout)

    def database(self, family: str) -> dict[str, str]:
        """Asterisk's own AstDB family, as `database show` prints it: {`FAMILY/key`: value}."""
        result = {}
        for line in self.cli(f"database show {family}").splitlines():
            if line.startswith("/"):
                path, _sep, value = line.partition(": ")
                result[path.strip()[1:]] = value.strip()
        return result

    def log_mark(self) -> int:
        """Where the log ends now: pass it to `log_since` to read what came after."""
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def log_since(self, mark: int = 0) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(mark)
                return f.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_since().splitlines()[-lines:])

    def problems(self, since: int = 0, about: Iterable[str] = ()) -> list[str]:
        """WARNING and ERROR lines logged since `since` that name one of `about` (file or section
        names; every problem when empty)."""
        words = [w for w in about if w]
        found = []
        for line in self.log_since(since).splitlines():
            if _PROBLEM.search(line) and (not words or any(w in line for w in words)):
                found.append(line)
        return found

    def reloads_since(self, mark: int) -> list[str]:
        """What reloaded since `mark`, in order: module names (`res_pjsip.so`), `dialplan`, `voicemail`."""
        seen = []
        for line in self.log_since(mark).splitlines():
            if m := _MODULE_RELOAD.search(line):
                seen.append(m.group(1))
            elif (m := _PARSING.search(line)) and (what := _PARSED.get(Path(m.group(1)).name)):
                seen.append(what)
        return seen

"""How long Asterisk itself takes to reload res_pjsip after one device setting, at office scale.

    python bench/pjsip_reload.py [--extensions N] [--reloads N]

Needs the real Asterisk (`bash ../shared/asterisk/install.sh`). Seeds N extensions (default
10,000, a quarter of them PJSIP) in a throw-away database, writes the files, and starts a
private Asterisk twice on them:

- `included`: `pjsip.conf` includes the generated pjsip files (as FreePBX's does and
  the README says);
- `sorcery`: Asterisk's `sorcery.conf` maps the endpoint, aor and auth types to their own
  generated file, so a reload reads again only the file that changed.

With `--listener`, the portal's AMI event listener (`manage.py ami_events`, as `make run`
starts it) is connected while the reloads run, to see what following Asterisk's events costs.

Each time it changes one PJSIP device's DTMF mode through the service, writes the files,
and times AMI `Reload res_pjsip.so` until Asterisk answers (Asterisk's own time: no
portal in the loop). Last line:
pjsip_reload: endpoints=… listener=0|1 included_p50_ms=… sorcery_p50_ms=…
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

from _setup import ROOT, django_in_temp_dir, seed_extensions

SORCERY = """[res_pjsip]
endpoint=config,pjsip.endpoint.conf,criteria=type=endpoint
aor=config,pjsip.aor.conf,criteria=type=aor
auth=config,pjsip.auth.conf,criteria=type=auth
"""


def _listener(pbx) -> subprocess.Popen:
    """`manage.py ami_events` against this Asterisk and the bench's database, as `make run` runs it."""
    env = {
        **os.environ,
        "AMI_HOST": "127.0.0.1",
        "AMI_PORT": str(pbx.ports.ami),
        "AMI_USERNAME": pbx.ami_username,
        "AMI_SECRET": pbx.ami_secret,
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "ami_events"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _reload_times(pbx, device, reloads: int, *, sorcery: bool, listener: bool) -> list[float]:
    from django.conf import settings

    from asterisk import ami
    from asterisk.files import write_all_files
    from directory.devices.services import device_update

    if sorcery:
        (pbx.etc / "sorcery.conf").write_text(SORCERY)
        (pbx.etc / "pjsip.conf").write_text("#include pjsip.transports.conf\n")
    pbx.start(timeout=600)
    settings.AMI_SECRET = pbx.ami_secret
    follower = _listener(pbx) if listener else None
    try:
        if follower is not None:
            time.sleep(5)  # its snapshot of every phone's state is taken before the first reload
        config = ami.AmiConfig.from_settings()
        if "Unable to find object" in pbx.cli(f"pjsip show endpoint {device.pk}"):
            raise SystemExit(
                f"Asterisk did not load endpoint {device.pk} ({'sorcery' if sorcery else 'included'})"
            )
        times = []
        for n in range(reloads):
            device.refresh_from_db()
            device_update(device=device, settings={"dtmfmode": "info" if n % 2 == 0 else "rfc4733"})
            write_all_files()
            started = time.perf_counter()
            ami.run(lambda s: s.send_one({"Action": "Reload", "Module": "res_pjsip.so"}, timeout=600), config)
            times.append((time.perf_counter() - started) * 1000)
        mode = "info" if (reloads - 1) % 2 == 0 else "rfc4733"
        if not re.search(rf"dtmf_mode\s*:\s*{mode}", pbx.cli(f"pjsip show endpoint {device.pk}")):
            raise SystemExit("Asterisk does not show the last DTMF mode: the reload did not take")
        return times
    finally:
        if follower is not None:
            follower.terminate()
            follower.wait(20)
        pbx.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extensions", type=int, default=10_000)
    parser.add_argument("--reloads", type=int, default=6)
    parser.add_argument("--listener", action="store_true", help="with the AMI event listener connected")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from asterisk.testing.pbx import PrivateAsterisk, missing_reason

    if reason := missing_reason():
        raise SystemExit(f"bench/pjsip_reload.py needs the real Asterisk: {reason}")
    django_in_temp_dir("pjsip-reload")
    from django.conf import settings
    from django.core.management import call_command

    from directory.devices.models import Device
    from directory.endpoints.services import sip_settings_update

    results = {}
    for mode in ("included", "sorcery"):
        pbx = PrivateAsterisk(name=f"pj{mode[:3]}")
        settings.ASTERISK_CONF_DIR = pbx.etc
        os.environ["ASTERISK_CONF_DIR"] = str(pbx.etc)
        settings.AMI_HOST, settings.AMI_PORT = "127.0.0.1", pbx.ports.ami
        settings.AMI_USERNAME, settings.AMI_SECRET, settings.AMI_TIMEOUT = (
            pbx.ami_username,
            pbx.ami_secret,
            60,
        )
        try:
            settings.AMI_SECRET = ""  # until Asterisk is up, saves write the files only
            if not Device.objects.exists():
                print(f"seeding {args.extensions} extensions …", flush=True)
                seed_extensions(args.extensions)
            sip_settings_update(**pbx.sip_settings())
            call_command("writeconf", verbosity=0)
            device = Device.objects.filter(tech="pjsip").order_by("pk").first()
            results[mode] = _reload_times(
                pbx, device, args.reloads, sorcery=mode == "sorcery", listener=args.listener
            )
            print(f"{mode}: res_pjsip.so reloads (ms): {[round(t) for t in results[mode]]}", flush=True)
        finally:
            pbx.close()
    endpoints = Device.objects.filter(tech="pjsip").count()
    print(
        f"pjsip_reload: endpoints={endpoints} listener={int(args.listener)} "
        f"included_p50_ms={statistics.median(results['included']):.0f} "
        f"sorcery_p50_ms={statistics.median(results['sorcery']):.0f}"
    )


if __name__ == "__main__":
    main()

"""Shared set-up for the benchmarks: a throw-away database and config folder, Django ready."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_in_temp_dir(label: str) -> Path:
    """Point pbxadmin at a fresh SQLite file and conf dir (unless DATABASE_URL is set) and set Django up."""
    work = Path(tempfile.mkdtemp(prefix=f"pbxadmin-bench-{label}-"))
    os.environ.setdefault("PBXADMIN_VAR_DIR", str(work))
    os.environ["ASTERISK_CONF_DIR"] = str(work / "asterisk")
    os.environ.setdefault("PBXADMIN_LOG_LEVEL", "WARNING")
    # No Asterisk here: a benchmark that wants the sync runs it itself.
    os.environ.setdefault("PBXADMIN_SYNC", "manual")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pbxadmin.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return work


def seed_extensions(count: int, *, batch: int = 2000) -> None:
    """Insert `count` extensions fast (bulk inserts of what the services would store), mixed technologies.

    The benchmarks measure generation, not set-up, so this bypasses the
    per-row services; the rows are the same: defaults from each technology's
    SETTINGS, checked by clean_settings.
    """
    from django.db import transaction

    from devices.models import Device
    from endpoints.models import Endpoint
    from endpoints.techs import TECHS, clean_settings
    from users.models import PbxUser

    mix = ("pjsip", "pjsip", "pjsip", "sip", "iax2", "dahdi")
    base = {tech: clean_settings(tech, {"secret": "Bench1234secret"}) for tech in ("pjsip", "sip", "iax2")}
    base["dahdi"] = clean_settings("dahdi", {"channel": "1"})
    for start in range(0, count, batch):
        users, devices, endpoints = [], [], []
        for n in range(start, min(start + batch, count)):
            ext = str(100000 + n)
            tech = mix[n % len(mix)]
            settings = dict(base[tech])
            if tech == "dahdi":
                settings["channel"] = str(n + 1)
            users.append(PbxUser(extension=ext, name=f"Person {n}", voicemail="default" if n % 2 else "novm"))
            devices.append(
                Device(
                    id=ext,
                    tech=tech,
                    dial=TECHS[tech].dial(ext, settings),
                    user_id=ext,
                    default_user_id=ext,
                    description=f"Person {n}",
                )
            )
            endpoints.append(Endpoint(device_id=ext, settings=settings))
        with transaction.atomic():
            PbxUser.objects.bulk_create(users)
            Device.objects.bulk_create(devices)
            Endpoint.objects.bulk_create(endpoints)

"""Many extensions fast, for benchmarks and scale tests."""


def seed_extensions(count: int, *, start: int = 100000, batch: int = 2000) -> None:
    """Insert `count` extensions fast (bulk inserts of what the services would store), mixed technologies.

    The benchmarks measure generation, not set-up, so this bypasses the
    per-row services; the rows are the same: defaults from each technology's
    SETTINGS, checked by clean_settings.
    """
    from django.db import transaction

    from directory.devices.models import Device
    from directory.endpoints.models import Endpoint
    from directory.techs import TECHS, clean_settings
    from directory.users.models import PbxUser

    mix = ("pjsip", "pjsip", "pjsip", "sip", "iax2", "dahdi")
    base = {tech: clean_settings(tech, {"secret": "Bench1234secret"}) for tech in ("pjsip", "sip", "iax2")}
    base["dahdi"] = clean_settings("dahdi", {"channel": "1"})
    for offset in range(0, count, batch):
        users, devices, endpoints = [], [], []
        for n in range(offset, min(offset + batch, count)):
            ext = str(start + n)
            tech = mix[n % len(mix)]
            settings = dict(base[tech])
            if tech == "dahdi":
                settings["channel"] = str(n + 1)
            mailbox = {"voicemail": "default", "vm_pin": "4242"} if n % 2 else {}
            users.append(PbxUser(extension=ext, name=f"Person {n}", **mailbox))
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
